"""asOf on every read: what the data looked like then, on both backends, with a clock the test turns."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_CUSTOMER_ADDRESS,
    CHANGE_PRODUCT_PRICE,
    PLACE_ORDER,
    SHIP_ORDER,
    create_product,
    register_customer,
)

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

ORDER = """query($id: ID!, $asOf: DateTime) {
  order(id: $id, asOf: $asOf) { id status total version carrier customer { name address { city } } }
}"""
CUSTOMER = (
    "query($id: ID!, $asOf: DateTime) { customer(id: $id, asOf: $asOf) { name version address { city } } }"
)
PRODUCT = "query($id: ID!, $asOf: DateTime) { product(id: $id, asOf: $asOf) { price version } }"
ORDERS = """query($asOf: DateTime, $filter: OrderFilter) {
  orders(asOf: $asOf, filter: $filter, first: 100) { edges { node { id status version } } }
}"""
SALES = """query($asOf: DateTime) {
  salesReport(asOf: $asOf) {
    ordersPlaced ordersShipped ordersCancelled revenue topProducts { quantity revenue }
  }
}"""


class TurnedClock:
    """The time events are recorded at, moved on by the test."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> TurnedClock:
    return TurnedClock(START)


@pytest.fixture
async def shop(settings: Settings, clock: TurnedClock) -> AsyncIterator[GraphQLClient]:
    async with serving(create_app(settings, clock=clock)) as client:
        yield client


def at(instant: datetime) -> str:
    return instant.isoformat()


async def test_a_customer_as_they_were(shop: GraphQLClient, clock: TurnedClock) -> None:
    customer = await register_customer(shop)
    registered_at = clock.now
    moved_at = clock.advance(days=3)
    address = {"street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    await shop.data(CHANGE_CUSTOMER_ADDRESS, input={"customerId": customer["id"], "address": address})

    async def as_of(instant: datetime) -> Any:
        return (await shop.data(CUSTOMER, id=customer["id"], asOf=at(instant)))["customer"]

    assert await as_of(registered_at - timedelta(milliseconds=1)) is None
    assert await as_of(registered_at) == {"name": "Ann Lee", "version": 1, "address": None}
    assert await as_of(moved_at - timedelta(days=1)) == {"name": "Ann Lee", "version": 1, "address": None}
    assert (await as_of(moved_at))["address"] == {"city": "Berlin"}
    assert (await as_of(datetime.now(UTC) + timedelta(days=365)))["version"] == 2


async def test_an_order_and_its_customer_as_they_were(shop: GraphQLClient, clock: TurnedClock) -> None:
    customer = await register_customer(shop)
    product = await create_product(shop, "W-1", "10.00")
    placed = (
        await shop.data(
            PLACE_ORDER,
            input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 2}]},
        )
    )["placeOrder"]["order"]
    placed_at = clock.now
    clock.advance(hours=5)
    address = {"street": "1 Main St", "city": "Paris", "postalCode": "75001", "country": "FR"}
    await shop.data(CHANGE_CUSTOMER_ADDRESS, input={"customerId": customer["id"], "address": address})
    shipped_at = clock.advance(hours=1)
    await shop.data(SHIP_ORDER, input={"orderId": placed["id"], "carrier": "DHL", "trackingNumber": "1"})

    async def as_of(instant: datetime) -> Any:
        return (await shop.data(ORDER, id=placed["id"], asOf=at(instant)))["order"]

    assert await as_of(placed_at - timedelta(seconds=1)) is None
    between = await as_of(shipped_at - timedelta(minutes=1))
    assert (between["status"], between["version"], between["carrier"]) == ("PLACED", 1, None)
    assert between["customer"] == {"name": "Ann Lee", "address": {"city": "Paris"}}
    assert (await as_of(placed_at))["customer"] == {"name": "Ann Lee", "address": None}
    assert (await as_of(shipped_at))["status"] == "SHIPPED"
    # Any offset is honoured: the same instant, written in New York time.
    in_new_york = shipped_at.astimezone(timezone(timedelta(hours=-5)))
    assert (await as_of(in_new_york))["status"] == "SHIPPED"


async def test_a_product_price_as_it_was(shop: GraphQLClient, clock: TurnedClock) -> None:
    product = await create_product(shop, "W-1", "10.00")
    changed_at = clock.advance(days=7)
    await shop.data(CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": "12.50"})

    before = await shop.data(PRODUCT, id=product["id"], asOf=at(changed_at - timedelta(days=2)))
    after = await shop.data(PRODUCT, id=product["id"], asOf=at(changed_at))
    assert before["product"] == {"price": "10.00", "version": 1}
    assert after["product"] == {"price": "12.50", "version": 2}


async def test_which_orders_were_still_unshipped_then(shop: GraphQLClient, clock: TurnedClock) -> None:
    customer = await register_customer(shop)
    product = await create_product(shop, "W-1", "10.00")
    orders = []
    for _ in range(4):
        clock.advance(hours=1)
        data = await shop.data(
            PLACE_ORDER,
            input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]},
        )
        orders.append(data["placeOrder"]["order"]["id"])
    friday = clock.advance(days=1)
    clock.advance(days=1)
    await shop.data(SHIP_ORDER, input={"orderId": orders[0], "carrier": "DHL", "trackingNumber": "1"})
    await shop.data(CANCEL_ORDER, input={"orderId": orders[1], "reason": "no"})
    clock.advance(hours=1)
    await shop.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]},
    )

    async def ids(instant: datetime | None, **filter: Any) -> list[str]:
        variables: dict[str, Any] = {"filter": filter}
        if instant is not None:
            variables["asOf"] = at(instant)
        data = await shop.data(ORDERS, **variables)
        return [edge["node"]["id"] for edge in data["orders"]["edges"]]

    assert await ids(friday, status="PLACED") == list(reversed(orders))
    assert len(await ids(None, status="PLACED")) == 3
    assert await ids(None, status="SHIPPED") == [orders[0]]
    assert await ids(friday, status="SHIPPED") == []
    assert await ids(START - timedelta(days=1)) == []


async def test_the_sales_report_as_it_was(shop: GraphQLClient, clock: TurnedClock) -> None:
    customer = await register_customer(shop)
    product = await create_product(shop, "W-1", "10.00")
    placed = []
    for quantity in (1, 2, 3):
        clock.advance(hours=1)
        data = await shop.data(
            PLACE_ORDER,
            input={
                "customerId": customer["id"],
                "lines": [{"productId": product["id"], "quantity": quantity}],
            },
        )
        placed.append(data["placeOrder"]["order"]["id"])
    after_two = clock.now - timedelta(minutes=30)
    cancelled_at = clock.advance(days=2)
    await shop.data(CANCEL_ORDER, input={"orderId": placed[2], "reason": "no"})

    async def report(instant: datetime) -> Any:
        return (await shop.data(SALES, asOf=at(instant)))["salesReport"]

    assert await report(after_two) == {
        "ordersPlaced": 2,
        "ordersShipped": 0,
        "ordersCancelled": 0,
        "revenue": "30.00",
        "topProducts": [{"quantity": 3, "revenue": "30.00"}],
    }
    before_cancel = await report(cancelled_at - timedelta(seconds=1))
    assert (before_cancel["ordersPlaced"], before_cancel["revenue"]) == (3, "60.00")
    after_cancel = await report(cancelled_at)
    assert (after_cancel["ordersCancelled"], after_cancel["revenue"]) == (1, "30.00")
    assert (await report(START - timedelta(days=1)))["ordersPlaced"] == 0


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-11-02T09:00:00"])
async def test_a_malformed_or_offsetless_instant_is_bad_user_input(shop: GraphQLClient, value: str) -> None:
    errors = await shop.errors(ORDERS, asOf=value)
    assert {error["extensions"]["code"] for error in errors} == {"BAD_USER_INPUT"}
