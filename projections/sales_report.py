"""Sales per UTC day, so that `salesReport` over a window sums a few documents instead of every order.

Each day has a document of its totals (id `2026-11-26`) and one per product sold that day (id
`2026-11-26|<product id>`). An event changes the day's totals and the products of its lines only,
so the history that `asOf` reads grows with the lines sold, not with lines times products on sale.

A cancellation counts on the day it happens, against whatever day the order was placed: a report for a
closed window never changes afterwards, and the event itself carries what to take back out.
"""

from collections.abc import Sequence
from datetime import UTC, datetime, time
from decimal import Decimal

from domain.events import OrderCancelled, OrderPlaced, OrderShipped, PlacedLine
from domain.order import line_total
from domain.values import cents
from projections.projection import Key, Projection
from store.documents import Collection, Document
from store.events import RecordedEvent

ZERO = cents(Decimal(0))


def day_of(at: datetime) -> datetime:
    return datetime.combine(at.astimezone(UTC).date(), time(), tzinfo=UTC)


def day_id(at: datetime) -> str:
    return day_of(at).date().isoformat()


SEPARATOR = "|"
DAY = "day"
PRODUCT = "product"


def product_key(day: str, product_id: str) -> str:
    return f"{day}{SEPARATOR}{product_id}"


def touches(recorded: RecordedEvent) -> list[Key]:
    day = day_id(recorded.recorded_at)
    match recorded.event:
        case OrderPlaced(lines=lines) | OrderCancelled(lines=lines):
            return [day, *(product_key(day, str(line.product_id)) for line in lines)]
        case OrderShipped():
            return [day]
    return []


def initial(key: str) -> Document:
    day, _, product_id = key.partition(SEPARATOR)
    at = datetime.fromisoformat(day).replace(tzinfo=UTC)
    if product_id:
        return {
            "kind": PRODUCT,
            "day": at,
            "productId": product_id,
            "name": "",
            "quantity": 0,
            "revenue": ZERO,
        }
    return {
        "kind": DAY,
        "day": at,
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
    line = next((line for line in lines if str(line.product_id) == sold["productId"]), None)
    if line is None:
        return None
    return {
        **sold,
        "name": line.name,
        "quantity": sold["quantity"] + sign * line.quantity,
        "revenue": sold["revenue"] + sign * line_total(line),
    }


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
    # `salesReport` reads the documents of a window of days.
    collection=Collection(name="sales_report", indexes=(("day",),)),
    touches=touches,
    evolve=evolve,
    initial=initial,
    # A day's documents change only during that day, so `salesReport(asOf:)` needs the versions of
    # one day only: those of asOf's day that were valid then.
    history=(("day", "_validFrom"),),
)
