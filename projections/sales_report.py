"""Sales per UTC day, so that `salesReport` over a window sums a few buckets instead of every order.

A cancellation counts on the day it happens, against whatever day the order was placed: a report for a
closed window never changes afterwards, and the event itself carries what to take back out.
"""

from collections.abc import Mapping, Sequence
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


def touches(recorded: RecordedEvent) -> list[Key]:
    if isinstance(recorded.event, OrderPlaced | OrderShipped | OrderCancelled):
        return [day_id(recorded.recorded_at)]
    return []


def empty_bucket(at: datetime) -> Document:
    return {
        "day": day_of(at),
        "ordersPlaced": 0,
        "ordersShipped": 0,
        "ordersCancelled": 0,
        "revenue": ZERO,
        "products": {},
    }


def tallied(products: Mapping[str, Document], lines: Sequence[PlacedLine], sign: int) -> dict[str, Document]:
    """The per-product sales with `lines` added (sign 1) or taken back out (sign -1)."""
    tally = dict(products)
    for line in lines:
        product_id = str(line.product_id)
        sold = tally.get(product_id, {"productId": product_id, "quantity": 0, "revenue": ZERO})
        tally[product_id] = {
            **sold,
            "name": line.name,
            "quantity": sold["quantity"] + sign * line.quantity,
            "revenue": sold["revenue"] + sign * line_total(line),
        }
    return tally


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    bucket = document if document is not None else empty_bucket(recorded.recorded_at)
    match recorded.event:
        case OrderPlaced(lines=lines, total=total):
            return {
                **bucket,
                "ordersPlaced": bucket["ordersPlaced"] + 1,
                "revenue": bucket["revenue"] + cents(total),
                "products": tallied(bucket["products"], lines, 1),
            }
        case OrderShipped():
            return {**bucket, "ordersShipped": bucket["ordersShipped"] + 1}
        case OrderCancelled(lines=lines, total=total):
            return {
                **bucket,
                "ordersCancelled": bucket["ordersCancelled"] + 1,
                "revenue": bucket["revenue"] - cents(total),
                "products": tallied(bucket["products"], lines, -1),
            }
    raise TypeError(f"unexpected event {recorded.type} for the sales report")


PROJECTION = Projection(
    name="sales_report",
    # `salesReport` reads the buckets of a window of days.
    collection=Collection(name="sales_report", indexes=(("day",),)),
    touches=touches,
    evolve=evolve,
    # A day's bucket changes only during that day, so `salesReport(asOf:)` needs the version of one
    # bucket only: the latest of the day of asOf that was valid then.
    history=(("day", "_validFrom"),),
)
