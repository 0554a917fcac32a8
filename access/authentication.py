"""Turns a bearer token into a caller: an API key from the database or a JWT from a trusted issuer.

Whether a token is needed at all is decided once, at start (`auth_required`); what each role may
do is decided in access/rules.py.
"""

import ipaddress
import logging
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import jwt

from access.api_keys import TOKEN_PREFIX, hash_token
from access.principals import Caller, Principal, Role
from store.api_keys import ApiKeys
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


def auth_required(mode: Literal["auto", "on", "off"], host: str, port: int) -> bool:
    """Secure by default: in `auto` mode only a server listening on `host` reachable from this
    machine alone runs open; `on` and `off` are the operator saying otherwise."""
    if mode == "on":
        return True
    if mode == "off":
        logger.warning(
            "EVENTFOLD_AUTH=off: anyone who can reach %s:%s can do everything, key management included",
            host,
            port,
        )
        return False
    return not is_loopback(host)


@dataclass(frozen=True, slots=True)
class JwtVerifier:
    """Verifies JWTs offline with a key or a key set given to it; nothing is fetched."""

    key: str | None
    jwks: jwt.PyJWKSet | None
    algorithms: list[str]
    issuer: str | None
    audience: str | None
    role_claim: str
    customer_claim: str = "customer_id"

    def verify(self, token: str) -> Principal:
        try:
            key: object = self.key
            if self.jwks is not None:
                key_id = jwt.get_unverified_header(token).get("kid")
                key = next((found.key for found in self.jwks.keys if found.key_id == key_id), None)
                if key is None:
                    raise Rejected(f"the JWT's key id {key_id!r} is not in the configured key set")
            claims = jwt.decode(
                token,
                key,  # type: ignore[arg-type]
                algorithms=self.algorithms,
                issuer=self.issuer,
                audience=self.audience,
                options={"require": ["exp", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise Rejected(f"invalid JWT: {error}") from None
        role = claims.get(self.role_claim)
        # A claim may hold any JSON value: only a string can name a role.
        if not isinstance(role, str) or role not in set(Role):
            raise Rejected(f"the JWT's {self.role_claim!r} claim must be one of {ROLES}, got {role!r}")
        if role != Role.CUSTOMER:
            return Principal(name=f"jwt:{claims['sub']}", role=Role(role))
        customer_id = claims.get(self.customer_claim)
        try:
            bound = UUID(customer_id) if isinstance(customer_id, str) else None
        except ValueError:
            bound = None
        if bound is None:
            raise Rejected(
                f"a customer JWT must hold the customer's id in its {self.customer_claim!r} claim, "
                f"got {customer_id!r}"
            )
        return Principal(name=f"jwt:{claims['sub']}", role=Role.CUSTOMER, customer_id=bound)


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
            return Principal(name=f"key:{key.name}", role=Role(key.role), customer_id=key.customer_id)
        if self._verifier is None:
            raise Rejected(
                f"not an API key (those start with {TOKEN_PREFIX}), and this server accepts no JWTs"
            )
        return self._verifier.verify(token)
