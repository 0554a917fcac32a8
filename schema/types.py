"""GraphQL output types, built from aggregate states and recorded events."""

from datetime import datetime
from decimal import Decimal
from typing import Self
from uuid import UUID

import strawberry
from strawberry.scalars import JSON

from domain import customer as customer_state
from domain import order as order_state
from domain import product as product_state
from domain.order import OrderStatus as OrderStatus
from domain.values import Address as AddressValue
from domain.values import cents
from projections.projection import ENTITY
from schema.command_handler import Outcome
from store.documents import Document
from store.events import RecordedEvent

# One enum for the whole code base: the domain's, shown to GraphQL as it is (and imported from here
# by the other GraphQL modules, so that it is a GraphQL enum wherever they use it).
strawberry.enum(OrderStatus)


@strawberry.type
class Address:
    street: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")

    @classmethod
    def from_value(cls, value: AddressValue | None) -> Self | None:
        if value is None:
            return None
        return cls(street=value.street, city=value.city, postal_code=value.postal_code, country=value.country)

    @classmethod
    def from_document(cls, document: Document | None) -> Self | None:
        if document is None:
            return None
        return cls(
            street=document["street"],
            city=document["city"],
            postal_code=document["postalCode"],
            country=document["country"],
        )


@strawberry.type
class Customer:
    id: strawberry.ID
    name: str
    email: str
    email_verified: bool
    address: Address | None
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_state(cls, state: customer_state.Customer) -> Self:
        return cls(
            id=strawberry.ID(str(state.id)),
            name=state.name,
            email=state.email,
            email_verified=state.email_verified,
            address=Address.from_value(state.address),
            version=state.version,
            created_at=state.created_at,
            updated_at=state.updated_at,
        )

    @classmethod
    def from_document(cls, document: Document) -> Self:
        return cls(
            id=strawberry.ID(document["_id"]),
            name=document["name"],
            email=document["email"],
            email_verified=document["emailVerified"],
            address=Address.from_document(document["address"]),
            version=document["version"],
            created_at=document["createdAt"],
            updated_at=document["updatedAt"],
        )


@strawberry.type
class Product:
    id: strawberry.ID
    sku: str
    name: str
    price: Decimal
    version: int
    created_at: datetime
    updated_at: datetime

    @classmethod
    def from_state(cls, state: product_state.Product) -> Self:
        return cls(
            id=strawberry.ID(str(state.id)),
            sku=state.sku,
            name=state.name,
            price=state.price,
            version=state.version,
            created_at=state.created_at,
            updated_at=state.updated_at,
        )

    @classmethod
    def from_document(cls, document: Document) -> Self:
        return cls(
            id=strawberry.ID(document["_id"]),
            sku=document["sku"],
            name=document["name"],
            price=document["price"],
            version=document["version"],
            created_at=document["createdAt"],
            updated_at=document["updatedAt"],
        )


@strawberry.type
class OrderLine:
    product_id: strawberry.ID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


@strawberry.type
class Order:
    id: strawberry.ID
    customer_id: strawberry.ID
    lines: list[OrderLine]
    total: Decimal
    status: OrderStatus
    placed_at: datetime
    shipped_at: datetime | None
    carrier: str | None
    tracking_number: str | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    version: int
    as_of: strawberry.Private[datetime | None] = None
    """The instant this order is shown as of, so that its customer is shown as of then too."""

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.as_of is not None:
            state = await info.context.customer_as_of(UUID(self.customer_id), self.as_of)
            return Customer.from_state(state) if state else None
        document = await info.context.customers.load(str(self.customer_id))
        return Customer.from_document(document) if document else None

    @classmethod
    def from_state(cls, state: order_state.Order, as_of: datetime | None = None) -> Self:
        return cls(
            as_of=as_of,
            id=strawberry.ID(str(state.id)),
            customer_id=strawberry.ID(str(state.customer_id)),
            lines=[
                OrderLine(
                    product_id=strawberry.ID(str(line.product_id)),
                    sku=line.sku,
                    name=line.name,
                    quantity=line.quantity,
                    unit_price=cents(line.unit_price),
                    line_total=order_state.line_total(line),
                )
                for line in state.lines
            ],
            total=state.total,
            status=state.status,
            placed_at=state.placed_at,
            shipped_at=state.shipped_at,
            carrier=state.carrier,
            tracking_number=state.tracking_number,
            cancelled_at=state.cancelled_at,
            cancel_reason=state.cancel_reason,
            version=state.version,
        )

    @classmethod
    def from_document(cls, document: Document, as_of: datetime | None = None) -> Self:
        return cls(
            as_of=as_of,
            # A version from a history collection names the order it is a version of.
            id=strawberry.ID(document.get(ENTITY) or document["_id"]),
            customer_id=strawberry.ID(document["customerId"]),
            lines=[
                OrderLine(
                    product_id=strawberry.ID(line["productId"]),
                    sku=line["sku"],
                    name=line["name"],
                    quantity=line["quantity"],
                    unit_price=line["unitPrice"],
                    line_total=line["lineTotal"],
                )
                for line in document["lines"]
            ],
            total=document["total"],
            status=OrderStatus(document["status"]),
            placed_at=document["placedAt"],
            shipped_at=document["shippedAt"],
            carrier=document["carrier"],
            tracking_number=document["trackingNumber"],
            cancelled_at=document["cancelledAt"],
            cancel_reason=document["cancelReason"],
            version=document["version"],
        )


@strawberry.type(description="One immutable recorded event.")
class Event:
    id: strawberry.ID
    stream_id: strawberry.ID = strawberry.field(description="The customer, product or order it belongs to.")
    stream_type: str = strawberry.field(description='"Customer", "Product" or "Order".')
    type: str
    version: int = strawberry.field(description="1-based position inside its stream.")
    position: int = strawberry.field(description="Global, strictly increasing across all streams.")
    recorded_at: datetime
    data: JSON
    metadata: JSON

    @classmethod
    def from_recorded(cls, recorded: RecordedEvent) -> Self:
        return cls(
            id=strawberry.ID(str(recorded.id)),
            stream_id=strawberry.ID(str(recorded.stream_id)),
            stream_type=recorded.stream_type,
            type=recorded.type,
            version=recorded.version,
            position=recorded.position,
            recorded_at=recorded.recorded_at,
            data=JSON(recorded.event.to_json_data()),
            metadata=JSON(dict(recorded.metadata)),
        )


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class EventEdge:
    node: Event
    cursor: str


@strawberry.type
class EventConnection:
    edges: list[EventEdge]
    page_info: PageInfo


def _events(outcome: Outcome[object]) -> list[Event]:
    return [Event.from_recorded(recorded) for recorded in outcome.events]


@strawberry.type
class CustomerPayload:
    customer: Customer
    events: list[Event]

    @classmethod
    def from_outcome(cls, outcome: Outcome[customer_state.Customer]) -> Self:
        return cls(customer=Customer.from_state(outcome.state), events=_events(outcome))


@strawberry.type
class ProductPayload:
    product: Product
    events: list[Event]

    @classmethod
    def from_outcome(cls, outcome: Outcome[product_state.Product]) -> Self:
        return cls(product=Product.from_state(outcome.state), events=_events(outcome))


@strawberry.type
class OrderPayload:
    order: Order
    events: list[Event]

    @classmethod
    def from_outcome(cls, outcome: Outcome[order_state.Order]) -> Self:
        return cls(order=Order.from_state(outcome.state), events=_events(outcome))


@strawberry.type
class OrderEdge:
    node: Order
    cursor: str


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


@strawberry.type
class ProductEdge:
    node: Product
    cursor: str


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


@strawberry.type
class ProductSales:
    product_id: strawberry.ID
    name: str
    quantity: int
    revenue: Decimal


@strawberry.type
class SalesDay:
    day: datetime = strawberry.field(description="Start of the UTC day.")
    orders_placed: int
    orders_shipped: int
    orders_cancelled: int
    revenue: Decimal = strawberry.field(description="Placed minus cancelled, that day.")


@strawberry.type
class SalesReport:
    from_: datetime | None = strawberry.field(
        name="from", description="Start of the first UTC day counted (the report counts whole days)."
    )
    to: datetime | None = strawberry.field(description="End of the last UTC day counted (exclusive).")
    orders_placed: int
    orders_shipped: int
    orders_cancelled: int
    revenue: Decimal = strawberry.field(description="Placed minus cancelled, in the window.")
    top_products: list[ProductSales]
    days: list[SalesDay] = strawberry.field(
        description="Each day of the window with any orders placed, shipped or cancelled, in order."
    )


@strawberry.type
class ProjectionStatus:
    name: str
    position: int = strawberry.field(description="The position of the last event applied.")
    lag: int = strawberry.field(description="Events recorded but not applied yet.")
    updated_at: datetime | None
    feed: str | None = strawberry.field(description='"change_stream" or "tail".')
    error: str | None = strawberry.field(description="Why the projection stopped, if it did.")
    collection: str
