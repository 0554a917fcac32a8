"""One document per order, as the `order` and `orders` queries show it, and the readers of them."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime

from domain.events import OrderCancelled, OrderPlaced, OrderShipped, PlacedLine
from domain.order import OrderStatus, line_total
from domain.values import cents
from projections import order_open_days
from projections.collections import CollectionNames
from projections.per_stream import existing, own_stream
from projections.projection import Projection, entity_id, history_name, id_text, version_id
from store.documents import Collection, Document, DocumentStore, Holding, Query, Range
from store.events import RecordedEvent


def line_document(line: PlacedLine) -> Document:
    return {
        "productId": id_text(line.product_id),
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unitPrice": cents(line.unit_price),
        "lineTotal": line_total(line),
    }


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event, at = recorded.event, recorded.recorded_at
    if isinstance(event, OrderPlaced):
        return {
            "customerId": id_text(event.customer_id),
            "status": OrderStatus.PLACED.value,
            "lines": [line_document(line) for line in event.lines],
            "total": cents(event.total),
            "currency": event.currency,
            "placedAt": at,
            "shippedAt": None,
            "carrier": None,
            "trackingNumber": None,
            "cancelledAt": None,
            "cancelReason": None,
            "version": recorded.version,
            # Which version of its history is the order as placed (see `orders(asOf:)`).
            "placedPosition": recorded.position,
        }
    changed = {**existing(document, recorded), "version": recorded.version}
    match event:
        case OrderShipped(carrier=carrier, tracking_number=tracking_number, currency=currency):
            return {
                **changed,
                "currency": currency,
                "status": OrderStatus.SHIPPED.value,
                "shippedAt": at,
                "carrier": carrier,
                "trackingNumber": tracking_number,
            }
        case OrderCancelled(reason=reason, currency=currency):
            return {
                **changed,
                "currency": currency,
                "status": OrderStatus.CANCELLED.value,
                "cancelledAt": at,
                "cancelReason": reason,
            }
    raise TypeError(f"unexpected event {recorded.type} for order summaries")


PROJECTION = Projection(
    name="order_summaries",
    collection=Collection(
        name="order_summaries",
        # `orders` filters by status and/or customer, then sorts by placedAt (its range filter too).
        indexes=(("status", "placedAt"), ("customerId", "placedAt"), ("placedAt",)),
    ),
    touches=own_stream(OrderPlaced, OrderShipped, OrderCancelled),
    evolve=evolve,
    # `orders(asOf:)` reads the versions valid then, by the same filters and order as `orders`: equality,
    # then the order it sorts by (placedAt, _id), then the range on _validTo, which each index entry
    # answers without sorting (with _validTo before _id, MongoDB would have to sort in memory).
    history=(
        ("status", "placedAt", "_id", "_validTo"),
        ("customerId", "placedAt", "_id", "_validTo"),
        ("placedAt", "_id", "_validTo"),
    ),
    cost=20,
)


Keyset = tuple[datetime, str]
"""Where a summary stands in the newest-first order that orders are listed in."""


@dataclass(frozen=True, slots=True)
class OrderCriteria:
    """Which orders a listing holds; every bound is inclusive and optional."""

    status: OrderStatus | None = None
    customer_id: str | None = None
    placed_from: datetime | None = None
    placed_to: datetime | None = None


def keyset(summary: Document) -> Keyset:
    return summary["placedAt"], summary["_id"]


def order_id(summary: Document) -> str:
    """The order a summary, or a version of one from the history, is of."""
    return entity_id(summary)


async def summaries(
    documents: DocumentStore, collections: CollectionNames, ids: Sequence[str]
) -> dict[str, Document]:
    return await documents.get_many(collections[PROJECTION.name], ids)


async def listing(
    documents: DocumentStore,
    collections: CollectionNames,
    criteria: OrderCriteria,
    after: Keyset | None,
    limit: int,
    as_of: datetime | None = None,
) -> list[Document]:
    """Up to `limit` summaries after `after`, newest first; with `as_of`, the versions valid then."""
    equals: dict[str, object] = {}
    if criteria.status is not None:
        equals["status"] = criteria.status.value
    if criteria.customer_id is not None:
        equals["customerId"] = criteria.customer_id
    placed = Range("placedAt", gte=criteria.placed_from, lte=criteria.placed_to)
    if as_of is not None:
        # None of an order placed later was valid then, so the scan starts at asOf.
        placed = replace(placed, lte=min(placed.lte, as_of) if placed.lte else as_of)
    query = Query(
        equals=equals,
        range=placed if placed.gte or placed.lte else None,
        sort="placedAt",
        descending=True,
        after=after,
        limit=limit,
        holding=Holding(as_of) if as_of else None,
    )
    collection = collections[PROJECTION.name]
    if as_of is None:
        return await documents.find(collection, query)
    if criteria.status is OrderStatus.PLACED:
        return await _placed_then(documents, collections, query, as_of)
    return await documents.find(history_name(collection), query)


async def _placed_then(
    documents: DocumentStore, collections: CollectionNames, query: Query, instant: datetime
) -> list[Document]:
    """A page of the orders that were PLACED at `instant`, newest first.

    PLACED is the one status orders leave, so walking back through the history from `instant` would
    pass every order shipped or cancelled before it. Instead, the page is merged from the orders still
    PLACED now (placed by `instant`), and those PLACED then but shipped or cancelled since: the open
    days of `instant`'s day that hold it, a set no larger than that day's orders. Both grow with the
    backlog of open orders, not with the history.
    """
    collection = collections[PROJECTION.name]
    placed = query.range or Range("placedAt")
    still_open = await documents.find(collection, replace(query, holding=None))
    closed_since = await order_open_days.closed_since(documents, collections, instant)
    versions: list[Document] = []
    if closed_since:
        current = await documents.get_many(collection, closed_since)
        wanted = [version_id(order, summary["placedPosition"]) for order, summary in current.items()]
        versions = [
            {**version, "_id": order_id(version)}
            for version in (await documents.get_many(history_name(collection), wanted)).values()
            if all(version.get(field) == value for field, value in query.equals.items())
            and (placed.gte is None or version["placedAt"] >= placed.gte)
            and (placed.lte is None or version["placedAt"] <= placed.lte)
            and (query.after is None or keyset(version) < query.after)
        ]
    page = sorted([*still_open, *versions], key=keyset, reverse=True)
    return page[: query.limit]
