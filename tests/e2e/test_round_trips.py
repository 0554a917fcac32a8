"""Database round trips per mutation on MongoDB, counted with PyMongo's command monitoring.

Counts are exact (not timings), so they can be asserted. Budget: placeOrder <= 4 whatever its number
of lines; every other mutation <= 3, but a change to a customer or an order 4: their events' personal
fields are sealed, and opening them takes the customer's data key (one `find`, never cached across
reads).
"""

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from app.settings import Settings
from app.web import create_app
from store.mongo.round_trips import RoundTripCounter
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import (
    CHANGE_CUSTOMER_ADDRESS,
    CHANGE_CUSTOMER_EMAIL,
    CHANGE_PRODUCT_PRICE,
    PLACE_ORDER,
    REGISTER_CUSTOMER,
    VERIFY_CUSTOMER_EMAIL,
    create_product,
    register_customer,
)

SHIP_ORDER = (
    """mutation($input: ShipOrderInput!) { shipOrder(input: $input) { order { id status version } } }"""
)
CANCEL_ORDER = (
    """mutation($input: CancelOrderInput!) { cancelOrder(input: $input) { order { id status version } } }"""
)

ORDER = """query($id: ID!) { order(id: $id) { id status total lines { sku } } }"""
ORDERS = """{ orders(first: 20) { edges { node { id status customer { id name } } } } }"""


@pytest.fixture
def backend() -> str:
    return "mongodb"


@pytest.fixture
def counter() -> RoundTripCounter:
    return RoundTripCounter()


@pytest.fixture
async def counted(settings: Settings, counter: RoundTripCounter) -> AsyncIterator[GraphQLClient]:
    """The app without a projector, so that every command counted was sent for a request."""
    app = create_app(settings.model_copy(update={"projector": False}), command_listeners=(counter,))
    async with serving(app, read_own_writes=False) as client:
        yield client


async def round_trips(
    graphql: GraphQLClient, counter: RoundTripCounter, query: str, **variables: Any
) -> list[str]:
    counter.names.clear()
    await graphql.data(query, **variables)
    return list(counter.names)


@pytest.mark.parametrize("lines", [1, 5])
async def test_place_order_takes_at_most_four_round_trips_whatever_its_lines(
    counted: GraphQLClient, counter: RoundTripCounter, lines: int
) -> None:
    customer = await register_customer(counted)
    products = [await create_product(counted, f"P-{n}", "1.00") for n in range(lines)]
    order_lines = [{"productId": p["id"], "quantity": 1} for p in products]

    trips = await round_trips(
        counted, counter, PLACE_ORDER, input={"customerId": customer["id"], "lines": order_lines}
    )

    # Load customer, products and order in one find; the customer's data key to open its events in
    # another (sealing the order's copy of its name takes the key just found); one insert; one find for
    # the `customer` field asked for.
    assert trips == ["find", "find", "insert", "find"]


async def test_other_mutations_take_at_most_three_round_trips(
    counted: GraphQLClient, counter: RoundTripCounter
) -> None:
    customer = await register_customer(counted)
    product = await create_product(counted, "P-1", "1.00")
    placed = await counted.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]},
    )
    order = placed["placeOrder"]["order"]
    address = {"street": "s", "city": "c", "postalCode": "p", "country": "DE"}
    other = await counted.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 2}]},
    )

    measured = {
        "registerCustomer": await round_trips(
            counted, counter, REGISTER_CUSTOMER, input={"name": "Bob", "email": "bob@example.com"}
        ),
        "changeCustomerAddress": await round_trips(
            counted,
            counter,
            CHANGE_CUSTOMER_ADDRESS,
            input={"customerId": customer["id"], "address": address},
        ),
        "changeCustomerEmail": await round_trips(
            counted,
            counter,
            CHANGE_CUSTOMER_EMAIL,
            input={"customerId": customer["id"], "email": "n@example.com"},
        ),
        "verifyCustomerEmail": await round_trips(
            counted, counter, VERIFY_CUSTOMER_EMAIL, input={"customerId": customer["id"]}
        ),
        "changeProductPrice": await round_trips(
            counted, counter, CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": "2.00"}
        ),
        "shipOrder": await round_trips(
            counted,
            counter,
            SHIP_ORDER,
            input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1"},
        ),
        "cancelOrder": await round_trips(
            counted,
            counter,
            CANCEL_ORDER,
            input={"orderId": other["placeOrder"]["order"]["id"], "reason": "no"},
        ),
    }

    # Load the (new) stream, find or make the customer's data key in one command, insert.
    assert measured["registerCustomer"] == ["find", "findAndModify", "insert"]
    # Changes to an existing stream: load it, check it is still at that version, insert; a customer's
    # or an order's also finds the customer's data key, to open its events.
    for name in measured.keys() - {"registerCustomer", "changeProductPrice"}:
        assert measured[name] == ["find", "find", "find", "insert"], name
    assert measured["changeProductPrice"] == ["find", "find", "insert"]


async def test_order_is_one_round_trip_and_a_page_of_orders_with_customers_two(
    graphql: GraphQLClient, counted: GraphQLClient, counter: RoundTripCounter
) -> None:
    customers = [await register_customer(graphql, name) for name in ("Ann Lee", "Bob Roe", "Cy Doe")]
    product = await create_product(graphql, "P-1", "1.00")
    for customer in customers * 2:
        await graphql.data(
            PLACE_ORDER,
            input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]},
        )
    page = await graphql.data(ORDERS)
    order_id = page["orders"]["edges"][0]["node"]["id"]

    assert await round_trips(counted, counter, ORDER, id=order_id) == ["find"]
    # The orders, then every customer of the page at once.
    assert await round_trips(counted, counter, ORDERS) == ["find", "find"]


PLACE_ORDER_PLAINLY = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id status } } }"
)
CONCURRENT_CLIENTS = 32


async def test_concurrent_place_orders_share_their_inserts(
    counted: GraphQLClient, counter: RoundTripCounter
) -> None:
    customer = await register_customer(counted)
    product = await create_product(counted, "P-1", "1.00")
    order = {"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]}
    counter.names.clear()

    await asyncio.gather(*(counted.data(PLACE_ORDER_PLAINLY, input=order) for _ in range(CONCURRENT_CLIENTS)))

    # One find each loads what its command needs; the keys that open the customer's events are found
    # for those that wait together at once, and so are the inserts shared, however the finds' answers
    # happened to spread them.
    finds, inserts = counter.names.count("find"), counter.names.count("insert")
    # (35 finds and 3 inserts when measured.)
    assert len(counter.names) == finds + inserts
    # The targets: at most 0.3 inserts per event, 1.6 commands per placeOrder; and as few key
    # lookups as inserts.
    assert inserts <= 0.3 * CONCURRENT_CLIENTS
    assert finds <= 1.3 * CONCURRENT_CLIENTS
    assert len(counter.names) <= 1.6 * CONCURRENT_CLIENTS
