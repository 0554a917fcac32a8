"""Queries answered from the read models that projections keep (never by replaying events), one
Strawberry type per read model, merged into `ReadModelQuery`.

The readers beside each projection know how its documents are stored; this module checks arguments,
pages, and turns documents into types.
"""

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import Info
from strawberry.tools import merge_types

from access.rules import customer_scope, sees
from commands.fold import fold_entity
from domain import customer, order, product
from domain.decider import Evolve
from domain.errors import InvalidInput
from domain.order import OrderStatus
from domain.values import cents
from projections import customer_profiles, order_search, order_summaries, product_catalogue, sales_report
from projections.collections import CollectionNames
from projections.projector import owners
from schema.context import Context
from schema.inputs import OrderFilter
from schema.pagination import (
    customer_cursor,
    customer_keyset,
    order_cursor,
    order_keyset,
    page_size,
    product_cursor,
    product_keyset,
)
from schema.types import (
    Connection,
    Customer,
    Order,
    Product,
    ProductSales,
    ProjectionStatus,
    SalesDay,
    SalesReport,
    page_of,
)
from schema.validation import aware, parse_currency, parse_id, search_text
from store.documents import Document, DocumentStore

ContextInfo = Info[Context, None]
Reader = Callable[[DocumentStore, CollectionNames, Sequence[str]], Awaitable[dict[str, Document]]]

MAX_TOP_PRODUCTS = 100


def _in_the_past(instant: datetime | None) -> datetime | None:
    """`asOf` in the past reads history; at or after now, the current read models are the answer."""
    return instant if instant is not None and instant < datetime.now(UTC) else None


@dataclass(frozen=True, slots=True)
class _Entity[S, T]:
    """One customer, product or order: now from its read model, as of an instant from its own events."""

    kind: str
    evolve: Evolve[S]
    from_state: Callable[[S, datetime], T]
    reader: Reader
    from_document: Callable[[Document], T]

    async def load(self, info: ContextInfo, id: str, as_of: datetime | None) -> T | None:
        if (instant := aware(as_of, "asOf")) is not None:
            # The entity folded from exactly its events recorded at or before `instant` (one indexed read).
            history = await info.context.events.read_stream(parse_id(id, "id"), as_of=instant)
            state = fold_entity(self.kind, self.evolve, history)
            return self.from_state(state, instant) if state else None
        key = str(parse_id(id, "id"))
        found = await self.reader(info.context.documents, info.context.collections, [key])
        return self.from_document(found[key]) if key in found else None


def _timeless[S, T](from_state: Callable[[S], T]) -> Callable[[S, datetime], T]:
    """For an entity shown the same whatever the instant it is shown as of."""
    return lambda state, _: from_state(state)


_ORDER = _Entity("Order", order.evolve, Order.from_state, order_summaries.summaries, Order.from_document)
_CUSTOMER = _Entity(
    "Customer",
    customer.evolve,
    _timeless(Customer.from_state),
    customer_profiles.profiles,
    Customer.from_document,
)
_PRODUCT = _Entity(
    "Product",
    product.evolve,
    _timeless(Product.from_state),
    product_catalogue.products,
    Product.from_document,
)


def _order_criteria(filter: OrderFilter | None) -> order_summaries.OrderCriteria:
    if filter is None:
        return order_summaries.OrderCriteria()
    return order_summaries.OrderCriteria(
        status=OrderStatus(filter.status.value) if filter.status is not None else None,
        customer_id=(
            str(parse_id(filter.customer_id, "filter.customerId")) if filter.customer_id is not None else None
        ),
        placed_from=aware(filter.placed_from, "filter.placedFrom"),
        placed_to=aware(filter.placed_to, "filter.placedTo"),
    )


@strawberry.type
class OrderQuery:
    @strawberry.field(description="One order; with `asOf`, as it was then (null if it did not exist yet).")
    async def order(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Order | None:
        found = await _ORDER.load(info, id, as_of)
        # Another customer's order is, to a customer, an order that does not exist.
        return found if found is not None and sees(info.context.caller, found.customer_id) else None

    @strawberry.field(description="Orders, newest first; the cursor stays valid while new orders arrive.")
    async def orders(
        self,
        info: ContextInfo,
        filter: OrderFilter | None = None,
        first: int = 20,
        after: str | None = None,
        as_of: datetime | None = None,
    ) -> Connection[Order]:
        size = page_size(first)
        past = _in_the_past(aware(as_of, "asOf"))
        criteria = _order_criteria(filter)
        if (scope := customer_scope(info.context.caller)) is not None:
            if criteria.customer_id not in (None, str(scope)):
                return page_of([], size, Order.from_document, order_cursor)
            criteria = replace(criteria, customer_id=str(scope))
        found = await order_summaries.listing(
            info.context.documents, info.context.collections, criteria, order_keyset(after), size + 1, past
        )
        return page_of(found, size, lambda summary: Order.from_document(summary, as_of=past), order_cursor)

    @strawberry.field(
        description="Orders whose customer name or email, product names or SKUs, or tracking number "
        "hold every word of `text` (any case; the last word may be only its start, as while typing), "
        "newest first; the cursor stays valid while new orders arrive."
    )
    async def search_orders(
        self, info: ContextInfo, text: str, first: int = 20, after: str | None = None
    ) -> Connection[Order]:
        size = page_size(first)
        found = await order_search.matching(
            info.context.documents,
            info.context.collections,
            search_text(text, "text"),
            order_keyset(after),
            size + 1,
            customer_id=customer_scope(info.context.caller),
        )
        return page_of(found, size, Order.from_document, order_cursor)


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="One customer; with `asOf`, as they were then.")
    async def customer(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Customer | None:
        found = await _CUSTOMER.load(info, id, as_of)
        return found if found is not None and sees(info.context.caller, found.id) else None

    @strawberry.field(
        description="Customers by name; with `search`, those with a word of their name or email "
        "starting with each word of it (any case). The cursor stays valid while customers register."
    )
    async def customers(
        self, info: ContextInfo, first: int = 20, after: str | None = None, search: str | None = None
    ) -> Connection[Customer]:
        size = page_size(first)
        scope = customer_scope(info.context.caller)
        found = await customer_profiles.listing(
            info.context.documents,
            info.context.collections,
            None if search is None else search_text(search, "search"),
            customer_keyset(after),
            size + 1,
            # A customer is the one customer it may know of.
            only=None if scope is None else str(scope),
        )
        return page_of(found, size, Customer.from_document, customer_cursor)


@strawberry.type
class ProductQuery:
    @strawberry.field(description="One product; with `asOf`, as it was then.")
    async def product(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Product | None:
        return await _PRODUCT.load(info, id, as_of)

    @strawberry.field(
        description="Products in SKU order; with `search`, those with a word of their name or SKU "
        "starting with each word of it (any case); with `asOf`, as they were then. The cursor stays "
        "valid while products are created."
    )
    async def products(
        self,
        info: ContextInfo,
        first: int = 20,
        after: str | None = None,
        search: str | None = None,
        as_of: datetime | None = None,
    ) -> Connection[Product]:
        size = page_size(first)
        found = await product_catalogue.in_sku_order(
            info.context.documents,
            info.context.collections,
            product_keyset(after),
            size + 1,
            None if search is None else search_text(search, "search"),
            _in_the_past(aware(as_of, "asOf")),
        )
        return page_of(found, size, Product.from_document, product_cursor)


@strawberry.type
class SalesQuery:
    @strawberry.field(description="Sales over whole UTC days: from's day up to the day before `to` ends.")
    async def sales_report(
        self,
        info: ContextInfo,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        top: int = 10,
        as_of: datetime | None = None,
        currency: Annotated[
            str | None,
            strawberry.argument(description="ISO 4217 code (default: the server's EVENTFOLD_CURRENCY)."),
        ] = None,
    ) -> SalesReport:
        past = _in_the_past(aware(as_of, "asOf"))
        return await report(info.context, sales_window(info.context, from_, to, top, currency, past), top)


def sales_window(
    context: Context,
    from_: datetime | None,
    to: datetime | None,
    top: int,
    currency: str | None,
    past: datetime | None = None,
) -> sales_report.SalesWindow:
    """The window a report's arguments name, or BAD_USER_INPUT."""
    start, end = aware(from_, "from"), aware(to, "to")
    code = parse_currency(context.currency if currency is None else currency, "currency")
    if not 1 <= top <= MAX_TOP_PRODUCTS:
        raise InvalidInput("top", f"must be between 1 and {MAX_TOP_PRODUCTS}, got {top}")
    first_day, last_day = sales_report.window(start, end)
    if first_day and last_day and last_day < first_day:
        raise InvalidInput("to", "must be after from")
    return sales_report.SalesWindow(code, first_day, last_day, past)


async def report(context: Context, window: sales_report.SalesWindow, top: int) -> SalesReport:
    sales = await sales_report.sales(context.documents, context.collections, window, top)
    days = [SalesDay.from_document(totals) for totals in sales.days]
    return SalesReport(
        from_=window.first_day,
        to=window.last_day + timedelta(days=1) if window.last_day else None,
        orders_placed=sum(day.orders_placed for day in days),
        orders_shipped=sum(day.orders_shipped for day in days),
        orders_cancelled=sum(day.orders_cancelled for day in days),
        revenue=cents(sum((day.revenue for day in days), Decimal(0))),
        currency=window.currency,
        top_products=[ProductSales.from_document(sold) for sold in sales.top_products],
        days=days,
    )


@strawberry.type
class ProjectionQuery:
    @strawberry.field(description="Where each read model stands against the event log.")
    async def projections(self, info: ContextInfo) -> list[ProjectionStatus]:
        return await projection_statuses(info.context)


async def projection_statuses(context: Context) -> list[ProjectionStatus]:
    head = await context.events.head()
    held = owners(await context.leases.holders())
    return [
        ProjectionStatus.from_state(state, head, held.get(state.name))
        for state in await context.states.load_all()
    ]


ReadModelQuery = merge_types(
    "ReadModelQuery", (OrderQuery, CustomerQuery, ProductQuery, SalesQuery, ProjectionQuery)
)
