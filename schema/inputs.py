"""GraphQL input types, named as Relay code generators expect."""

from datetime import datetime
from decimal import Decimal

import strawberry

from schema.types import OrderStatus


@strawberry.input
class AddressInput:
    street: str
    city: str
    postal_code: str
    country: str = strawberry.field(description='ISO 3166-1 alpha-2 code, e.g. "DE".')


@strawberry.input
class RegisterCustomerInput:
    name: str
    email: str
    address: AddressInput | None = None


@strawberry.input
class ChangeCustomerAddressInput:
    customer_id: strawberry.ID
    address: AddressInput
    expected_version: int | None = None


@strawberry.input
class ChangeCustomerEmailInput:
    customer_id: strawberry.ID
    email: str
    expected_version: int | None = None


@strawberry.input
class VerifyCustomerEmailInput:
    customer_id: strawberry.ID
    expected_version: int | None = None


@strawberry.input
class CreateProductInput:
    sku: str
    name: str
    price: Decimal
    currency: str | None = strawberry.field(
        default=None,
        description="ISO 4217 code, such as EUR or USD (default: the server's EVENTFOLD_CURRENCY).",
    )


@strawberry.input
class ChangeProductPriceInput:
    product_id: strawberry.ID
    price: Decimal
    expected_version: int | None = None


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    customer_id: strawberry.ID
    lines: list[OrderLineInput]
    idempotency_key: str | None = strawberry.field(
        default=None,
        description=(
            "Repeating a key with the same customer and lines returns the first result and records "
            "nothing new; with anything else it is CONFLICT. Each caller (API key, JWT subject, the "
            "anonymous caller) has keys of its own."
        ),
    )


@strawberry.input
class ShipOrderInput:
    order_id: strawberry.ID
    carrier: str
    tracking_number: str
    expected_version: int | None = None


@strawberry.input
class CancelOrderInput:
    order_id: strawberry.ID
    reason: str
    expected_version: int | None = None


@strawberry.input
class OrderFilter:
    status: OrderStatus | None = None
    customer_id: strawberry.ID | None = None
    placed_from: datetime | None = strawberry.field(default=None, description="Inclusive.")
    placed_to: datetime | None = strawberry.field(default=None, description="Inclusive.")


@strawberry.input(description="Which events of the log `events` lists; every field given must hold.")
class EventFilter:
    types: list[str] | None = strawberry.field(default=None, description="Event types, e.g. OrderPlaced.")
    stream_types: list[str] | None = strawberry.field(
        default=None, description="Stream types: Customer, Product, Order."
    )
    from_: datetime | None = strawberry.field(
        default=None, name="from", description="Recorded at or after this instant."
    )
    to: datetime | None = strawberry.field(default=None, description="Recorded before this instant.")
