"""Projection catch-up on SQLite, against raw bulk inserts of the same documents into the same file.

    uv run python -m bench.projection_catch_up [--events 100000]

Records a history of about `--events` events (customers, products, orders shipped or cancelled),
then runs the projector (every read model at once, as `serve` does) from position 0 until caught up,
timed. On a second copy of the history it does the same again untimed, keeping each document written,
and inserts exactly those documents again with plain `executemany` into a scratch table of that file.
The ratio is raw insert time / catch-up time (target: >= 0.5).
"""

import asyncio
import json
import shutil
import sqlite3
import tempfile
import time
import uuid
from collections.abc import Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.collector import collect_less_often
from bench.report import Figures, arguments, show
from domain.events import (
    CustomerRegistered,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
    ProductCreated,
)
from projections.progress import Progress
from projections.projector import Projector
from projections.read_models import ALL
from store.connect import Stores, open_stores
from store.documents import Document, DocumentStore

META = {"correlationId": "bench"}


class CountingDocuments:
    """Passes everything through and keeps what was written, for the raw baseline."""

    def __init__(self, inner: DocumentStore) -> None:
        self._inner = inner
        self.written: list[Document] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        for documents in writes.values():
            self.written.extend(documents)
        await self._inner.upsert_all(writes)


async def record_history(stores: Stores, events: int) -> int:
    customers = [uuid.uuid4() for _ in range(max(events // 50, 1))]
    for n, customer in enumerate(customers):
        await stores.events.append(
            customer, 0, [CustomerRegistered(name=f"C {n}", email=f"c{n}@example.com")], META
        )
    products = [(uuid.uuid4(), f"P-{n}", Decimal(n % 50 + 1)) for n in range(100)]
    for product_id, sku, price in products:
        await stores.events.append(
            product_id, 0, [ProductCreated(currency="EUR", sku=sku, name=f"Product {sku}", price=price)], META
        )
    n = 0
    while await stores.events.head() < events:
        order, customer = uuid.uuid4(), customers[n % len(customers)]
        product_id, sku, price = products[n % len(products)]
        lines = (
            PlacedLine(
                product_id=product_id, sku=sku, name=f"Product {sku}", quantity=n % 5 + 1, unit_price=price
            ),
        )
        total = price * lines[0].quantity
        placed = OrderPlaced(
            currency="EUR",
            customer_id=customer,
            customer_name="C",
            customer_email="c@example.com",
            lines=lines,
            total=total,
        )
        [recorded] = await stores.events.append(order, 0, [placed], META)
        placed_at = recorded.recorded_at
        follow = (
            OrderShipped(currency="EUR", carrier="DHL", tracking_number=f"T{n}", placed_at=placed_at)
            if n % 3
            else OrderCancelled(
                currency="EUR",
                reason="no",
                customer_id=customer,
                lines=lines,
                total=total,
                placed_at=placed_at,
            )
        )
        await stores.events.append(order, 1, [follow], META)
        n += 1
    return await stores.events.head()


def encode(document: Document) -> str:
    return json.dumps({k: v for k, v in document.items() if k not in ("_id", "_position")}, default=str)


def raw_insert_seconds(path: Path, documents: list[Document]) -> float:
    rows = [
        (f"{document['_id']}:{n}", document["_position"], encode(document))
        for n, document in enumerate(documents)
    ]
    connection = sqlite3.connect(path, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    connection.execute(
        "CREATE TABLE raw (id TEXT PRIMARY KEY, position INTEGER NOT NULL, body TEXT NOT NULL)"
    )
    started = time.perf_counter()
    for start in range(0, len(rows), 500):
        connection.execute("BEGIN")
        connection.executemany("INSERT INTO raw VALUES (?, ?, ?)", rows[start : start + 500])
        connection.execute("COMMIT")
    elapsed = time.perf_counter() - started
    connection.close()
    return elapsed


async def catch_up(data_dir: Path, head: int, counting: bool) -> tuple[float, list[Document]]:
    """Seconds for the projector to bring every read model from zero to `head`, and (`counting`) the
    documents it wrote."""
    stores = await open_stores(mongodb_uri=None, data_dir=data_dir)
    try:
        documents = CountingDocuments(stores.documents) if counting else stores.documents
        progress = Progress([projection.name for projection in ALL], stores.states)
        projector = Projector(
            ALL, documents, stores.states, stores.leases, stores.feed, progress, owner="bench"
        )
        started = time.perf_counter()
        task = asyncio.create_task(projector.run())
        await progress.wait_for(head, seconds=3600)
        total = time.perf_counter() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return total, documents.written if isinstance(documents, CountingDocuments) else []
    finally:
        await stores.close()


async def measure(events: int) -> Figures:
    collect_less_often()  # as `eventfold serve` and `eventfold project` do
    with tempfile.TemporaryDirectory() as scratch:
        recorded = Path(scratch) / "recorded"
        stores = await open_stores(mongodb_uri=None, data_dir=recorded)
        head = await record_history(stores, events)
        await stores.close()
        # Timed on a copy of the history with nothing watching; the documents are counted on another
        # copy. Kept during the timed run, hundreds of thousands of documents made each of the
        # collector's full passes longer (100,000 events: 12 s instead of 9 s).
        timed, counted = (shutil.copytree(recorded, Path(scratch) / name) for name in ("timed", "counted"))
        total, _ = await catch_up(timed, head, counting=False)
        _, written = await catch_up(counted, head, counting=True)
        raw = raw_insert_seconds(counted / "eventfold.db", written)
    return {
        "events": head,
        "catch-up seconds": total,
        "catch-up events/s": head / total,
        "documents written": len(written),
        "raw executemany seconds": raw,
        "ratio raw / catch-up (target >= 0.5)": raw / total,
    }


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--events", type=int, default=100_000)
    show(asyncio.run(measure(parser.parse_args().events)))
