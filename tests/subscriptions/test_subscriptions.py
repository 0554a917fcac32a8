"""Subscriptions end to end: a real WebSocket client, mutations over HTTP, on both protocols."""

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
import websockets
from websockets.asyncio.client import ClientConnection
from websockets.typing import Subprotocol

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_CUSTOMER_EMAIL,
    CHANGE_PRODUCT_PRICE,
    PLACE_ORDER,
    SHIP_ORDER,
    create_product,
    register_customer,
)
from tests.live_server import live_server

ORDER_EVENTS = """subscription($orderId: ID, $types: [String!], $afterPosition: Int) {
  orderEvents(orderId: $orderId, types: $types, afterPosition: $afterPosition) {
    type streamId position version
  }
}"""
ORDER_CHANGED = "subscription($id: ID) { orderChanged(id: $id) { id status version carrier } }"
WAIT = 10


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    app = create_app(settings.model_copy(update={"connection_init_seconds": 0.5}))
    with live_server(app) as address:
        yield address


@pytest.fixture
async def http(server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as client:
        yield GraphQLClient(client)


class Subscriber:
    """A graphql-transport-ws client for one subscription."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket

    @classmethod
    async def open(cls, server: str, query: str, close_timeout: float = 10, **variables: Any) -> "Subscriber":
        socket = await websockets.connect(
            f"ws://{server}/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            close_timeout=close_timeout,
        )
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
        await socket.send(
            json.dumps({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}})
        )
        return cls(socket)

    async def message(self) -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await asyncio.wait_for(self.socket.recv(), WAIT))
            if message["type"] not in ("ping", "pong"):
                return message

    async def data(self, count: int) -> list[dict[str, Any]]:
        received = []
        for _ in range(count):
            message = await self.message()
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            received.append(next(iter(message["payload"]["data"].values())))
        return received

    async def close(self) -> None:
        await self.socket.close()


async def place(http: GraphQLClient) -> dict[str, Any]:
    customer = await register_customer(http)
    product = await create_product(http, f"P-{http.position}", "5.00")
    data = await http.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]},
    )
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order


async def test_order_events_arrive_for_mutations_made_over_http(server: str, http: GraphQLClient) -> None:
    everything = await Subscriber.open(server, ORDER_EVENTS)
    order = await place(http)
    await http.data(SHIP_ORDER, input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1"})

    received = await everything.data(2)

    assert [(e["type"], e["streamId"], e["version"]) for e in received] == [
        ("OrderPlaced", order["id"], 1),
        ("OrderShipped", order["id"], 2),
    ]
    await everything.close()


async def test_filters_by_order_and_type(server: str, http: GraphQLClient) -> None:
    first, second = await place(http), await place(http)
    one_order = await Subscriber.open(server, ORDER_EVENTS, orderId=second["id"])
    cancels = await Subscriber.open(server, ORDER_EVENTS, types=["OrderCancelled"])

    await http.data(SHIP_ORDER, input={"orderId": first["id"], "carrier": "DHL", "trackingNumber": "1"})
    await http.data(CANCEL_ORDER, input={"orderId": second["id"], "reason": "no"})

    assert [e["type"] for e in await one_order.data(1)] == ["OrderCancelled"]
    assert [(e["type"], e["streamId"]) for e in await cancels.data(1)] == [("OrderCancelled", second["id"])]
    for subscriber in (one_order, cancels):
        await subscriber.close()


async def subscribed(http: GraphQLClient, count: int) -> None:
    """Until the server runs `count` subscriptions: one without `afterPosition` (orderChanged has
    none) sees only what is recorded once it runs, and a socket's `subscribe` is not acknowledged."""
    for _ in range(200):
        metrics = (await http.http.get("/metrics")).text
        if f"eventfold_active_subscriptions {float(count)}" in metrics:
            return
        await asyncio.sleep(0.02)
    raise AssertionError(f"the server did not start {count} subscriptions")


async def test_order_changed_shows_the_new_status(server: str, http: GraphQLClient) -> None:
    order = await place(http)
    changes = await Subscriber.open(server, ORDER_CHANGED, id=order["id"])
    await subscribed(http, 1)
    await http.data(SHIP_ORDER, input={"orderId": order["id"], "carrier": "UPS", "trackingNumber": "7"})

    [changed] = await changes.data(1)
    assert changed == {"id": order["id"], "status": "SHIPPED", "version": 2, "carrier": "UPS"}
    await changes.close()


async def test_resuming_after_a_disconnect_delivers_every_event_once_in_order(
    server: str, http: GraphQLClient
) -> None:
    subscriber = await Subscriber.open(server, ORDER_EVENTS)
    before = [await place(http) for _ in range(2)]
    seen = await subscriber.data(2)
    await subscriber.close()

    missed = [await place(http) for _ in range(3)]
    resumed = await Subscriber.open(server, ORDER_EVENTS, afterPosition=seen[-1]["position"])
    writing = asyncio.create_task(place(http))
    more = await resumed.data(4)
    later = await writing

    assert [e["streamId"] for e in seen + more] == [o["id"] for o in before + missed + [later]]
    positions = [e["position"] for e in seen + more]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    await resumed.close()


async def test_a_subscriber_that_never_reads_does_not_delay_another(server: str, http: GraphQLClient) -> None:
    # It never reads, so it would not see the server's answer to its close either: do not wait for one.
    stalled = await Subscriber.open(server, ORDER_EVENTS, close_timeout=0.1)
    reader = await Subscriber.open(server, ORDER_EVENTS)
    orders = [await place(http) for _ in range(30)]

    assert [e["streamId"] for e in await reader.data(30)] == [o["id"] for o in orders]
    for subscriber in (stalled, reader):
        await subscriber.close()


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"types": ["OrderLost"]}, "types"),
        ({"orderId": "nope"}, "orderId"),
        ({"afterPosition": -1}, "afterPosition"),
    ],
)
async def test_bad_arguments_get_an_error_on_that_subscription(
    server: str, variables: dict[str, Any], field: str
) -> None:
    subscriber = await Subscriber.open(server, ORDER_EVENTS, **variables)
    message = await subscriber.message()
    errors = message["payload"]["errors"] if message["type"] == "next" else message["payload"]
    assert errors[0]["message"].startswith(f"{field}: ")
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"
    await subscriber.close()


async def test_a_client_that_never_sends_connection_init_is_closed(server: str) -> None:
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(socket.recv(), WAIT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4408


async def test_the_legacy_graphql_ws_protocol_works_too(server: str, http: GraphQLClient) -> None:
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-ws")]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "start", "payload": {"query": ORDER_EVENTS}}))
        order = await place(http)
        while (message := json.loads(await asyncio.wait_for(socket.recv(), WAIT)))["type"] == "ka":
            pass
        assert message["type"] == "data"
        assert message["payload"]["data"]["orderEvents"]["streamId"] == order["id"]


async def test_a_clean_shutdown_closes_every_subscription_with_a_proper_close_code(
    settings: Settings,
) -> None:
    with live_server(create_app(settings)) as address:
        subscribers = [await Subscriber.open(address, ORDER_EVENTS) for _ in range(3)]
    for subscriber in subscribers:
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await subscriber.message()
        assert closed.value.rcvd is not None
        # 1012: the server is restarting; clients reconnect (with afterPosition) once it is back.
        assert closed.value.rcvd.code == 1012


async def test_a_subscription_sent_as_a_plain_http_request_is_told_where_to_go(http: GraphQLClient) -> None:
    query = "subscription { orderEvents { type } }"
    posted = await http.http.post("/graphql", json={"query": query})
    got = await http.http.get("/graphql", params={"query": query})
    for response in (posted, got):
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_USER_INPUT"
        assert "WebSocket" in error["message"]


CUSTOMER_CHANGED = "subscription($id: ID!) { customerChanged(id: $id) { id email version } }"
PRODUCT_CHANGED = "subscription($id: ID!) { productChanged(id: $id) { id price version } }"


async def test_customer_and_product_changes_show_the_new_values(server: str, http: GraphQLClient) -> None:
    customer = await register_customer(http)
    product = await create_product(http, "CH-1", "5.00")
    customers = await Subscriber.open(server, CUSTOMER_CHANGED, id=customer["id"])
    products = await Subscriber.open(server, PRODUCT_CHANGED, id=product["id"])
    await subscribed(http, 2)

    await http.data(CHANGE_CUSTOMER_EMAIL, input={"customerId": customer["id"], "email": "new@example.com"})
    await http.data(CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": "7.50"})

    assert await customers.data(1) == [{"id": customer["id"], "email": "new@example.com", "version": 2}]
    assert await products.data(1) == [{"id": product["id"], "price": "7.50", "version": 2}]
    await customers.close()
    await products.close()


SALES_CHANGED = "subscription { salesReportChanged { ordersPlaced ordersShipped currency } }"


async def test_the_sales_report_is_pushed_now_then_once_for_a_burst_of_orders(
    server: str, http: GraphQLClient
) -> None:
    report = await Subscriber.open(server, SALES_CHANGED)
    assert await report.data(1) == [{"ordersPlaced": 0, "ordersShipped": 0, "currency": "EUR"}]

    orders = [await place(http) for _ in range(5)]
    await http.data(SHIP_ORDER, input={"orderId": orders[0]["id"], "carrier": "DHL", "trackingNumber": "1"})

    pushes: list[dict[str, Any]] = []
    while not pushes or pushes[-1] != {"ordersPlaced": 5, "ordersShipped": 1, "currency": "EUR"}:
        pushes += await report.data(1)
    # Six events, a second at least between pushes: a burst is coalesced into fewer pushes.
    assert len(pushes) < 6
    assert [push["ordersPlaced"] for push in pushes] == sorted(push["ordersPlaced"] for push in pushes)
    await report.close()


PROJECTIONS_CHANGED = "subscription { projectionsChanged { name position lag } }"


async def test_projections_are_pushed_now_and_when_they_move(server: str, http: GraphQLClient) -> None:
    statuses = await Subscriber.open(server, PROJECTIONS_CHANGED)
    first: list[dict[str, Any]] = (await statuses.data(1))[0]  # type: ignore[assignment]
    assert len(first) == 6

    await place(http)
    latest = first
    # Each push differs from the one before; the last shows every read model caught up with the order.
    while not all(status["lag"] == 0 and status["position"] > 0 for status in latest):
        pushed: list[dict[str, Any]] = (await statuses.data(1))[0]  # type: ignore[assignment]
        assert pushed != latest
        latest = pushed
    assert {status["name"] for status in latest} == {status["name"] for status in first}
    assert len({status["position"] for status in latest}) == 1
    await statuses.close()


ERASE_CUSTOMER = "mutation($id: ID!) { eraseCustomer(id: $id) { customer { id } events { position } } }"
ORDER_EVENTS_WITH_DATA = """subscription($orderId: ID, $afterPosition: Int) {
  orderEvents(orderId: $orderId, afterPosition: $afterPosition) { type data }
}"""


async def test_after_an_erasure_subscriptions_show_the_customer_erased(
    server: str, http: GraphQLClient
) -> None:
    order = await place(http)
    customer_id = order["customer"]["id"]
    changes = await Subscriber.open(server, CUSTOMER_CHANGED, id=customer_id)
    await subscribed(http, 1)

    await http.data(ERASE_CUSTOMER, id=customer_id)
    replayed = await Subscriber.open(server, ORDER_EVENTS_WITH_DATA, orderId=order["id"], afterPosition=0)
    [placed] = await replayed.data(1)

    assert await changes.data(1) == [{"id": customer_id, "email": "[erased]", "version": 2}]
    assert placed["type"] == "OrderPlaced"
    assert (placed["data"]["customerName"], placed["data"]["customerEmail"]) == ("[erased]", "[erased]")
    for subscriber in (replayed, changes):
        await subscriber.close()
