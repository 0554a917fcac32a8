"""Idempotency keys as payment APIs keep them, against a real `eventfold serve`: a key belongs to the
caller that sent it (each API key, the anonymous caller), the same request again returns the first
result and records nothing, and another request under a used key is CONFLICT, telling nothing of the
order the key placed."""

import asyncio
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

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
    """A clerk API key's token by its name."""
    customers: list[dict[str, Any]]
    products: list[dict[str, Any]]
    position: int
    """The log position the scene was set up to, so that every caller reads it projected."""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    with sqlite_server(tmp_path_factory.mktemp("scoped-idempotency")) as process:
        yield process


@pytest.fixture(scope="module")
def scene(server: EventfoldProcess) -> Scene:
    async def set_up() -> Scene:
        async with caller(server.base) as admin:
            tokens = {}
            for name in ("shop-a", "shop-b"):
                created = await admin.data(CREATE_API_KEY, input={"name": name, "role": "CLERK"})
                tokens[name] = created["createApiKey"]["token"]
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


async def test_one_key_sent_by_two_callers_places_an_order_for_each(scene: Scene) -> None:
    key = next(KEYS)
    async with (
        caller(scene.base, scene.tokens["shop-a"], scene.position) as shop_a,
        caller(scene.base, scene.tokens["shop-b"], scene.position) as shop_b,
        caller(scene.base, position=scene.position) as anonymous,
    ):
        first = await shop_a.data(PLACE_ORDER, input=request(scene, key, customer=0))
        second = await shop_b.data(PLACE_ORDER, input=request(scene, key, customer=1, quantities=(1, 2)))
        third = await anonymous.data(PLACE_ORDER, input=request(scene, key, customer=1, quantities=(5,)))

    orders = [answer["placeOrder"]["order"] for answer in (first, second, third)]
    assert len({order["id"] for order in orders}) == 3
    assert [order["customer"]["name"] for order in orders] == ["Ann Lee", "Bob Ray", "Bob Ray"]
    assert [[line["quantity"] for line in order["lines"]] for order in orders] == [[3], [1, 2], [5]]
    assert all(answer["placeOrder"]["events"][0]["type"] == "OrderPlaced" for answer in (second, third))


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
