"""Sales per UTC day, so that `salesReport` over a window sums a few documents instead of every order.

Sales are counted per currency, never summed across currencies. Each day has a document of its totals
in each currency it sold in (id `2026-11-26|EUR`) and one per product sold that day (id
`2026-11-26|EUR|<product id>`). An event changes the day's totals and the products of its lines only,
so the history that `asOf` reads grows with the lines sold, not with lines times products on sale.

A cancellation counts on the day it happens, against whatever day the order was placed: a report for a
closed window never changes afterwards, and the event itself carries what to take back out.
"""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

from domain.events import OrderCancelled, OrderPlaced, OrderShipped, PlacedLine
from domain.order import line_total
from domain.values import cents
from projections.collections import CollectionNames
from projections.projection import Key, Projection, history_name, id_text
from store.documents import VALID_FROM, Collection, Document, DocumentStore, Holding, Query, Range, find_all
from store.events import RecordedEvent

ZERO = cents(Decimal(0))
PAGE = 1_000
"""Documents read at a time: a report reads all of its window's."""


def day_of(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), time(), tzinfo=UTC)


def day_id(at: datetime) -> str:
    # The date of `day_of` without building that datetime: this runs for every event.
    return at.astimezone(UTC).date().isoformat()


SEPARATOR = "|"
DAY = "day"
PRODUCT = "product"


def day_key(day: str, currency: str) -> str:
    return f"{day}{SEPARATOR}{currency}"


def product_key(day_key: str, product_id: str) -> str:
    return f"{day_key}{SEPARATOR}{product_id}"


def touches(recorded: RecordedEvent) -> list[Key]:
    event = recorded.event
    if isinstance(event, OrderPlaced | OrderCancelled):
        totals = day_key(day_id(recorded.recorded_at), event.currency)
        return [totals, *[product_key(totals, id_text(line.product_id)) for line in event.lines]]
    if isinstance(event, OrderShipped):
        return [day_key(day_id(recorded.recorded_at), event.currency)]
    return []


def initial(key: str) -> Document:
    day, currency, *product_id = key.split(SEPARATOR)
    at = datetime.fromisoformat(day).replace(tzinfo=UTC)
    if product_id:
        return {
            "kind": PRODUCT,
            "day": at,
            "currency": currency,
            "productId": product_id[0],
            "name": "",
            "quantity": 0,
            "revenue": ZERO,
        }
    return {
        "kind": DAY,
        "day": at,
        "currency": currency,
        "ordersPlaced": 0,
        "ordersShipped": 0,
        "ordersCancelled": 0,
        "revenue": ZERO,
    }


def _day_evolved(totals: Document, recorded: RecordedEvent) -> Document | None:
    match recorded.event:
        case OrderPlaced(total=total):
            return {
                **totals,
                "ordersPlaced": totals["ordersPlaced"] + 1,
                "revenue": totals["revenue"] + cents(total),
            }
        case OrderShipped():
            return {**totals, "ordersShipped": totals["ordersShipped"] + 1}
        case OrderCancelled(total=total):
            return {
                **totals,
                "ordersCancelled": totals["ordersCancelled"] + 1,
                "revenue": totals["revenue"] - cents(total),
            }
    return None


def _product_evolved(sold: Document, lines: Sequence[PlacedLine], sign: int) -> Document | None:
    """The product's sales with its line added (sign 1) or taken back out (sign -1)."""
    # Compared as numbers: `str(UUID)` is Python code, and this runs for every line of every product.
    product = int(sold["productId"].replace("-", ""), 16)
    for line in lines:
        if line.product_id.int == product:
            return {
                **sold,
                "name": line.name,
                "quantity": sold["quantity"] + sign * line.quantity,
                "revenue": sold["revenue"] + sign * line_total(line),
            }
    return None


def evolve(document: Document | None, recorded: RecordedEvent) -> Document | None:
    if document is None:
        raise ValueError("sales documents start from `initial`")
    if document["kind"] == DAY:
        return _day_evolved(document, recorded)
    match recorded.event:
        case OrderPlaced(lines=lines):
            return _product_evolved(document, lines, 1)
        case OrderCancelled(lines=lines):
            return _product_evolved(document, lines, -1)
    return None


PROJECTION = Projection(
    name="sales_report",
    # `salesReport` reads the documents of a window of days in one currency.
    collection=Collection(name="sales_report", indexes=(("currency", "day"),)),
    touches=touches,
    evolve=evolve,
    initial=initial,
    # A day's documents change only during that day, so `salesReport(asOf:)` needs the versions of
    # one day only: those of asOf's day that were valid then.
    history=(("currency", "day", "_validFrom"),),
    cost=11,
)


def window(start: datetime | None, end: datetime | None) -> tuple[datetime | None, datetime | None]:
    """The first and the last UTC day that a report from `start` up to `end` (exclusive) counts."""
    # A window ending at midnight does not count the day that starts then.
    return day_of(start) if start else None, day_of(end - timedelta(microseconds=1)) if end else None


@dataclass(frozen=True, slots=True)
class Sales:
    days: list[Document]
    """The totals of each day of the window with any orders, in day order."""
    top_products: list[Document]
    """Each product's `name` (the last it was sold under), `quantity` and `revenue` over the window,
    by `productId`: the best sellers first, none that sold nothing."""


@dataclass(frozen=True, slots=True)
class SalesWindow:
    """The days from `first_day` to `last_day` (either open) in one currency, as they were at `as_of`
    (None: now)."""

    currency: str
    first_day: datetime | None
    last_day: datetime | None
    as_of: datetime | None


async def sales(
    documents: DocumentStore, collections: CollectionNames, window: SalesWindow, top: int
) -> Sales:
    found = await _window(documents, collections[PROJECTION.name], window)
    days = sorted((document for document in found if document["kind"] == DAY), key=lambda day: day["day"])
    return Sales(days, _top_products((document for document in found if document["kind"] == PRODUCT), top))


async def _window(documents: DocumentStore, collection: str, window: SalesWindow) -> list[Document]:
    first_day, last_day, as_of = window.first_day, window.last_day, window.as_of
    currency = {"currency": window.currency}
    if as_of is None:
        return await find_all(
            documents,
            collection,
            Query(equals=currency, range=Range("day", gte=first_day, lte=last_day), sort="day", limit=PAGE),
        )
    # A day's documents change only during that day: the days before asOf's are final as they are
    # now, and of asOf's own day the versions valid then are the answer.
    day = day_of(as_of)
    closed = day - timedelta(days=1)
    found = []
    if first_day is None or first_day <= closed:
        days = Range("day", gte=first_day, lte=min(last_day, closed) if last_day else closed)
        found = await find_all(
            documents, collection, Query(equals=currency, range=days, sort="day", limit=PAGE)
        )
    if (first_day is None or first_day <= day) and (last_day is None or day <= last_day):
        found += await find_all(
            documents,
            history_name(collection),
            Query(equals={**currency, "day": day}, holding=Holding(as_of), sort=VALID_FROM, limit=PAGE),
        )
    return found


def _top_products(sold: Iterable[Document], top: int) -> list[Document]:
    totals: dict[str, Document] = {}
    for product in sold:
        before = totals.get(product["productId"], {"quantity": 0, "revenue": ZERO})
        totals[product["productId"]] = {
            "productId": product["productId"],
            # Days are in order, so the name is the one it was sold under last.
            "name": product["name"],
            "quantity": product["quantity"] + before["quantity"],
            "revenue": cents(product["revenue"] + before["revenue"]),
        }
    ranked = sorted(totals.values(), key=lambda p: (-p["revenue"], -p["quantity"], p["productId"]))
    return [product for product in ranked[:top] if product["quantity"] or product["revenue"]]
