"""Events: immutable facts, named and versioned explicitly so that stored history stays readable.

Each event carries every fact that readers need later (an `OrderPlaced` holds the sku, name and unit
price of each line as they were), so nothing downstream has to look up another aggregate's state.
The id of the aggregate an event belongs to is not in the payload: it is the stream id.
Fields are plain types: the rules live in the commands, and a recorded fact must stay readable even
after those rules are tightened. A field this release does not know is ignored rather than refused, so
that an event a newer release enriched stays readable here.

Each event's shape has a `schema_version`. A stored event of an older version is brought up to the
current one by the upcasters of `domain.upcasting` when it is read; stored events are never rewritten.

Personal data: an event that holds some about a customer (names, emails, addresses) declares those
fields in `personal` with the value each takes once that customer is erased. From the version that
declared them on, they are stored sealed with the customer's own data key (`store.sealing`), so that
deleting the key (`CustomerErased`) leaves them unreadable while every other fact stays.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from types import MappingProxyType
from typing import Any, ClassVar, Literal
from uuid import UUID

from pydantic import ConfigDict

from domain.values import Address, Value

StreamType = Literal["Customer", "Product", "Order"]

ERASED = "[erased]"
"""What a personal text field reads as once its customer is erased: a fixed string rather than null,
so that the fields stay non-null for the clients that read them. An erased address reads as null."""


class Event(Value):
    model_config = ConfigDict(extra="ignore")
    type_name: ClassVar[str]
    stream_type: ClassVar[StreamType]
    schema_version: ClassVar[int] = 1
    personal: ClassVar[Mapping[str, Any]] = MappingProxyType({})
    """The payload keys (as stored, camelCase) of the personal fields, each with its value once the
    customer is erased. Empty: the event holds none."""

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
    schema_version = 2
    """Version 1 held the personal fields in plaintext; version 2 seals them."""
    personal = MappingProxyType({"name": ERASED, "email": ERASED, "address": None})
    name: str
    email: str
    address: Address | None = None


class CustomerAddressChanged(CustomerEvent):
    type_name = "CustomerAddressChanged"
    schema_version = 2
    personal = MappingProxyType({"address": None})
    address: Address | None
    """None only once the customer is erased."""


class CustomerEmailChanged(CustomerEvent):
    type_name = "CustomerEmailChanged"
    schema_version = 2
    personal = MappingProxyType({"email": ERASED, "previousEmail": ERASED})
    email: str
    previous_email: str


class CustomerEmailVerified(CustomerEvent):
    type_name = "CustomerEmailVerified"
    schema_version = 2
    personal = MappingProxyType({"email": ERASED})
    email: str


class CustomerErased(CustomerEvent):
    """The customer's data key is deleted: its personal fields, in every event, read as erased from now
    on. Recorded so that every reader (read models, the search index, a restored backup) learns of it."""

    type_name = "CustomerErased"


class ProductEvent(Event):
    stream_type = "Product"


class ProductCreated(ProductEvent):
    type_name = "ProductCreated"
    schema_version = 2
    sku: str
    name: str
    price: Decimal
    currency: str
    """ISO 4217. Version 1 had no currency: its prices were in the deployment's one currency."""


class ProductPriceChanged(ProductEvent):
    type_name = "ProductPriceChanged"
    schema_version = 2
    price: Decimal
    previous_price: Decimal
    currency: str
    """The product's currency, which a price change keeps: a reader of this event alone knows the money."""


class OrderEvent(Event):
    stream_type = "Order"


class PlacedLine(Value):
    model_config = ConfigDict(extra="ignore")
    product_id: UUID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal


class OrderPlaced(OrderEvent):
    """Who ordered what at which price, as they were at that moment (the bill-to and the prices)."""

    type_name = "OrderPlaced"
    schema_version = 3
    """Version 1 had no currency; version 3 seals the customer's name and email."""
    personal = MappingProxyType({"customerName": ERASED, "customerEmail": ERASED})
    customer_id: UUID
    customer_name: str
    customer_email: str
    lines: tuple[PlacedLine, ...]
    total: Decimal
    currency: str
    """Of the total and every unit price: an order's lines share one currency."""
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    """With an idempotency key, the hash of what was asked (`domain.commands.request_fingerprint`), so that
    a repeat of the key asking for something else is told apart. Absent from placements recorded before
    it was kept; theirs follows from the buyer and lines they record."""


class OrderShipped(OrderEvent):
    type_name = "OrderShipped"
    schema_version = 2
    carrier: str
    tracking_number: str
    currency: str
    """The order's, so that a sales report per currency counts the shipment without a lookup."""
    placed_at: datetime
    """When the order was placed: with this event's own time, how long it was open."""


class OrderCancelled(OrderEvent):
    """Also what was cancelled, so that a sales report can take it back out without a lookup."""

    type_name = "OrderCancelled"
    schema_version = 2
    reason: str
    customer_id: UUID
    lines: tuple[PlacedLine, ...]
    total: Decimal
    currency: str
    placed_at: datetime


EVENT_TYPES: dict[str, type[Event]] = {
    cls.type_name: cls
    for cls in (
        CustomerRegistered,
        CustomerAddressChanged,
        CustomerEmailChanged,
        CustomerEmailVerified,
        CustomerErased,
        ProductCreated,
        ProductPriceChanged,
        OrderPlaced,
        OrderShipped,
        OrderCancelled,
    )
}


@dataclass(frozen=True, slots=True)
class UndecodedEvent:
    """A stored event this release cannot read: a type it does not know, a schema version newer than
    its own (written by a newer release during a rolling deploy, or by another tool), or a payload that
    does not fit. Kept as it is stored, so that the audit trail still shows it."""

    type_name: str
    schema_version: int
    data: dict[str, Any]
    """The stored payload as JSON values."""
    reason: str

    def to_json_data(self) -> dict[str, Any]:
        return self.data
