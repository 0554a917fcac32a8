"""Turns a bearer token into a caller: an API key from the database or a JWT from a trusted issuer.

Whether a token is needed at all is decided once, at start (`auth_required`); what each role may
do is decided in schema/access.py.
"""

import ipaddress
import logging
from pathlib import Path

import jwt

from app.settings import Settings
from schema.access import Caller, Principal
from store.api_keys import TOKEN_PREFIX, ApiKeys, Role, hash_token
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.auth")

ROLES = ", ".join(Role)


class Rejected(Exception):
    """The credential presented is not valid; the message says why, without revealing secrets."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_required(settings: Settings) -> bool:
    """Secure by default: only a server reachable from this machine alone runs open, unless the
    operator says otherwise."""
    if settings.auth == "on":
        return True
    if settings.auth == "off":
        logger.warning(
            "EVENTFOLD_AUTH=off: anyone who can reach %s:%s can do everything, key management included",
            settings.host,
            settings.port,
        )
        return False
    return not is_loopback(settings.host)


class JwtVerifier:
    """Verifies JWTs offline with a key or a JWKS file from the settings; nothing is fetched."""

    def __init__(
        self,
        *,
        key: str | None,
        jwks: jwt.PyJWKSet | None,
        algorithms: list[str],
        issuer: str | None,
        audience: str | None,
        role_claim: str,
    ) -> None:
        self._key = key
        self._jwks = jwks
        self._algorithms = algorithms
        self._issuer = issuer
        self._audience = audience
        self._role_claim = role_claim

    @classmethod
    def from_settings(cls, settings: Settings) -> "JwtVerifier | None":
        if settings.jwt_key_file is None and settings.jwt_jwks_file is None:
            return None
        return cls(
            key=_read(settings.jwt_key_file) if settings.jwt_key_file else None,
            jwks=jwt.PyJWKSet.from_json(_read(settings.jwt_jwks_file)) if settings.jwt_jwks_file else None,
            algorithms=settings.jwt_algorithms,
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
            role_claim=settings.jwt_role_claim,
        )

    def verify(self, token: str) -> Principal:
        try:
            key: object = self._key
            if self._jwks is not None:
                key_id = jwt.get_unverified_header(token).get("kid")
                key = next((found.key for found in self._jwks.keys if found.key_id == key_id), None)
                if key is None:
                    raise Rejected(f"the JWT's key id {key_id!r} is not in the configured key set")
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=self._algorithms,
                issuer=self._issuer,
                audience=self._audience,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise Rejected(f"invalid JWT: {error}") from None
        role = claims.get(self._role_claim)
        if role not in set(Role):
            raise Rejected(f"the JWT's {self._role_claim!r} claim must be one of {ROLES}, got {role!r}")
        return Principal(name=f"jwt:{claims['sub']}", role=Role(role))


def _read(path: Path) -> str:
    return path.read_text()


class Authenticator:
    def __init__(self, keys: ApiKeys, verifier: JwtVerifier | None, required: bool) -> None:
        self._keys = keys
        self._verifier = verifier
        self.required = required

    async def caller(self, authorization: str | None) -> Caller:
        """The caller behind an `Authorization` header value (or the same in connection_init)."""
        if not authorization:
            return Caller(required=self.required)
        try:
            return Caller(principal=await self._principal(authorization), required=self.required)
        except Rejected as rejected:
            return Caller(required=self.required, rejected=str(rejected))
        except StoreUnavailable:
            return Caller(required=self.required, unverified=True)

    async def _principal(self, authorization: str) -> Principal:
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Rejected("the Authorization header must read 'Bearer <API key or JWT>'")
        if token.startswith(TOKEN_PREFIX):
            key = await self._keys.find(hash_token(token))
            if key is None:
                raise Rejected("unknown API key")
            if key.revoked_at is not None:
                raise Rejected(f"this API key ({key.name}) was revoked")
            return Principal(name=f"key:{key.name}", role=key.role)
        if self._verifier is None:
            raise Rejected(
                f"not an API key (those start with {TOKEN_PREFIX}), and this server accepts no JWTs"
            )
        return self._verifier.verify(token)
