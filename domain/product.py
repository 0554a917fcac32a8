"""The Product aggregate."""

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from uuid import UUID

from domain.commands import ChangeProductPrice, CreateProduct
from domain.decider import Decider
from domain.errors import InvalidInput, NotFound
from domain.events import ProductCreated, ProductEvent, ProductPriceChanged
from domain.values import cents

ProductCommand = CreateProduct | ChangeProductPrice


@dataclass(frozen=True, slots=True)
class Product:
    id: UUID
    sku: str
    name: str
    price: Decimal
    currency: str
    version: int
    created_at: datetime
    updated_at: datetime


def evolve(state: Product | None, event: ProductEvent, stream_id: UUID, at: datetime) -> Product:
    if isinstance(event, ProductCreated):
        return Product(
            id=stream_id,
            sku=event.sku,
            name=event.name,
            price=cents(event.price),
            currency=event.currency,
            version=1,
            created_at=at,
            updated_at=at,
        )
    if state is None:
        raise ValueError(f"{event.type_name} before ProductCreated in stream {stream_id}")
    if isinstance(event, ProductPriceChanged):
        # One `replace` an event, as domain.customer does.
        return replace(state, version=state.version + 1, updated_at=at, price=cents(event.price))
    raise TypeError(f"unexpected product event {event.type_name}")


def decide(command: ProductCommand, state: Product | None) -> list[ProductEvent]:
    if isinstance(command, CreateProduct):
        if state is not None:
            raise InvalidInput("sku", f"a product with SKU {state.sku} already exists ({state.id})")
        return [
            ProductCreated(
                sku=command.sku, name=command.name, price=cents(command.price), currency=command.currency
            )
        ]
    if state is None:
        raise NotFound("product", command.product_id)
    price = cents(command.price)
    if price == state.price:
        return []
    return [ProductPriceChanged(price=price, previous_price=state.price, currency=state.currency)]


DECIDER = Decider[ProductCommand, ProductEvent, Product]("Product", decide, evolve)
