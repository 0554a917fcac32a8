"""Property: for any history and any instant T, every asOf answer equals what folding exactly the
events recorded at or before T gives, computed here independently of the read models."""

import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import (
    CANCEL_ORDER,
    EVENTS,
    PLACE_ORDER,
    SHIP_ORDER,
    create_product,
    register_customer,
)
from tests.e2e.test_time_travel import ORDER, ORDERS, START, TurnedClock

Step = tuple[Any, ...]

steps = st.lists(
    st.one_of(
        st.tuples(st.just("customer")),
        st.tuples(st.just("product"), st.integers(1, 5000)),
        st.tuples(st.just("place"), st.integers(0, 9), st.integers(0, 9), st.integers(1, 5)),
        st.tuples(st.just("ship"), st.integers(0, 20)),
        st.tuples(st.just("cancel"), st.integers(0, 20)),
        st.tuples(st.just("tick"), st.integers(0, 6 * 3600 * 1000)),
    ),
    min_size=1,
    max_size=20,
)
# Where between the first and last event (0..1000 per mille, and a little outside) to look.
instants = st.lists(st.integers(-50, 1050), min_size=1, max_size=4)


@dataclass
class World:
    customers: list[str] = field(default_factory=list)
    products: list[str] = field(default_factory=list)
    orders: list[str] = field(default_factory=list)


async def play(graphql: GraphQLClient, clock: TurnedClock, script: list[Step]) -> World:
    world = World()
    world.customers.append((await register_customer(graphql))["id"])
    world.products.append((await create_product(graphql, "P-0", "1.00"))["id"])
    for step in script:
        clock.advance(milliseconds=1)
        match step:
            case ("customer",):
                world.customers.append((await register_customer(graphql, f"C {len(world.customers)}"))["id"])
            case ("product", cents):
                price = str(Decimal(cents) / 100)
                world.products.append(
                    (await create_product(graphql, f"P-{len(world.products)}", price))["id"]
                )
            case ("place", customer, product, quantity):
                line = {"productId": world.products[product % len(world.products)], "quantity": quantity}
                data = await graphql.data(
                    PLACE_ORDER,
                    input={"customerId": world.customers[customer % len(world.customers)], "lines": [line]},
                )
                world.orders.append(data["placeOrder"]["order"]["id"])
            case ("ship" | "cancel", order) if world.orders:
                order_id = world.orders[order % len(world.orders)]
                document, values = (
                    (SHIP_ORDER, {"carrier": "DHL", "trackingNumber": "1"})
                    if step[0] == "ship"
                    else (CANCEL_ORDER, {"reason": "no"})
                )
                # Shipping or cancelling an order that is no longer PLACED is refused: also history.
                await graphql.execute(document, input={"orderId": order_id, **values})
            case ("tick", milliseconds):
                clock.advance(milliseconds=milliseconds)
    return world


async def recorded_log(graphql: GraphQLClient) -> list[dict[str, Any]]:
    log: list[dict[str, Any]] = []
    while True:
        page = (await graphql.data(EVENTS, afterPosition=log[-1]["position"] if log else 0))["events"]
        log += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return log


SALES = """query($asOf: DateTime) {
  salesReport(asOf: $asOf) {
    ordersPlaced ordersShipped ordersCancelled revenue topProducts { productId quantity revenue }
  }
}"""


def folded(log: list[dict[str, Any]], instant: datetime) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Orders (status, version) and sales totals from the events recorded at or before `instant`."""
    orders: dict[str, dict[str, Any]] = {}
    counts = {"OrderPlaced": 0, "OrderShipped": 0, "OrderCancelled": 0}
    revenue = Decimal(0)
    products: dict[str, tuple[int, Decimal]] = {}
    for event in log:
        if datetime.fromisoformat(event["recordedAt"]) > instant or event["type"] not in counts:
            continue
        counts[event["type"]] += 1
        status = {"OrderPlaced": "PLACED", "OrderShipped": "SHIPPED", "OrderCancelled": "CANCELLED"}[
            event["type"]
        ]
        orders[event["streamId"]] = {"status": status, "version": event["version"]}
        sign = {"OrderPlaced": 1, "OrderShipped": 0, "OrderCancelled": -1}[event["type"]]
        revenue += sign * Decimal(event["data"].get("total", 0))
        for line in event["data"].get("lines", []) if sign else []:
            quantity, sold = products.get(line["productId"], (0, Decimal(0)))
            products[line["productId"]] = (
                quantity + sign * line["quantity"],
                sold + sign * line["quantity"] * Decimal(line["unitPrice"]),
            )
    ranked = sorted(products.items(), key=lambda item: (-item[1][1], -item[1][0], item[0]))
    sales = {
        "ordersPlaced": counts["OrderPlaced"],
        "ordersShipped": counts["OrderShipped"],
        "ordersCancelled": counts["OrderCancelled"],
        "revenue": f"{revenue:.2f}",
        "topProducts": [
            {"productId": product_id, "quantity": quantity, "revenue": f"{sold:.2f}"}
            for product_id, (quantity, sold) in ranked
            if quantity or sold
        ][:10],
    }
    return orders, sales


async def check(graphql: GraphQLClient, world: World, instant: datetime, log: list[dict[str, Any]]) -> None:
    orders, sales = folded(log, instant)
    at = instant.isoformat()
    for order_id in world.orders:
        found = (await graphql.data(ORDER, id=order_id, asOf=at))["order"]
        expected = orders.get(order_id)
        assert (found and {"status": found["status"], "version": found["version"]}) == expected, (
            order_id,
            at,
        )
    for status in ("PLACED", "SHIPPED", "CANCELLED", None):
        listed = await graphql.data(ORDERS, asOf=at, filter={"status": status} if status else {})
        listed_ids = sorted(edge["node"]["id"] for edge in listed["orders"]["edges"])
        assert listed_ids == sorted(o for o, v in orders.items() if status in (None, v["status"])), (
            status,
            at,
        )
    report = (await graphql.data(SALES, asOf=at))["salesReport"]
    assert {key: report[key] for key in sales} == sales, at


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(script=steps, probes=instants)
async def test_every_as_of_answer_equals_folding_the_events_up_to_then(
    script: list[Step], probes: list[int]
) -> None:
    clock = TurnedClock(START)
    with tempfile.TemporaryDirectory() as data_dir:
        app = create_app(Settings(mongodb_uri=None, data_dir=Path(data_dir)), clock=clock)
        async with serving(app) as graphql:
            world = await play(graphql, clock, script)
            log = await recorded_log(graphql)
            first = datetime.fromisoformat(log[0]["recordedAt"])
            last = datetime.fromisoformat(log[-1]["recordedAt"])
            # Every instant an event was recorded at (T equal to recordedAt is included), a moment
            # before each, and instants spread over the history.
            moments = {datetime.fromisoformat(event["recordedAt"]) for event in log}
            chosen = sorted(moments)[:: max(1, len(moments) // 4)]
            chosen += [moment - timedelta(microseconds=1) for moment in chosen]
            chosen += [first + (last - first) * per_mille / 1000 for per_mille in probes]
            for instant in chosen:
                await check(graphql, world, instant.astimezone(UTC), log)
