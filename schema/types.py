"""GraphQL output types, built from aggregate states, read model documents and recorded events."""

import functools
import inspect
from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, Self, get_type_hints
from uuid import UUID

import strawberry
from pydantic.alias_generators import to_camel
from strawberry.scalars import JSON

from commands.handler import Outcome
from domain import customer as customer_state
from domain import order as order_state
from domain import product as product_state
from domain.events import PlacedLine
from domain.order import OrderStatus as OrderStatus
from domain.values import Address as AddressValue
from domain.values import cents
from projections import order_summaries
from projections.order_summaries import order_id
from projections.projection import entity_id
from schema.pagination import order_cursor, order_keyset, page_size
from store.documents import Document
from store.events import RecordedEvent
from store.projection_state import ProjectionState

# The domain's enum is the GraphQL one too: one OrderStatus in the whole code base. Input types
# import it from here, so that it is a GraphQL enum before they are.
strawberry.enum(OrderStatus)


_camel = functools.cache(to_camel)


@functools.cache
def _field_names(cls: Callable[..., object]) -> tuple[str, ...]:
    return tuple(inspect.signature(cls).parameters)


def _built[T](cls: Callable[..., T], value_of: Callable[[str], Any], **given: Any) -> T:
    """`cls` with the fields `given`, and every other field `value_of` its name."""
    return cls(**{name: value_of(name) for name in _field_names(cls) if name not in given}, **given)


def _attributes(state: object) -> Callable[[str], Any]:
    """A field from a domain state, where it has the field's name."""
    return lambda name: getattr(state, name)


def _keys(document: Document) -> Callable[[str], Any]:
    """A field from a read model's document, where it has the field's name in camelCase."""
    return lambda name: document[_camel(name)]


def _currency(recorded: str | None, info: strawberry.Info) -> str:
    # A document written before money had its currency (until `eventfold rebuild` rewrites it) was
    # priced in the deployment's currency, the one its events are upcast to.
    return recorded if recorded is not None else info.context.currency


@strawberry.type
class Address:
    street: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2 code.")

    @classmethod
    def from_value(cls, value: AddressValue | None) -> Self | None:
        return _built(cls, _attributes(value)) if value is not None else None

    @classmethod
    def from_document(cls, document: Document | None) -> Self | None:
        return _built(cls, _keys(document)) if document is not None else None


@strawberry.interface(
    description="What `node` and `nodes` find by id alone: an order, a customer or a product (ids are "
    "unique across kinds), as Relay and normalising caches expect."
)
class Node:
    id: strawberry.ID


@strawberry.type
class Customer(Node):
    id: strawberry.ID
    name: str = strawberry.field(description='The fixed string "[erased]" once the customer is erased.')
    email: str = strawberry.field(description='The fixed string "[erased]" once the customer is erased.')
    email_verified: bool
    address: Address | None = strawberry.field(
        description="Null once the customer is erased, or if it has none."
    )
    erased: bool = strawberry.field(description="Whether eraseCustomer erased its personal data.")
    version: int
    created_at: datetime
    updated_at: datetime

    @strawberry.field(description="This customer's orders as they are now, newest first.")
    async def orders(
        self, info: strawberry.Info, first: int = 20, after: str | None = None
    ) -> "Connection[Order]":
        size = page_size(first)
        criteria = order_summaries.OrderCriteria(customer_id=str(self.id))
        found = await order_summaries.listing(
            info.context.documents, info.context.collections, criteria, order_keyset(after), size + 1
        )
        return page_of(found, size, Order.from_document, order_cursor)

    @classmethod
    def from_state(cls, state: customer_state.Customer) -> Self:
        return _built(
            cls,
            _attributes(state),
            id=strawberry.ID(str(state.id)),
            address=Address.from_value(state.address),
        )

    @classmethod
    def from_document(cls, document: Document) -> Self:
        return _built(
            cls,
            _keys(document),
            id=strawberry.ID(document["_id"]),
            address=Address.from_document(document["address"]),
            # Profiles written before erasure existed have no such field.
            erased=document.get("erased", False),
        )


@strawberry.type
class Product(Node):
    id: strawberry.ID
    sku: str
    name: str
    price: Decimal
    version: int
    created_at: datetime
    updated_at: datetime
    recorded_currency: strawberry.Private[str | None] = None

    @strawberry.field(description="ISO 4217 code of the price.")
    def currency(self, info: strawberry.Info) -> str:
        return _currency(self.recorded_currency, info)

    @classmethod
    def from_state(cls, state: product_state.Product) -> Self:
        return _built(
            cls, _attributes(state), id=strawberry.ID(str(state.id)), recorded_currency=state.currency
        )

    @classmethod
    def from_document(cls, document: Document) -> Self:
        """From the catalogue's document, or a version of one from its history."""
        return _built(
            cls,
            _keys(document),
            id=strawberry.ID(entity_id(document)),
            recorded_currency=document.get("currency"),
        )


@strawberry.type
class OrderLine:
    product_id: strawberry.ID
    sku: str
    name: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @classmethod
    def from_placed(cls, line: PlacedLine) -> Self:
        return _built(
            cls,
            _attributes(line),
            product_id=strawberry.ID(str(line.product_id)),
            unit_price=cents(line.unit_price),
            line_total=order_state.line_total(line),
        )


@strawberry.type
class Order(Node):
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
    recorded_currency: strawberry.Private[str | None] = None

    @strawberry.field(description="ISO 4217 code of the total and every price: an order's lines share one.")
    def currency(self, info: strawberry.Info) -> str:
        return _currency(self.recorded_currency, info)

    @strawberry.field
    async def customer(self, info: strawberry.Info) -> Customer | None:
        if self.as_of is not None:
            state = await info.context.customer_as_of(UUID(self.customer_id), self.as_of)
            return Customer.from_state(state) if state else None
        document = await info.context.customers.load(str(self.customer_id))
        return Customer.from_document(document) if document else None

    @classmethod
    def from_state(cls, state: order_state.Order, as_of: datetime | None = None) -> Self:
        return _built(
            cls,
            _attributes(state),
            as_of=as_of,
            id=strawberry.ID(str(state.id)),
            customer_id=strawberry.ID(str(state.customer_id)),
            lines=[OrderLine.from_placed(line) for line in state.lines],
            recorded_currency=state.currency,
        )

    @classmethod
    def from_document(cls, document: Document, as_of: datetime | None = None) -> Self:
        return _built(
            cls,
            _keys(document),
            as_of=as_of,
            id=strawberry.ID(order_id(document)),
            lines=[_built(OrderLine, _keys(line)) for line in document["lines"]],
            status=OrderStatus(document["status"]),
            recorded_currency=document.get("currency"),
        )


@strawberry.type(description="One immutable recorded event.")
class Event:
    id: strawberry.ID
    stream_id: strawberry.ID = strawberry.field(description="The customer, product or order it belongs to.")
    stream_type: str = strawberry.field(description='"Customer", "Product" or "Order".')
    type: str
    schema_version: int = strawberry.field(
        description=(
            "The version of its type's shape that `data` has: this release's for the events it reads "
            "(older ones are upcast), the stored one for an event it cannot read (shown as stored)."
        )
    )
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
            schema_version=recorded.schema_version,
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
class Edge[T]:
    node: T
    cursor: str


@strawberry.type
class Connection[T]:
    """Named after its nodes' type, as `OrderConnection` (with `OrderEdge`)."""

    edges: list[Edge[T]]
    page_info: PageInfo


def page_of[I, T](
    items: Sequence[I], size: int, node: Callable[[I], T], cursor: Callable[[I], str]
) -> Connection[T]:
    """The first `size` items as a page; one more than that says there is a next page."""
    edges = [Edge(node=node(item), cursor=cursor(item)) for item in items[:size]]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(items) > size, end_cursor=edges[-1].cursor if edges else None),
    )


class _FromState(Protocol):
    @classmethod
    def from_state(cls, state: Any) -> Self: ...


@strawberry.type
class Payload[T: _FromState]:
    """What a mutation answers: the entity as the command left it, and the events it recorded. Each
    payload names `entity` after its type."""

    entity: T
    events: list[Event]

    @classmethod
    def from_outcome(cls, outcome: Outcome[Any]) -> Self:
        entity_type = get_type_hints(cls)["entity"]
        return cls(
            entity=entity_type.from_state(outcome.state),
            events=[Event.from_recorded(recorded) for recorded in outcome.events],
        )


@strawberry.type
class CustomerPayload(Payload[Customer]):
    entity: Customer = strawberry.field(name="customer")


@strawberry.type
class ProductPayload(Payload[Product]):
    entity: Product = strawberry.field(name="product")


@strawberry.type
class OrderPayload(Payload[Order]):
    entity: Order = strawberry.field(name="order")


@strawberry.type
class ProductSales:
    product_id: strawberry.ID
    name: str
    quantity: int
    revenue: Decimal

    @classmethod
    def from_document(cls, sold: Document) -> Self:
        return _built(cls, _keys(sold))


@strawberry.type
class SalesDay:
    day: datetime = strawberry.field(description="Start of the UTC day.")
    orders_placed: int
    orders_shipped: int
    orders_cancelled: int
    revenue: Decimal = strawberry.field(description="Placed minus cancelled, that day.")

    @classmethod
    def from_document(cls, totals: Document) -> Self:
        return _built(cls, _keys(totals), revenue=cents(totals["revenue"]))


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
    currency: str = strawberry.field(description="ISO 4217 code of every amount of the report.")
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
    stopped_at: int | None = strawberry.field(
        description=(
            "The position of an event this release cannot read, which it stopped just before and waits "
            "at until that position is skipped (`skipEvent`); null while it runs."
        )
    )
    skipped: list[int] = strawberry.field(description="Positions skipped on purpose, passed over.")
    owner: str | None = strawberry.field(
        description="The projector holding its lease (host:process id:run), null when none does."
    )
    events_per_second: float | None = strawberry.field(
        description="How fast it applied events over its last seconds of work; null before it knows."
    )
    eta_seconds: float | None = strawberry.field(
        description="While it catches up: the time left at that rate (lag / eventsPerSecond); else null."
    )
    collection: str

    @classmethod
    def from_state(cls, state: ProjectionState, head: int, owner: str | None) -> Self:
        """Where the projection stands when the log's last position is `head`."""
        position = state.checkpoint.position
        lag = max(head - position, 0)
        rate = state.events_per_second
        return _built(
            cls,
            _attributes(state),
            position=position,
            lag=lag,
            skipped=list(state.skipped),
            owner=owner,
            eta_seconds=lag / rate if lag and rate and state.stopped_at is None else None,
        )
