"""The days each order spent PLACED, once it has left that status: one document per (UTC day, order).

This is what answers "which orders were still PLACED at T" without walking back through every order
placed before T: the orders still PLACED now come from the order summaries, and those that were
PLACED at T but have been shipped or cancelled since are exactly the documents of T's day whose
interval holds T. A shipping or cancelling event carries when the order was placed, so it names
every day of the interval itself. Document ids are "<day>:<order id>", so a day is an id range.
"""

from datetime import datetime, timedelta

from domain.events import OrderCancelled, OrderShipped
from projections.collections import CollectionNames
from projections.projection import Key, Projection, id_text
from store.documents import Collection, Document, DocumentStore, Holding, Query, Range
from store.events import RecordedEvent

MAX_OPEN_ORDERS = 100_000


def day_of(instant: datetime) -> str:
    return instant.date().isoformat()


ONE_DAY = timedelta(days=1)


def days_between(start: datetime, end: datetime) -> list[str]:
    days, day, last = [], start.date(), end.date()
    while day <= last:
        days.append(day.isoformat())
        day += ONE_DAY
    return days


def key(day: str, order_id: str) -> str:
    return f"{day}:{order_id}"


def touches(recorded: RecordedEvent) -> list[Key]:
    event = recorded.event
    if isinstance(event, OrderShipped | OrderCancelled):
        order_id = id_text(recorded.stream_id)
        return [key(day, order_id) for day in days_between(event.placed_at, recorded.recorded_at)]
    return []


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event = recorded.event
    if not isinstance(event, OrderShipped | OrderCancelled):
        raise TypeError(f"unexpected event {recorded.type} for order open days")
    return {
        "orderId": id_text(recorded.stream_id),
        "placedAt": event.placed_at,
        "closedAt": recorded.recorded_at,
    }


PROJECTION = Projection(
    name="order_open_days",
    # Read by `_id` range (one day), so no other index is needed.
    collection=Collection(name="order_open_days"),
    touches=touches,
    evolve=evolve,
    cost=5,
)


async def closed_since(
    documents: DocumentStore, collections: CollectionNames, instant: datetime
) -> list[str]:
    """The orders that were PLACED at `instant` and have been shipped or cancelled since."""
    day = day_of(instant)
    spans = await documents.find(
        collections[PROJECTION.name],
        Query(
            range=Range("_id", gte=key(day, ""), lte=key(day, "~")),
            holding=Holding(instant, start="placedAt", end="closedAt"),
            limit=MAX_OPEN_ORDERS,
        ),
    )
    return [span["orderId"] for span in spans]
