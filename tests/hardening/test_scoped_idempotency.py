"""Idempotency keys as payment APIs keep them, against a real `eventfold serve`: a key belongs to the
caller that sent it (each API key, each JWT subject, the anonymous caller), the same request again
returns the first result and records nothing, and another request under a used key is CONFLICT,
telling nothing of the order the key placed."""

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.access.test_authentication import AUDIENCE, ISSUER, public_pem, token_for
from tests.e2e.operations import PLACE_ORDER, create_product, register_customer
from tests.hardening.callers import caller, log_end, sqlite_server
from tests.hardening.server_process import EventfoldProcess

CREATE_API_KEY = """
mutation($input: CreateApiKeyInput!) { createApiKey(input: $input) { token } }
"""
KEYS = (f"checkout-{number}" for number in itertools.count())
"""A fresh idempotency key for each use: the tests share one server."""


@dataclass
class Scene:
    base: str
    tokens: dict[str, str]
    """The bearer token of each clerk: two API keys, and a JWT whose subject is one of their names."""
    customers: list[dict[str, Any]]
    products: list[dict[str, Any]]
    position: int
    """The log position the scene was set up to, so that every caller reads it projected."""


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, signing_key: rsa.RSAPrivateKey
) -> Iterator[EventfoldProcess]:
    data = tmp_path_factory.mktemp("scoped-idempotency")
    (data / "jwt.pem").write_bytes(public_pem(signing_key))
    jwt = {"jwt_key_file": str(data / "jwt.pem"), "jwt_issuer": ISSUER, "jwt_audience": AUDIENCE}
    with sqlite_server(data, **jwt) as process:
        yield process


@pytest.fixture(scope="module")
def scene(server: EventfoldProcess, signing_key: rsa.RSAPrivateKey) -> Scene:
    async def set_up() -> Scene:
        async with caller(server.base) as admin:
            tokens = {}
            for name in ("shop-a", "shop-b"):
                created = await admin.data(CREATE_API_KEY, input={"name": name, "role": "CLERK"})
                tokens[name] = created["createApiKey"]["token"]
            tokens["jwt:shop-a"] = token_for(
                signing_key, sub="shop-a", exp=datetime.now(UTC) + timedelta(hours=1)
            )
            customers = [await register_customer(admin, name) for name in ("Ann Lee", "Bob Ray")]
            products = [await create_product(admin, sku, "19.90") for sku in ("W-1", "G-1")]
            return Scene(server.base, tokens, customers, products, admin.position)

    return asyncio.run(set_up())


def request(scene: Scene, key: str, customer: int = 0, quantities: tuple[int, ...] = (3,)) -> dict[str, Any]:
    lines = [
        {"productId": product["id"], "quantity": quantity}
        for product, quantity in zip(scene.products, quantities, strict=False)
    ]
    return {"customerId": scene.customers[customer]["id"], "lines": lines, "idempotencyKey": key}


async def test_one_key_sent_by_each_caller_places_an_order_for_each(scene: Scene) -> None:
    key = next(KEYS)
    async with (
        caller(scene.base, scene.tokens["shop-a"], scene.position) as shop_a,
        caller(scene.base, scene.tokens["shop-b"], scene.position) as shop_b,
        caller(scene.base, scene.tokens["jwt:shop-a"], scene.position) as subject,
        caller(scene.base, position=scene.position) as anonymous,
    ):
        answers = [
            await shop_a.data(PLACE_ORDER, input=request(scene, key, customer=0)),
            await shop_b.data(PLACE_ORDER, input=request(scene, key, customer=1, quantities=(1, 2))),
            await subject.data(PLACE_ORDER, input=request(scene, key, customer=1, quantities=(4,))),
            await anonymous.data(PLACE_ORDER, input=request(scene, key, customer=1, quantities=(5,))),
        ]

    orders = [answer["placeOrder"]["order"] for answer in answers]
    assert len({order["id"] for order in orders}) == 4
    assert [order["customer"]["name"] for order in orders] == ["Ann Lee", "Bob Ray", "Bob Ray", "Bob Ray"]
    assert [[line["quantity"] for line in order["lines"]] for order in orders] == [[3], [1, 2], [4], [5]]
    assert all(answer["placeOrder"]["events"][0]["type"] == "OrderPlaced" for answer in answers)
    actors = [answer["placeOrder"]["events"][0]["metadata"].get("actor") for answer in answers]
    assert actors == ["key:shop-a", "key:shop-b", "jwt:shop-a", None]


async def test_the_same_request_again_returns_the_callers_first_result_and_records_nothing(
    scene: Scene,
) -> None:
    key = next(KEYS)
    same = request(scene, key, quantities=(2, 1))
    async with (
        caller(scene.base, scene.tokens["shop-a"], scene.position) as shop_a,
        caller(scene.base, scene.tokens["shop-b"], scene.position) as shop_b,
    ):
        first = await shop_a.data(PLACE_ORDER, input=same)
        end = await log_end(shop_a)
        again = await shop_a.data(PLACE_ORDER, input=same)
        assert await log_end(shop_a) == end
        others = await shop_b.data(PLACE_ORDER, input=same)
        assert await log_end(shop_b) == end + 1

    assert again == first
    assert others["placeOrder"]["order"]["id"] != first["placeOrder"]["order"]["id"]
    assert [event["version"] for event in others["placeOrder"]["events"]] == [1]


@pytest.mark.parametrize("who", ["shop-a", None])
@pytest.mark.parametrize(
    "other",
    [
        {"customer": 1},
        {"quantities": (4,)},
        {"quantities": (3, 1)},
    ],
    ids=["another customer", "another quantity", "another line"],
)
async def test_another_request_under_a_used_key_is_conflict_and_reveals_nothing(
    scene: Scene, who: str | None, other: dict[str, Any]
) -> None:
    key = next(KEYS)
    async with caller(scene.base, who and scene.tokens[who], scene.position) as client:
        first = await client.data(PLACE_ORDER, input=request(scene, key))
        end = await log_end(client)
        error = await client.error(PLACE_ORDER, input=request(scene, key, **other))
        assert await log_end(client) == end

    assert error["extensions"] == {"code": "CONFLICT"}
    order = first["placeOrder"]["order"]
    for secret in (order["id"], "Ann", "ann.lee@example.com", scene.customers[0]["id"]):
        assert secret not in error["message"]


async def test_racing_requests_under_one_key_place_one_order_and_refuse_the_others(scene: Scene) -> None:
    key = next(KEYS)
    attempts = [request(scene, key, quantities=(1 + number % 2,)) for number in range(8)]
    async with caller(scene.base, scene.tokens["shop-b"], scene.position) as client:
        end = await log_end(client)
        answers = await asyncio.gather(*(client.execute(PLACE_ORDER, input=attempt) for attempt in attempts))
        assert await log_end(client) == end + 1

    placed = [(attempt, answer) for attempt, answer in zip(attempts, answers, strict=True) if answer["data"]]
    refused = [answer for answer in answers if not answer["data"]]
    assert len({answer["data"]["placeOrder"]["order"]["id"] for _, answer in placed}) == 1
    assert len({attempt["lines"][0]["quantity"] for attempt, _ in placed}) == 1
    assert len(placed) + len(refused) == len(attempts)
    assert {error["extensions"]["code"] for answer in refused for error in answer["errors"]} <= {"CONFLICT"}
