"""The baseline for the write path: a bare Strawberry mutation that appends the same event row that
`placeOrder` records, with plain SQL into the same `events` table, and nothing else (no validation,
no loading, no deciding).

    EVENTFOLD_BENCH_DB=/tmp/bare.db uv run uvicorn bench.bare_write_app:app --port 8002
"""

import json
import os
import sqlite3
import time
import uuid
from pathlib import Path

import strawberry
from strawberry.asgi import GraphQL

from schema.inputs import PlaceOrderInput
from store.sqlite.event_store import SCHEMA

connection = sqlite3.connect(Path(os.environ["EVENTFOLD_BENCH_DB"]), isolation_level=None)
connection.execute("PRAGMA journal_mode=WAL")
connection.execute("PRAGMA synchronous=NORMAL")
connection.executescript(SCHEMA)


@strawberry.type
class Order:
    id: strawberry.ID


@strawberry.type
class OrderPayload:
    order: Order


@strawberry.type
class Mutation:
    @strawberry.mutation
    def place_order(self, input: PlaceOrderInput) -> OrderPayload:
        order_id = str(uuid.uuid4())
        line = input.lines[0]
        data = {
            "customerId": input.customer_id,
            "customerName": "Bench",
            "customerEmail": "b@example.com",
            "lines": [
                {
                    "productId": line.product_id,
                    "sku": "BENCH-1",
                    "name": "Bench",
                    "quantity": line.quantity,
                    "unitPrice": "9.99",
                }
            ],
            "total": "19.98",
            "idempotencyKey": None,
        }
        connection.execute(
            "INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data, metadata,"
            " recorded_at) VALUES (?, ?, 'Order', 1, 'OrderPlaced', 1, ?, ?, ?)",
            (
                str(uuid.uuid4()),
                order_id,
                json.dumps(data),
                json.dumps({"correlationId": "bench"}),
                time.time_ns() // 1000,
            ),
        )
        return OrderPayload(order=Order(id=strawberry.ID(order_id)))


@strawberry.type
class Query:
    @strawberry.field
    def ok(self) -> bool:
        return True


app = GraphQL(strawberry.Schema(query=Query, mutation=Mutation))
