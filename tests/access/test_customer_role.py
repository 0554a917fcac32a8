"""The customer role, bound to one customer: every operation over HTTP and over WebSocket. Its own
customer and orders are answered, another customer's as if they did not exist (null, an empty page,
NOT_FOUND), and everything else is FORBIDDEN. Its subscriptions see its own orders only, also when
another customer subscribes with the same document (shared executions are per customer)."""

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import websockets

from access.api_keys import issue
from access.principals import Role
from app.settings import Settings
from app.stores import open_from
from tests.access.test_roles import CUSTOMER_FIELDS, MUTATIONS, QUERIES, open_socket

WAIT = 10
QUIET_SECONDS = 0.5
"""How long a subscription that must see nothing is watched, once a later event arrived elsewhere."""


@pytest.fixture
async def admin(secured: Settings) -> str:
    stores = await open_from(secured)
    try:
        return (await issue(stores.api_keys, "admin-key", Role.ADMIN, datetime.now(UTC)))[1]
    finally:
        await stores.close()


async def post(http: httpx.AsyncClient, query: str, token: str) -> dict[str, Any]:
    response = await http.post(
        "/graphql", json={"query": query}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def over_websocket(server: str, query: str, token: str) -> dict[str, Any]:
    """The answer to one query or mutation over graphql-transport-ws, as an HTTP body would read."""
    socket = await subscribe(server, token, query)
    try:
        while True:
            message = await received(socket)
            if message["type"] == "next":
                payload: dict[str, Any] = message["payload"]
                return payload
            if message["type"] == "error":
                return {"data": None, "errors": message["payload"]}
    finally:
        await socket.close()


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


@dataclass(frozen=True, slots=True)
class Scene:
    ann: str
    bob: str
    lamp: str
    anns_order: str
    bobs_order: str
    anns_token: str
    bobs_token: str
    cancellable: dict[str, str]
    """An order of Ann's for each transport to cancel."""


async def place(http: httpx.AsyncClient, token: str, customer: str, product: str) -> str:
    body = await post(
        http,
        f'mutation {{ placeOrder(input: {{customerId: "{customer}", '
        f'lines: [{{productId: "{product}", quantity: 1}}]}}) {{ order {{ id }} }} }}',
        token,
    )
    assert codes(body) == [], body
    order_id: str = body["data"]["placeOrder"]["order"]["id"]
    return order_id


async def customer_key(http: httpx.AsyncClient, admin: str, name: str, customer: str) -> str:
    body = await post(
        http,
        f'mutation {{ createApiKey(input: {{name: "{name}", role: CUSTOMER, customerId: "{customer}"}}) '
        "{ token apiKey { role customerId } } }",
        admin,
    )
    assert body["data"]["createApiKey"]["apiKey"] == {"role": "CUSTOMER", "customerId": customer}, body
    token: str = body["data"]["createApiKey"]["token"]
    return token


@pytest.fixture
async def scene(http: httpx.AsyncClient, admin: str) -> Scene:
    ids = {}
    for name in ("Ann Lee", "Bob Ray"):
        email = name.lower().replace(" ", ".") + "@example.com"
        body = await post(
            http,
            f'mutation {{ registerCustomer(input: {{name: "{name}", email: "{email}"}}) '
            "{ customer { id } } }",
            admin,
        )
        ids[name] = body["data"]["registerCustomer"]["customer"]["id"]
    ann, bob = ids["Ann Lee"], ids["Bob Ray"]
    product = await post(
        http,
        'mutation { createProduct(input: {sku: "LAMP-1", name: "Desk Lamp", price: "9.90"}) '
        "{ product { id } } }",
        admin,
    )
    lamp = product["data"]["createProduct"]["product"]["id"]
    anns_order, bobs_order = await place(http, admin, ann, lamp), await place(http, admin, bob, lamp)
    cancellable = {transport: await place(http, admin, ann, lamp) for transport in ("http", "ws")}
    for _ in range(200):
        listed = await post(http, "{ orders(first: 10) { edges { node { id } } } }", admin)
        if len(listed["data"]["orders"]["edges"]) == 4:
            break
        await asyncio.sleep(0.05)
    return Scene(
        ann,
        bob,
        lamp,
        anns_order,
        bobs_order,
        await customer_key(http, admin, "anns-shop", ann),
        await customer_key(http, admin, "bobs-shop", bob),
        cancellable,
    )


Check = Callable[[dict[str, Any]], bool]


def edges(body: dict[str, Any], field: str) -> set[str]:
    return {edge["node"]["id"] for edge in body["data"][field]["edges"]}


def owners(body: dict[str, Any]) -> set[str]:
    return {edge["node"]["customerId"] for edge in body["data"]["orders"]["edges"]}


def found(body: dict[str, Any]) -> set[str]:
    return edges(body, "searchOrders")


def own_orders(scene: Scene) -> list[tuple[str, str, Check]]:
    """What Ann may read of her orders, and what each answer must be."""
    now = datetime.now(UTC).isoformat()
    return [
        (
            "order",
            f'{{ order(id: "{scene.anns_order}") {{ id }} }}',
            lambda b: b["data"]["order"] is not None,
        ),
        (
            "order asOf",
            f'{{ order(id: "{scene.anns_order}", asOf: "{now}") {{ id }} }}',
            lambda b: b["data"]["order"] is not None,
        ),
        (
            "orders",
            "{ orders(first: 50) { edges { node { id customerId } } } }",
            lambda b: owners(b) == {scene.ann} and scene.anns_order in edges(b, "orders"),
        ),
        (
            "orders asOf",
            f'{{ orders(first: 50, asOf: "{now}") {{ edges {{ node {{ id customerId }} }} }} }}',
            lambda b: owners(b) == {scene.ann} and scene.anns_order in edges(b, "orders"),
        ),
        (
            "history of an order",
            f'{{ history(id: "{scene.anns_order}") {{ edges {{ node {{ type }} }} }} }}',
            lambda b: len(b["data"]["history"]["edges"]) >= 1,
        ),
        (
            "searchOrders",
            '{ searchOrders(text: "lamp", first: 50) { edges { node { id } } } }',
            lambda b: scene.anns_order in found(b) and scene.bobs_order not in found(b),
        ),
    ]


def own_reads(scene: Scene) -> list[tuple[str, str, Check]]:
    """What Ann may read of what is hers, and of the products."""
    return [
        *own_orders(scene),
        (
            "customer",
            f'{{ customer(id: "{scene.ann}") {{ id }} }}',
            lambda b: b["data"]["customer"]["id"] == scene.ann,
        ),
        (
            "customers",
            "{ customers(first: 50) { edges { node { id } } } }",
            lambda b: edges(b, "customers") == {scene.ann},
        ),
        (
            "customers by a word of their own",
            '{ customers(search: "ann") { edges { node { id } } } }',
            lambda b: edges(b, "customers") == {scene.ann},
        ),
        (
            "history of the customer",
            f'{{ history(id: "{scene.ann}") {{ edges {{ node {{ type }} }} }} }}',
            lambda b: len(b["data"]["history"]["edges"]) >= 1,
        ),
        (
            "product",
            f'{{ product(id: "{scene.lamp}") {{ id }} }}',
            lambda b: b["data"]["product"] is not None,
        ),
        (
            "node",
            f'{{ node(id: "{scene.anns_order}") {{ id }} }}',
            lambda b: b["data"]["node"] == {"id": scene.anns_order},
        ),
        (
            "nodes",
            f'{{ nodes(ids: ["{scene.anns_order}", "{scene.ann}", "{scene.lamp}"]) {{ id }} }}',
            lambda b: [n["id"] for n in b["data"]["nodes"]] == [scene.anns_order, scene.ann, scene.lamp],
        ),
        (
            "products",
            "{ products { edges { node { id } } } }",
            lambda b: edges(b, "products") == {scene.lamp},
        ),
    ]


def own_writes(scene: Scene, transport: str) -> list[tuple[str, str, Check]]:
    """What Ann may change of what is hers, over `transport`."""
    return [
        (
            "placeOrder",
            f'mutation {{ placeOrder(input: {{customerId: "{scene.ann}", '
            f'lines: [{{productId: "{scene.lamp}", quantity: 1}}]}}) {{ order {{ customerId }} }} }}',
            lambda b: b["data"]["placeOrder"]["order"]["customerId"] == scene.ann,
        ),
        (
            "cancelOrder",
            f'mutation {{ cancelOrder(input: {{orderId: "{scene.cancellable[transport]}", reason: "no"}}) '
            "{ order { status } } }",
            lambda b: b["data"]["cancelOrder"]["order"]["status"] == "CANCELLED",
        ),
    ]


def others(scene: Scene) -> list[tuple[str, str, Check]]:
    """What is Bob's (or nobody's), asked by Ann: answered as if it did not exist."""
    now = datetime.now(UTC).isoformat()
    return [
        ("customer", f'{{ customer(id: "{scene.bob}") {{ id }} }}', lambda b: b["data"]["customer"] is None),
        ("order", f'{{ order(id: "{scene.bobs_order}") {{ id }} }}', lambda b: b["data"]["order"] is None),
        (
            "order asOf",
            f'{{ order(id: "{scene.bobs_order}", asOf: "{now}") {{ id }} }}',
            lambda b: b["data"]["order"] is None,
        ),
        (
            "Bob and his order as nodes",
            f'{{ nodes(ids: ["{scene.bob}", "{scene.bobs_order}"]) {{ id }} }} ',
            lambda b: b["data"]["nodes"] == [None, None],
        ),
        (
            "orders of Bob",
            f'{{ orders(filter: {{customerId: "{scene.bob}"}}) {{ edges {{ node {{ id }} }} }} }}',
            lambda b: edges(b, "orders") == set(),
        ),
        (
            "history of Bob's order",
            f'{{ history(id: "{scene.bobs_order}") {{ edges {{ node {{ type }} }} }} }}',
            lambda b: b["data"]["history"]["edges"] == [],
        ),
        (
            "history of Bob",
            f'{{ history(id: "{scene.bob}") {{ edges {{ node {{ type }} }} }} }}',
            lambda b: b["data"]["history"]["edges"] == [],
        ),
        (
            "customers named Bob",
            '{ customers(search: "bob") { edges { node { id } } } }',
            lambda b: edges(b, "customers") == set(),
        ),
        (
            "searchOrders for Bob",
            '{ searchOrders(text: "bob") { edges { node { id } } } }',
            lambda b: b["data"]["searchOrders"]["edges"] == [],
        ),
        (
            "placeOrder for Bob",
            f'mutation {{ placeOrder(input: {{customerId: "{scene.bob}", '
            f'lines: [{{productId: "{scene.lamp}", quantity: 1}}]}}) {{ order {{ id }} }} }}',
            lambda b: (
                codes(b) == ["NOT_FOUND"]
                and b["errors"][0]["message"] == f"customer {scene.bob} does not exist"
            ),
        ),
        (
            "cancelOrder of Bob's",
            f'mutation {{ cancelOrder(input: {{orderId: "{scene.bobs_order}", reason: "no"}}) '
            "{ order { id } } }",
            lambda b: (
                codes(b) == ["NOT_FOUND"]
                and b["errors"][0]["message"] == f"order {scene.bobs_order} does not exist"
            ),
        ),
    ]


def forbidden() -> list[tuple[str, str]]:
    return [(field, query) for field, query in QUERIES.items() if field not in CUSTOMER_FIELDS] + [
        (field, f"mutation {{ {selection} }}")
        for field, selection in MUTATIONS.items()
        if field not in CUSTOMER_FIELDS
    ]


@pytest.mark.parametrize("transport", ["http", "ws"])
async def test_a_customer_sees_its_own_nothing_of_others_and_may_do_nothing_else(
    server: str, http: httpx.AsyncClient, scene: Scene, transport: str
) -> None:
    async def ask(query: str) -> dict[str, Any]:
        if transport == "http":
            return await post(http, query, scene.anns_token)
        return await over_websocket(server, query, scene.anns_token)

    for name, query, check in own_reads(scene) + own_writes(scene, transport):
        body = await ask(query)
        assert codes(body) == [], (name, body)
        assert check(body), (name, body)
    for name, query, check in others(scene):
        body = await ask(query)
        assert check(body), (name, body)
    for field, query in forbidden():
        body = await ask(query)
        assert codes(body) == ["FORBIDDEN"], (field, body)
        assert body["data"] is None
        assert "customer role" in body["errors"][0]["message"]


async def subscribe(server: str, token: str, query: str) -> websockets.ClientConnection:
    socket = await open_socket(server, {"authorization": f"Bearer {token}"})
    assert (await received(socket))["type"] == "connection_ack"
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query}}))
    return socket


async def received(socket: websockets.ClientConnection, seconds: float = WAIT) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), seconds))
        if message["type"] not in ("ping", "pong"):
            return message


async def test_a_customers_subscriptions_see_its_own_orders_only(
    server: str, http: httpx.AsyncClient, scene: Scene, admin: str
) -> None:
    everything = "subscription { orderEvents { type streamId } }"
    anns = await subscribe(server, scene.anns_token, everything)
    # The same document as Ann's: were executions shared across customers, Bob would see Ann's events.
    bobs = await subscribe(server, scene.bobs_token, everything)
    anns_changes = await subscribe(
        server, scene.anns_token, "subscription { orderChanged { id customerId } }"
    )
    bobs_order_to_ann = await subscribe(
        server, scene.anns_token, f'subscription {{ orderEvents(orderId: "{scene.bobs_order}") {{ type }} }}'
    )
    replayed = await subscribe(
        server, scene.anns_token, "subscription { orderEvents(afterPosition: 0) { type streamId } }"
    )
    try:
        # None of them replays (but `replayed`): the events must come once all five run.
        for _ in range(200):
            metrics = await http.get("/metrics", headers={"Authorization": f"Bearer {admin}"})
            if "eventfold_active_subscriptions 5.0" in metrics.text:
                break
            await asyncio.sleep(0.02)
        for order in (scene.bobs_order, scene.anns_order):
            shipped = await post(
                http,
                f'mutation {{ shipOrder(input: {{orderId: "{order}", carrier: "DHL", trackingNumber: "1"}}) '
                "{ order { id } } }",
                admin,
            )
            assert codes(shipped) == [], shipped

        message = await received(anns)
        assert message["payload"]["data"]["orderEvents"] == {
            "type": "OrderShipped",
            "streamId": scene.anns_order,
        }
        message = await received(bobs)
        assert message["payload"]["data"]["orderEvents"] == {
            "type": "OrderShipped",
            "streamId": scene.bobs_order,
        }
        message = await received(anns_changes)
        assert message["payload"]["data"]["orderChanged"] == {"id": scene.anns_order, "customerId": scene.ann}
        anns_orders = {scene.anns_order, *scene.cancellable.values()}
        replay = [(await received(replayed))["payload"]["data"]["orderEvents"] for _ in range(4)]
        assert {event["streamId"] for event in replay} == anns_orders
        assert [event["type"] for event in replay] == ["OrderPlaced"] * 3 + ["OrderShipped"]
        with pytest.raises(TimeoutError):
            await received(bobs_order_to_ann, QUIET_SECONDS)
    finally:
        for socket in (anns, bobs, anns_changes, bobs_order_to_ann, replayed):
            await socket.close()
