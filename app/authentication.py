"""Authentication as the settings configure it: whether a token is required here, and the JWT
verifier built from the key files named (access/authentication.py does the checking)."""

import jwt

from access.authentication import JwtVerifier
from access.authentication import auth_required as required_for
from app.settings import Settings


def auth_required(settings: Settings) -> bool:
    return required_for(settings.auth, settings.host, settings.port)


def jwt_verifier(settings: Settings) -> JwtVerifier | None:
    """None when no key is configured: this server then accepts API keys only."""
    if settings.jwt_key_file is None and settings.jwt_jwks_file is None:
        return None
    return JwtVerifier(
        key=settings.jwt_key_file.read_text() if settings.jwt_key_file else None,
        jwks=jwt.PyJWKSet.from_json(settings.jwt_jwks_file.read_text()) if settings.jwt_jwks_file else None,
        algorithms=settings.jwt_algorithms,
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        role_claim=settings.jwt_role_claim,
        customer_claim=settings.jwt_customer_claim,
    )
