"""A replay reads through an index only the events its subscriber asked for, however long the log.

Counted on MongoDB with command monitoring: the event documents the server sent back. SQLite sends
nothing over a wire to count; there the same subscriptions must deliver the same events, and the store
tests hold both backends to reading one stream after a position and the log filtered by type.
"""

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient
from tests.e2e.operations import PLACE_ORDER, SHIP_ORDER, create_product, register_customer
from tests.live_server import live_server
from tests.mongo_commands import EventDocumentsRead
from tests.subscriptions.test_subscriptions import ORDER_EVENTS, WAIT, Subscriber

OTHER_ORDERS = 50
"""A log of 54 events: enough to tell one order's 2 from the whole, small for the MongoDB test server."""


@pytest.fixture
def read() -> EventDocumentsRead:
    return EventDocumentsRead()


@pytest.fixture
def server(settings: Settings, read: EventDocumentsRead) -> Iterator[str]:
    # No projector: every event document counted was read for a subscriber.
    app = create_app(settings.model_copy(update={"projector": False}), command_listeners=(read,))
    with live_server(app) as address:
        yield address


@pytest.fixture
async def http(server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as client:
        yield GraphQLClient(client, read_own_writes=False)


async def test_a_replay_of_one_order_in_a_long_log_reads_no_more_event_documents_than_that_order_has(
    server: str, http: GraphQLClient, read: EventDocumentsRead, backend: str
) -> None:
    customer = await register_customer(http)
    product = await create_product(http, "P-1", "5.00")
    place = {"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]}
    order = (await http.data(PLACE_ORDER, input=place))["placeOrder"]["order"]
    others = [(await http.data(PLACE_ORDER, input=place))["placeOrder"]["order"] for _ in range(OTHER_ORDERS)]
    await http.data(SHIP_ORDER, input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1"})

    read.count = 0
    one_order = await Subscriber.open(server, ORDER_EVENTS, orderId=order["id"], afterPosition=0)
    replayed = await one_order.data(2)
    await one_order.close()
    order_documents = read.count

    read.count = 0
    shipments = await Subscriber.open(server, ORDER_EVENTS, types=["OrderShipped"], afterPosition=0)
    [shipped] = await shipments.data(1)
    await shipments.close()
    shipment_documents = read.count

    assert [(e["type"], e["streamId"], e["version"]) for e in replayed] == [
        ("OrderPlaced", order["id"], 1),
        ("OrderShipped", order["id"], 2),
    ]
    assert (shipped["streamId"], shipped["position"]) == (order["id"], replayed[1]["position"])
    assert len(others) == OTHER_ORDERS
    if backend == "mongodb":
        assert (order_documents, shipment_documents) == (2, 1)
