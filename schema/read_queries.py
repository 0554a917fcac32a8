"""Queries answered from the read models that projections keep (never by replaying events)."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Annotated

import strawberry
from strawberry import Info

from commands.fold import fold_entity
from domain import customer, order, product
from domain.decider import Evolve
from domain.errors import InvalidInput
from domain.values import cents
from projections import sales_report
from projections.projection import ENTITY, HISTORY_SUFFIX
from schema.context import Context
from schema.inputs import OrderFilter
from schema.pagination import decode_cursor, encode_cursor, page_size
from schema.types import (
    Customer,
    Order,
    OrderConnection,
    OrderEdge,
    OrderStatus,
    PageInfo,
    Product,
    ProductConnection,
    ProductEdge,
    ProductSales,
    ProjectionStatus,
    SalesDay,
    SalesReport,
)
from schema.validation import parse_id
from store.documents import VALID_FROM, Document, Holding, Query, Range, find_all

ContextInfo = Info[Context, None]

PAGE = 1_000
"""Documents read at a time where a query needs all that match."""
MAX_OPEN_ORDERS = 100_000
MAX_TOP_PRODUCTS = 100


def aware(value: datetime | None, field: str) -> datetime | None:
    """Instants must say which offset they are in; they are compared in UTC."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, f"{value.isoformat()} has no UTC offset (add Z or +hh:mm)")
    return value.astimezone(UTC)


def _instant(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidInput(field, "is not a cursor this field gave out") from None
    result = aware(parsed, field)
    assert result is not None
    return result


async def _one(info: ContextInfo, read_model: str, id: str) -> Document | None:
    key = str(parse_id(id, "id"))
    found = await info.context.documents.get_many(info.context.collections[read_model], [key])
    return found.get(key)


async def _fold_as_of[S](
    info: ContextInfo, kind: str, evolve: Evolve[S], id: str, instant: datetime
) -> S | None:
    """The entity folded from exactly its events recorded at or before `instant` (one indexed read)."""
    history = await info.context.events.read_stream(parse_id(id, "id"), as_of=instant)
    return fold_entity(kind, evolve, history)


def _in_the_past(instant: datetime | None) -> datetime | None:
    """`asOf` in the past reads history; at or after now, the current read models are the answer."""
    return instant if instant is not None and instant < datetime.now(UTC) else None


def _day(instant: datetime) -> datetime:
    return instant.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


async def _placed_then(info: ContextInfo, query: Query, instant: datetime) -> list[Document]:
    """A page of the orders that were PLACED at `instant`, newest first.

    PLACED is the one status orders leave, so walking back through the history from `instant` would
    pass every order shipped or cancelled before it. Instead, the page is merged from the orders still
    PLACED now (placed by `instant`), and those PLACED then but shipped or cancelled since: the open
    days of `instant`'s day that hold it, a set no larger than that day's orders. Both grow with the
    backlog of open orders, not with the history.
    """
    documents, collections = info.context.documents, info.context.collections
    summaries = collections["order_summaries"]
    placed = query.range or Range("placedAt")
    still_open = await documents.find(
        summaries,
        replace(
            query,
            range=replace(placed, lte=min(placed.lte, instant) if placed.lte else instant),
            holding=None,
        ),
    )
    day = instant.date().isoformat()
    closed_since = [
        span["orderId"]
        for span in await documents.find(
            collections["order_open_days"],
            Query(
                range=Range("_id", gte=f"{day}:", lte=f"{day}:~"),
                holding=Holding(instant, start="placedAt", end="closedAt"),
                limit=MAX_OPEN_ORDERS,
            ),
        )
    ]
    versions: list[Document] = []
    if closed_since:
        current = await documents.get_many(summaries, closed_since)
        wanted = [f"{order_id}@{doc['placedPosition']}" for order_id, doc in current.items()]
        versions = [
            {**version, "_id": version[ENTITY]}
            for version in (await documents.get_many(summaries + HISTORY_SUFFIX, wanted)).values()
            if all(version.get(field) == value for field, value in query.equals.items())
            and (placed.gte is None or version["placedAt"] >= placed.gte)
            and (placed.lte is None or version["placedAt"] <= placed.lte)
            and (query.after is None or (version["placedAt"], version["_id"]) < query.after)
        ]
    page = sorted([*still_open, *versions], key=lambda d: (d["placedAt"], d["_id"]), reverse=True)
    return page[: query.limit]


async def _sales_documents(
    info: ContextInfo, first_day: datetime | None, last_day: datetime | None, past: datetime | None
) -> list[Document]:
    """The day totals and product sales of the window, as they were at `past` (None: now)."""
    collection = info.context.collections["sales_report"]
    if past is None:
        return await find_all(
            info.context.documents,
            collection,
            Query(range=Range("day", gte=first_day, lte=last_day), sort="day", limit=PAGE),
        )
    # A day's documents change only during that day: the days before asOf's are final as they are
    # now, and of asOf's own day the versions valid then are the answer.
    day = _day(past)
    closed = day - timedelta(days=1)
    found = []
    if first_day is None or first_day <= closed:
        window = Range("day", gte=first_day, lte=min(last_day, closed) if last_day else closed)
        found = await find_all(
            info.context.documents, collection, Query(range=window, sort="day", limit=PAGE)
        )
    if (first_day is None or first_day <= day) and (last_day is None or day <= last_day):
        found += await find_all(
            info.context.documents,
            collection + HISTORY_SUFFIX,
            Query(equals={"day": day}, holding=Holding(past), sort=VALID_FROM, limit=PAGE),
        )
    return found


@strawberry.type
class ReadModelQuery:
    @strawberry.field(description="One order; with `asOf`, as it was then (null if it did not exist yet).")
    async def order(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Order | None:
        if (instant := aware(as_of, "asOf")) is not None:
            state = await _fold_as_of(info, "Order", order.evolve, id, instant)
            return Order.from_state(state, as_of=instant) if state else None
        document = await _one(info, "order_summaries", id)
        return Order.from_document(document) if document else None

    @strawberry.field(description="Orders, newest first; the cursor stays valid while new orders arrive.")
    async def orders(
        self,
        info: ContextInfo,
        filter: OrderFilter | None = None,
        first: int = 20,
        after: str | None = None,
        as_of: datetime | None = None,
    ) -> OrderConnection:
        size = page_size(first)
        past = _in_the_past(aware(as_of, "asOf"))
        equals: dict[str, object] = {}
        placed = Range("placedAt")
        if filter is not None:
            if filter.status is not None:
                equals["status"] = filter.status.value
            if filter.customer_id is not None:
                equals["customerId"] = str(parse_id(filter.customer_id, "filter.customerId"))
            placed = Range(
                "placedAt",
                gte=aware(filter.placed_from, "filter.placedFrom"),
                lte=aware(filter.placed_to, "filter.placedTo"),
            )
        collection = info.context.collections["order_summaries"]
        if past is not None:
            # The versions valid then; none of an order placed later, so the scan starts at asOf.
            collection += HISTORY_SUFFIX
            placed = Range("placedAt", gte=placed.gte, lte=min(placed.lte, past) if placed.lte else past)
        cursor: tuple[datetime, str] | None = None
        if after:
            placed_at, order_id = decode_cursor(after, "order", 2)
            cursor = (_instant(placed_at, "after"), order_id)
        query = Query(
            equals=equals,
            range=placed if placed.gte or placed.lte else None,
            sort="placedAt",
            descending=True,
            after=cursor,
            limit=size + 1,
            holding=Holding(past) if past else None,
        )
        if past is not None and equals.get("status") == OrderStatus.PLACED.value:
            documents = await _placed_then(info, query, past)
        else:
            documents = await info.context.documents.find(collection, query)
        edges = [
            OrderEdge(
                node=Order.from_document(document, as_of=past),
                cursor=encode_cursor("order", document["placedAt"].isoformat(), document["_id"]),
            )
            for document in documents[:size]
        ]
        return OrderConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(documents) > size, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(
        description="Orders whose customer name or email, product names or SKUs, or tracking number "
        "contain every word of `text` (whole words, any case), newest first."
    )
    async def search_orders(self, info: ContextInfo, text: str, first: int = 20) -> list[Order]:
        size = page_size(first)
        if not text.strip():
            raise InvalidInput("text", "must contain a word to search for")
        if len(text) > 200:
            raise InvalidInput("text", "must be at most 200 characters")
        hits = await info.context.documents.find(
            info.context.collections["order_search"],
            Query(text=text, sort="placedAt", descending=True, limit=size),
        )
        ids = [hit["_id"] for hit in hits]
        found = await info.context.documents.get_many(info.context.collections["order_summaries"], ids)
        return [Order.from_document(found[order_id]) for order_id in ids if order_id in found]

    @strawberry.field(description="One customer; with `asOf`, as they were then.")
    async def customer(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Customer | None:
        if (instant := aware(as_of, "asOf")) is not None:
            state = await _fold_as_of(info, "Customer", customer.evolve, id, instant)
            return Customer.from_state(state) if state else None
        document = await _one(info, "customer_profiles", id)
        return Customer.from_document(document) if document else None

    @strawberry.field(description="One product; with `asOf`, as it was then.")
    async def product(
        self, info: ContextInfo, id: strawberry.ID, as_of: datetime | None = None
    ) -> Product | None:
        if (instant := aware(as_of, "asOf")) is not None:
            state = await _fold_as_of(info, "Product", product.evolve, id, instant)
            return Product.from_state(state) if state else None
        document = await _one(info, "product_catalogue", id)
        return Product.from_document(document) if document else None

    @strawberry.field(description="Products in SKU order.")
    async def products(
        self, info: ContextInfo, first: int = 20, after: str | None = None
    ) -> ProductConnection:
        size = page_size(first)
        cursor: tuple[object, str] | None = None
        if after:
            sku, product_id = decode_cursor(after, "product", 2)
            cursor = (sku, product_id)
        documents = await info.context.documents.find(
            info.context.collections["product_catalogue"], Query(sort="sku", after=cursor, limit=size + 1)
        )
        edges = [
            ProductEdge(node=Product.from_document(d), cursor=encode_cursor("product", d["sku"], d["_id"]))
            for d in documents[:size]
        ]
        return ProductConnection(
            edges=edges,
            page_info=PageInfo(
                has_next_page=len(documents) > size, end_cursor=edges[-1].cursor if edges else None
            ),
        )

    @strawberry.field(description="Sales over whole UTC days: from's day up to the day before `to` ends.")
    async def sales_report(
        self,
        info: ContextInfo,
        from_: Annotated[datetime | None, strawberry.argument(name="from")] = None,
        to: datetime | None = None,
        top: int = 10,
        as_of: datetime | None = None,
    ) -> SalesReport:
        start, end, past = aware(from_, "from"), aware(to, "to"), _in_the_past(aware(as_of, "asOf"))
        if not 1 <= top <= MAX_TOP_PRODUCTS:
            raise InvalidInput("top", f"must be between 1 and {MAX_TOP_PRODUCTS}, got {top}")
        first_day = _day(start) if start else None
        # `to` is exclusive: a window ending at midnight does not count the day that starts then.
        last_day = _day(end - timedelta(microseconds=1)) if end else None
        if first_day and last_day and last_day < first_day:
            raise InvalidInput("to", "must be after from")
        found = await _sales_documents(info, first_day, last_day, past)
        buckets = [document for document in found if document["kind"] == sales_report.DAY]
        products: dict[str, ProductSales] = {}
        for sold in (document for document in found if document["kind"] == sales_report.PRODUCT):
            before = products.get(sold["productId"])
            products[sold["productId"]] = ProductSales(
                product_id=strawberry.ID(sold["productId"]),
                # Days are in order, so the name is the one it was sold under last.
                name=sold["name"],
                quantity=sold["quantity"] + (before.quantity if before else 0),
                revenue=cents(sold["revenue"] + (before.revenue if before else Decimal(0))),
            )
        ranked = sorted(products.values(), key=lambda p: (-p.revenue, -p.quantity, p.product_id))
        return SalesReport(
            from_=first_day,
            to=last_day + timedelta(days=1) if last_day else None,
            orders_placed=sum(bucket["ordersPlaced"] for bucket in buckets),
            orders_shipped=sum(bucket["ordersShipped"] for bucket in buckets),
            orders_cancelled=sum(bucket["ordersCancelled"] for bucket in buckets),
            revenue=cents(sum((bucket["revenue"] for bucket in buckets), Decimal(0))),
            top_products=[p for p in ranked[:top] if p.quantity or p.revenue],
            days=[
                SalesDay(
                    day=bucket["day"],
                    orders_placed=bucket["ordersPlaced"],
                    orders_shipped=bucket["ordersShipped"],
                    orders_cancelled=bucket["ordersCancelled"],
                    revenue=cents(bucket["revenue"]),
                )
                for bucket in sorted(buckets, key=lambda bucket: bucket["day"])
            ],
        )

    @strawberry.field(description="Where each read model stands against the event log.")
    async def projections(self, info: ContextInfo) -> list[ProjectionStatus]:
        head = await info.context.events.head()
        return [
            ProjectionStatus(
                name=state.name,
                position=state.checkpoint.position,
                lag=max(head - state.checkpoint.position, 0),
                updated_at=state.updated_at,
                feed=state.feed,
                error=state.error,
                collection=state.collection,
            )
            for state in await info.context.states.load_all()
        ]
