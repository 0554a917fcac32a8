"""Events: immutable facts, named and versioned explicitly so that stored history stays readable.

Each event carries every fact that readers need later (an `OrderPlaced` holds the sku, name and unit
price of each line as they were), so nothing downstream has to look up another aggregate's state.
The id of the aggregate an event belongs to is not in the payload: it is the stream id.
Fields are plain types: the rules live in the commands, and a recorded fact must stay readable even
after those rules are tightened.
"""

from datetime import datetime
from decimal import Decimal
from typing import Any, ClassVar, Literal
from uuid import UUID

from domain.values import Address, Value

StreamType = Literal["Customer", "Product", "Order"]


class Event(Value):
    type_name: ClassVar[str]
    stream_type: ClassVar[StreamType]
    schema_version: ClassVar[int] = 1

    def to_data(self) -> dict[str, Any]:
        """The payload with Python values (UUID, Decimal); each store encodes them its own way."""
        return self.model_dump()

    def to_json_data(self) -> dict[str, Any]:
        """The payload as JSON values (UUIDs and money as strings)."""
        return self.model_dump(mode="json")


class CustomerEvent(Event):
    stream_type = "Customer"


class CustomerRegistered(CustomerEvent):
    type_name = "CustomerRegistered"
    name: str
    email: str
    address: Address | None = None


class CustomerAddressChanged(CustomerEvent):
    type_name = "CustomerAddressChanged"
    address: Address


class CustomerEmailChanged(CustomerEvent):
    type_name = "CustomerEmailChanged"
    email: str
    previous_email: str


class CustomerEmailVerified(CustomerEvent):
    type_name = "CustomerEmailVerified"
    email: str


class ProductEvent(Event):
    stream_type = "Product"


class ProductCreated(ProductEvent):
    type_name = "ProductCreated"
    sku: str
    name: str
    price: Decimal


class ProductPriceChanged(ProductEvent):
    type_name = "ProductPriceChanged"
    price: Decimal
    previous_price: Decimal


class OrderEvent(Event):
    stream_type = "Order"


class PlacedLine(Value):
    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class OrderPlaced(OrderEvent):
    """Who ordered what at which price, as they were at that moment (the bill-to and the prices)."""

    type_name = "OrderPlaced"
    customer_id: UUID
    customer_name: str
    customer_email: str
    lines: tuple[PlacedLine, ...]
    total: Decimal
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    """With an idempotency key, the hash of what was asked (`domain.commands.request_fingerprint`), so that
    a repeat of the key asking for something else is told apart. Absent from placements recorded before
    it was kept; theirs follows from the buyer and lines they record."""


class OrderShipped(OrderEvent):
    type_name = "OrderShipped"
    carrier: str
    tracking_number: str
    placed_at: datetime
    """When the order was placed: with this event's own time, how long it was open."""


class OrderCancelled(OrderEvent):
    """Also what was cancelled, so that a sales report can take it back out without a lookup."""

    type_name = "OrderCancelled"
    reason: str
    customer_id: UUID
    lines: tuple[PlacedLine, ...]
    total: Decimal
    placed_at: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name: cls
    for cls in (
        CustomerRegistered,
        CustomerAddressChanged,
        CustomerEmailChanged,
        CustomerEmailVerified,
        ProductCreated,
        ProductPriceChanged,
        OrderPlaced,
        OrderShipped,
        OrderCancelled,
    )
}


class UnknownEventType(Exception):
    pass


def event_type(type_name: str, schema_version: int) -> type[Event]:
    """The class of a stored event. Older schema versions would be upcast here; there is only v1 so far."""
    cls = EVENT_TYPES.get(type_name)
    if cls is None or schema_version != cls.schema_version:
        raise UnknownEventType(f"no event type {type_name!r} at schema version {schema_version}")
    return cls


def event_from_data(type_name: str, schema_version: int, data: dict[str, Any]) -> Event:
    return event_type(type_name, schema_version).model_validate(data)


def event_from_json(type_name: str, schema_version: int, data: str | bytes) -> Event:
    # pydantic parses and validates in one pass, much faster than json.loads and then validating.
    return event_type(type_name, schema_version).model_validate_json(data)
