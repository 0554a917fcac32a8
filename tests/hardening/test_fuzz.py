"""Fuzz: generated mutation inputs (unicode, huge and negative numbers, empty and enormous strings,
deep nesting, wrong types, missing and unknown fields), as variables and as literals in the document,
over HTTP. None gets INTERNAL_SERVER_ERROR, every error has a code, and the event log changes by
exactly the events an accepted mutation reports: a rejected one records nothing."""

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.settings import Settings
from app.web import create_app
from tests.hardening.audit import LOG, query
from tests.hardening.workload import session, set_scene
from tests.live_server import live_server

MUTATIONS = {
    "registerCustomer": ("RegisterCustomerInput", "customer { id version }"),
    "changeCustomerAddress": ("ChangeCustomerAddressInput", "customer { id version }"),
    "changeCustomerEmail": ("ChangeCustomerEmailInput", "customer { id version }"),
    "verifyCustomerEmail": ("VerifyCustomerEmailInput", "customer { id version }"),
    "createProduct": ("CreateProductInput", "product { id version }"),
    "changeProductPrice": ("ChangeProductPriceInput", "product { id version }"),
    "placeOrder": ("PlaceOrderInput", "order { id version }"),
    "shipOrder": ("ShipOrderInput", "order { id version }"),
    "cancelOrder": ("CancelOrderInput", "order { id version }"),
}
ADDRESS = {"street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
CUSTOMER, PRODUCT, ORDER = "<customer>", "<product>", "<order>"
"""Stand-ins for the ids of the entities the test creates first."""
VALID = {
    "registerCustomer": {"name": "Zoë", "email": "zoe@example.com", "address": ADDRESS},
    "changeCustomerAddress": {"customerId": CUSTOMER, "address": ADDRESS, "expectedVersion": 1},
    "changeCustomerEmail": {"customerId": CUSTOMER, "email": "new@example.com"},
    "verifyCustomerEmail": {"customerId": CUSTOMER, "expectedVersion": 1},
    "createProduct": {"sku": "FZ-1", "name": "Fuzz", "price": "9.99"},
    "changeProductPrice": {"productId": PRODUCT, "price": "12.50", "expectedVersion": 1},
    "placeOrder": {"customerId": CUSTOMER, "lines": [{"productId": PRODUCT, "quantity": 2}]},
    "shipOrder": {"orderId": ORDER, "carrier": "DHL", "trackingNumber": "JD1"},
    "cancelOrder": {"orderId": ORDER, "reason": "no longer needed", "expectedVersion": 1},
}
"""An input each mutation accepts (or refuses for a business reason), to be spoiled."""


@dataclass(frozen=True)
class Deep:
    """Objects and lists nested `depth` deep, written out by `to_json` and `literal` without recursion."""

    depth: int


odd_values = st.one_of(
    st.text(),
    st.just(""),
    st.integers(min_value=1_000, max_value=50_000).map(lambda size: "é€😀" * size),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([0, -1, 1001, 2**31, -(2**31) - 1, 2**63]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["-1", "0", "0.001", "1e400", "NaN", "Infinity", "19.999", "12,50", "١٢٣", " 5 "]),
    st.uuids().map(str),
    st.sampled_from([CUSTOMER, PRODUCT, ORDER]),
    st.booleans(),
    st.none(),
    st.one_of(st.integers(min_value=1, max_value=200), st.sampled_from([999, 1000, 5000, 100_000])).map(Deep),
    st.lists(st.text(max_size=5), max_size=3),
    st.dictionaries(st.text(max_size=8), st.integers(), max_size=3),
)


@st.composite
def spoiled(draw: st.DrawFn) -> tuple[str, Any]:
    """A mutation's name and an input: the valid one with fields replaced, dropped or added (also in
    the address or an order line), or now and then something that is not an input at all."""
    name = draw(st.sampled_from(sorted(MUTATIONS)))
    value: dict[str, Any] = json.loads(json.dumps(VALID[name]))
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        target = value
        inner = [
            key
            for key, field in value.items()
            if isinstance(field, dict) or (isinstance(field, list) and field)
        ]
        reach_in: bool = draw(st.booleans())
        if inner and reach_in:
            chosen = value[draw(st.sampled_from(inner))]
            target = chosen[0] if isinstance(chosen, list) else chosen
            if not isinstance(target, dict):
                continue
        action = draw(st.sampled_from(["replace", "drop", "add"]))
        if action == "replace" and target:
            target[draw(st.sampled_from(sorted(target)))] = draw(odd_values)
        elif action == "drop" and target:
            del target[draw(st.sampled_from(sorted(target)))]
        else:
            target[draw(st.text(min_size=1, max_size=20))] = draw(odd_values)
    if draw(st.integers(min_value=0, max_value=9)) == 0:
        return name, draw(odd_values)
    return name, value


def to_json(value: Any, ids: dict[str, str]) -> str:
    if isinstance(value, Deep):
        return '{"x": [' * value.depth + '"deep"' + "]}" * value.depth
    if isinstance(value, dict):
        return (
            "{" + ", ".join(f"{json.dumps(key)}: {to_json(item, ids)}" for key, item in value.items()) + "}"
        )
    if isinstance(value, list):
        return "[" + ", ".join(to_json(item, ids) for item in value) + "]"
    return json.dumps(ids.get(value, value) if isinstance(value, str) else value)


def literal(value: Any, ids: dict[str, str]) -> str:
    """`value` written as a GraphQL literal, as a client might inline it into the document."""
    if isinstance(value, Deep):
        return "{x: [" * value.depth + '"deep"' + "]}" * value.depth
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {literal(item, ids)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(literal(item, ids) for item in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(ids.get(value, value))
    return repr(value)


@dataclass
class Target:
    """The server under test, the entities the valid inputs name, and how far the log has got."""

    base: str
    ids: dict[str, str] = field(default_factory=dict)
    head: int = 0
    tried: int = 0


@pytest.fixture
def target(settings: Settings, backend: str) -> Iterator[Target]:
    with live_server(create_app(settings)) as address:
        target = Target(f"http://{address}")
        yield target
    print(f"\nfuzz on {backend}: {target.tried} inputs tried, no internal error, no partial write")


async def log_after(http: aiohttp.ClientSession, position: int) -> list[dict[str, Any]]:
    page = (await query(http, LOG, after=position))["events"]
    events: list[dict[str, Any]] = [edge["node"] for edge in page["edges"]]
    return events


async def send(target: Target, name: str, value: Any, inline: bool) -> None:
    input_type, selection = MUTATIONS[name]
    async with session(target.base) as http:
        if not target.ids:
            scene = await set_scene(http, orders=1, prefix="fuzz")
            target.ids = {CUSTOMER: scene.customers[0], PRODUCT: scene.products[0], ORDER: scene.orders[0]}
            target.head = len(await log_after(http, 0))
        payload = f"{selection} events {{ id }}"
        if inline:
            document = f"mutation {{ {name}(input: {literal(value, target.ids)}) {{ {payload} }} }}"
            body = json.dumps({"query": document})
        else:
            document = f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {payload} }} }}"
            body = (
                f'{{"query": {json.dumps(document)}, "variables": {{"input": {to_json(value, target.ids)}}}}}'
            )
        headers = {"Content-Type": "application/json"}
        async with http.post("/graphql", data=body.encode(), headers=headers) as response:
            status, text, kind = response.status, await response.text(), response.content_type
        target.tried += 1
        assert status < 500, text
        answer: dict[str, Any] = (
            json.loads(text) if kind == "application/json" else {"errors": [{"plain": text}]}
        )
        errors = answer.get("errors") or []
        if kind == "application/json":
            for error in errors:
                assert error.get("extensions", {}).get("code") not in (None, "INTERNAL_SERVER_ERROR"), error
        recorded = await log_after(http, target.head)
        if errors or not answer.get("data"):
            assert recorded == [], f"a rejected {name} recorded {recorded}"
        else:
            assert [event["id"] for event in recorded] == [e["id"] for e in answer["data"][name]["events"]]
        if recorded:
            target.head = recorded[-1]["position"]


FUZZ = settings(
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.mark.parametrize("backend", ["sqlite"])
@settings(FUZZ, max_examples=400)
@given(case=spoiled(), inline=st.booleans())
async def test_generated_mutation_inputs_on_sqlite(
    target: Target, case: tuple[str, Any], inline: bool
) -> None:
    await send(target, *case, inline)


@pytest.mark.parametrize("backend", ["mongodb"])
@settings(FUZZ, max_examples=100)
@given(case=spoiled(), inline=st.booleans())
async def test_generated_mutation_inputs_on_mongodb(
    target: Target, case: tuple[str, Any], inline: bool
) -> None:
    await send(target, *case, inline)
