"""The baseline for GraphQL overhead: a bare Strawberry schema answering `order(id)` with a constant.

uv run uvicorn bench.bare_app:app --port 8001
"""

from datetime import UTC, datetime
from decimal import Decimal

import strawberry
from strawberry.asgi import GraphQL

PLACED_AT = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str


@strawberry.type
class OrderLine:
    sku: str
    quantity: int
    unit_price: Decimal


@strawberry.type
class Order:
    id: strawberry.ID
    status: str
    total: Decimal
    placed_at: datetime
    lines: list[OrderLine]
    customer: Customer | None


ORDER = Order(
    id=strawberry.ID("6f1b7c2e-3a56-4d4e-9b1a-2f6c1e0d9a11"),
    status="PLACED",
    total=Decimal("19.98"),
    placed_at=PLACED_AT,
    lines=[OrderLine(sku="BENCH-1", quantity=2, unit_price=Decimal("9.99"))],
    customer=Customer(id=strawberry.ID("0c5e8d43-71b2-4f0a-8e6d-5a9b3c2d1e7f"), name="Bench"),
)


@strawberry.type
class Query:
    @strawberry.field
    def order(self, id: strawberry.ID) -> Order | None:
        return ORDER


app = GraphQL(strawberry.Schema(query=Query))
