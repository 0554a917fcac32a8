"""Secure by default, JWTs, and the `eventfold keys` command."""

import contextlib
import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from app.settings import Settings
from app.web import create_app

ORDERS = "{ orders { edges { node { id } } } }"
PRODUCT = (
    'mutation { createProduct(input: {sku: "S-1", name: "Lamp", price: "9.90"}) { events { metadata } } }'
)
ISSUER = "https://login.example"
AUDIENCE = "eventfold"


@contextlib.asynccontextmanager
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield http


async def post(http: httpx.AsyncClient, query: str, token: str | None = None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.post("/graphql", json={"query": query}, headers=headers)
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


async def test_on_loopback_no_token_is_needed(tmp_path: Path) -> None:
    async with client(Settings(mongodb_uri=None, data_dir=tmp_path, host="127.0.0.1")) as http:
        assert codes(await post(http, ORDERS)) == []


async def test_listening_beyond_loopback_requires_a_token(tmp_path: Path) -> None:
    async with client(Settings(mongodb_uri=None, data_dir=tmp_path, host="0.0.0.0")) as http:
        assert codes(await post(http, ORDERS)) == ["UNAUTHENTICATED"]
        assert codes(await post(http, PRODUCT)) == ["UNAUTHENTICATED"]


async def test_auth_off_lets_anyone_in_and_says_so_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(mongodb_uri=None, data_dir=tmp_path, host="0.0.0.0", auth="off")
    with caplog.at_level(logging.WARNING, logger="eventfold.auth"):
        async with client(settings) as http:
            assert codes(await post(http, PRODUCT)) == []
    assert any("EVENTFOLD_AUTH=off" in record.message for record in caplog.records)


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def token_for(key: rsa.RSAPrivateKey, **overrides: Any) -> str:
    claims = {
        "sub": "alice",
        "role": "clerk",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "exp": datetime.now(UTC) + timedelta(minutes=5),
        **overrides,
    }
    headers = {"kid": overrides.pop("kid")} if "kid" in overrides else None
    claims.pop("kid", None)
    return jwt.encode({k: v for k, v in claims.items() if v is not None}, key, "RS256", headers=headers)


def jwt_settings(tmp_path: Path, **extra: Any) -> Settings:
    return Settings(
        mongodb_uri=None, data_dir=tmp_path, auth="on", jwt_issuer=ISSUER, jwt_audience=AUDIENCE, **extra
    )


async def test_a_jwt_from_the_configured_issuer_acts_in_its_role(
    tmp_path: Path, signing_key: rsa.RSAPrivateKey
) -> None:
    (tmp_path / "key.pem").write_bytes(public_pem(signing_key))
    async with client(jwt_settings(tmp_path, jwt_key_file=tmp_path / "key.pem")) as http:
        clerk = await post(http, PRODUCT, token_for(signing_key))
        assert codes(clerk) == []
        assert clerk["data"]["createProduct"]["events"][0]["metadata"]["actor"] == "jwt:alice"

        viewer = token_for(signing_key, role="viewer")
        assert codes(await post(http, ORDERS, viewer)) == []
        assert codes(await post(http, PRODUCT, viewer)) == ["FORBIDDEN"]


async def test_a_customer_jwt_acts_for_the_customer_its_claim_names(
    tmp_path: Path, signing_key: rsa.RSAPrivateKey
) -> None:
    (tmp_path / "key.pem").write_bytes(public_pem(signing_key))
    settings = jwt_settings(tmp_path, jwt_key_file=tmp_path / "key.pem", jwt_customer_claim="shopper")
    async with client(settings) as http:
        registered = await post(
            http,
            'mutation { registerCustomer(input: {name: "Ann", email: "ann@example.com"}) '
            "{ customer { id } } }",
            token_for(signing_key),
        )
        ann = registered["data"]["registerCustomer"]["customer"]["id"]
        customer = token_for(signing_key, role="customer", shopper=ann)
        # Its own customer, read through the command side's own record (the read model may lag).
        body = await post(http, f'{{ history(id: "{ann}") {{ edges {{ node {{ type }} }} }} }}', customer)
        assert body["data"]["history"]["edges"] == [{"node": {"type": "CustomerRegistered"}}]
        assert codes(await post(http, PRODUCT, customer)) == ["FORBIDDEN"]
        other = token_for(signing_key, role="customer", shopper=str(uuid.uuid4()))
        body = await post(http, f'{{ history(id: "{ann}") {{ edges {{ node {{ type }} }} }} }}', other)
        assert body["data"]["history"]["edges"] == []


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"exp": datetime(2020, 1, 1, tzinfo=UTC)}, "expired"),
        ({"aud": "someone-else"}, "Audience"),
        ({"iss": "https://evil.example"}, "issuer"),
        ({"role": "owner"}, "'role' claim must be one of admin, clerk, viewer, customer"),
        ({"role": None}, "'role' claim"),
        ({"role": ["admin"]}, "'role' claim must be one of admin, clerk, viewer, customer, got ['admin']"),
        ({"role": "customer"}, "must hold the customer's id in its 'customer_id' claim, got None"),
        ({"role": "customer", "customer_id": "me"}, "'customer_id' claim, got 'me'"),
        ({"role": "customer", "customer_id": 42}, "'customer_id' claim, got 42"),
        ({"exp": None}, "exp"),
    ],
)
async def test_a_jwt_that_does_not_verify_is_unauthenticated(
    tmp_path: Path, signing_key: rsa.RSAPrivateKey, overrides: dict[str, Any], says: str
) -> None:
    (tmp_path / "key.pem").write_bytes(public_pem(signing_key))
    async with client(jwt_settings(tmp_path, jwt_key_file=tmp_path / "key.pem")) as http:
        body = await post(http, ORDERS, token_for(signing_key, **overrides))
        assert codes(body) == ["UNAUTHENTICATED"]
        assert says in body["errors"][0]["message"]


async def test_a_jwt_signed_by_another_key_is_unauthenticated(
    tmp_path: Path, signing_key: rsa.RSAPrivateKey
) -> None:
    (tmp_path / "key.pem").write_bytes(public_pem(signing_key))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    async with client(jwt_settings(tmp_path, jwt_key_file=tmp_path / "key.pem")) as http:
        body = await post(http, ORDERS, token_for(other))
        assert codes(body) == ["UNAUTHENTICATED"]
        assert "Signature verification failed" in body["errors"][0]["message"]


async def test_a_jwks_file_picks_the_key_by_its_id(tmp_path: Path, signing_key: rsa.RSAPrivateKey) -> None:
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**public, "kid": "k1", "use": "sig"}]}))
    async with client(jwt_settings(tmp_path, jwt_jwks_file=tmp_path / "jwks.json")) as http:
        assert codes(await post(http, ORDERS, token_for(signing_key, kid="k1"))) == []
        body = await post(http, ORDERS, token_for(signing_key, kid="k2"))
        assert codes(body) == ["UNAUTHENTICATED"]
        assert "'k2' is not in the configured key set" in body["errors"][0]["message"]


def eventfold(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "EVENTFOLD_DATA_DIR": str(data_dir), "EVENTFOLD_LOG_LEVEL": "warning"}
    env.pop("EVENTFOLD_MONGODB_URI", None)
    command = [str(Path(sys.executable).parent / "eventfold"), *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)


async def test_keys_made_with_the_cli_let_their_holders_in_until_revoked(tmp_path: Path) -> None:
    created = eventfold(tmp_path, "keys", "create", "--role", "viewer", "--name", "wallboard")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("efk_")

    settings = Settings(mongodb_uri=None, data_dir=tmp_path, auth="on", api_key_cache_seconds=0)
    async with client(settings) as http:
        assert codes(await post(http, ORDERS, token)) == []
        assert codes(await post(http, PRODUCT, token)) == ["FORBIDDEN"]

        again = eventfold(tmp_path, "keys", "create", "--role", "clerk", "--name", "wallboard")
        assert again.returncode == 2
        assert "exists already" in again.stderr

        listed = eventfold(tmp_path, "keys", "list")
        assert "viewer" in listed.stdout
        assert "active" in listed.stdout
        assert "wallboard" in listed.stdout
        assert token not in listed.stdout

        revoked = eventfold(tmp_path, "keys", "revoke", "wallboard")
        assert revoked.returncode == 0, revoked.stderr
        body = await post(http, ORDERS, token)
        assert codes(body) == ["UNAUTHENTICATED"]
        assert "revoked" in body["errors"][0]["message"]

    assert eventfold(tmp_path, "keys", "revoke", "nobody").returncode == 1
    for refused, says in [
        (("--role", "customer"), "needs the id of the customer"),
        (("--role", "clerk", "--customer", str(uuid.uuid4())), "only a key of the customer role"),
    ]:
        made = eventfold(tmp_path, "keys", "create", "--name", "shop", *refused)
        assert made.returncode == 2, made
        assert says in made.stderr
    unknown = eventfold(
        tmp_path, "keys", "create", "--name", "shop", "--role", "customer", "--customer", str(uuid.uuid4())
    )
    assert unknown.returncode == 1
    assert "does not exist" in unknown.stderr
    bad_role = eventfold(tmp_path, "keys", "create", "--role", "owner", "--name", "x")
    assert bad_role.returncode == 2
    assert "invalid choice" in bad_role.stderr
