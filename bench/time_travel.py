"""asOf latency on SQLite with a small and a large history (same page size): cost must not grow.

    uv run python -m bench.time_travel [--small 1000] [--large 100000] [--repeat 200]

For each history size: records the events through the event store at 2,000 events a day (each order
shipped right after it is placed), so that a larger store is a longer history at the same pace. Then
runs the projector until caught up, and times a page of 20 `orders(asOf:)`, of 20 `orders(asOf:)`
that were PLACED then, and `order(id, asOf:)`, through the whole app (in process, no network), at
instants spread over the history.
"""

import asyncio
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import httpx

from app.settings import Settings
from app.web import create_app
from bench.report import Figures, arguments, show
from domain.events import CustomerRegistered, OrderPlaced, OrderShipped, PlacedLine, ProductCreated
from store.connect import open_stores

START = datetime(2026, 9, 1, tzinfo=UTC)
EVENTS_PER_DAY = 2_000
"""A steady business: a larger store is a longer history, not a busier day."""
META = {"correlationId": "bench"}
ORDERS = """query($asOf: DateTime) {
  orders(asOf: $asOf, first: 20) { edges { node { id total } } }
}"""
PLACED = """query($asOf: DateTime) {
  orders(asOf: $asOf, filter: {status: PLACED}, first: 20) { edges { node { id total } } }
}"""
ORDER = "query($id: ID!, $asOf: DateTime) { order(id: $id, asOf: $asOf) { id status total } }"


def span(events: int) -> timedelta:
    return timedelta(days=events / EVENTS_PER_DAY)


class SpreadClock:
    def __init__(self, events: int) -> None:
        self.step = span(events) / events
        self.now = START

    def __call__(self) -> datetime:
        self.now += self.step
        return self.now


async def record(data_dir: Path, events: int) -> list[str]:
    stores = await open_stores(mongodb_uri=None, data_dir=data_dir, clock=SpreadClock(events))
    customer, product = uuid.uuid4(), uuid.uuid4()
    await stores.events.append(customer, 0, [CustomerRegistered(name="Ann", email="a@example.com")], META)
    await stores.events.append(
        product, 0, [ProductCreated(currency="EUR", sku="P-1", name="P", price=Decimal(5))], META
    )
    line = PlacedLine(product_id=product, sku="P-1", name="P", quantity=1, unit_price=Decimal(5))
    orders = []
    while await stores.events.head() < events:
        order = uuid.uuid4()
        placed = OrderPlaced(
            currency="EUR",
            customer_id=customer,
            customer_name="Ann",
            customer_email="a@example.com",
            lines=(line,),
            total=Decimal(5),
        )
        [recorded] = await stores.events.append(order, 0, [placed], META)
        shipped = OrderShipped(
            currency="EUR", carrier="DHL", tracking_number="1", placed_at=recorded.recorded_at
        )
        await stores.events.append(order, 1, [shipped], META)
        orders.append(str(order))
    await stores.close()
    return orders


async def measure(events: int, repeat: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as data_dir:
        orders = await record(Path(data_dir), events)
        app = create_app(Settings(mongodb_uri=None, data_dir=Path(data_dir), log_level="warning"))
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
                head = await app.state.stores.events.head()
                await app.state.progress.wait_for(head, seconds=3600)
                list_times, placed_times, one_times = [], [], []
                for n in range(repeat):
                    instant = (START + span(events) * ((n % 97) / 97)).isoformat()
                    started = time.perf_counter()
                    await http.post("/graphql", json={"query": ORDERS, "variables": {"asOf": instant}})
                    list_times.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    await http.post("/graphql", json={"query": PLACED, "variables": {"asOf": instant}})
                    placed_times.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    variables = {"id": orders[n * 7919 % len(orders)], "asOf": instant}
                    await http.post("/graphql", json={"query": ORDER, "variables": variables})
                    one_times.append(time.perf_counter() - started)
        return statistics.median(list_times), statistics.median(placed_times), statistics.median(one_times)


async def compare(small: int, large: int, repeat: int) -> Figures:
    results = {size: await measure(size, repeat) for size in (small, large)}
    figures: Figures = {}
    for index, query in enumerate(("orders(asOf:)", "orders(asOf:, PLACED)", "order(id, asOf:)")):
        for size in (small, large):
            figures[f"{query} p50 ms at {size:,} events"] = results[size][index] * 1000
        figures[f"{query} ratio (target <= 1.5)"] = results[large][index] / results[small][index]
    return figures


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    show(asyncio.run(compare(args.small, args.large, args.repeat)))
