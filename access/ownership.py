"""Whose a stream is, for the customer role (`rules.sees`) and for keys made for a customer: a
customer's stream is that customer's, an order's is the customer who placed it; anything else (a
product) is nobody's."""

from uuid import UUID

from access.principals import Caller
from access.rules import customer_scope, sees
from domain.events import OrderPlaced
from store.events import EventStore, RecordedEvent


def owner_in(recorded: RecordedEvent) -> UUID | None:
    """The owner an event itself names: a customer's events, and the one that places an order."""
    if recorded.stream_type == "Customer":
        return recorded.stream_id
    if isinstance(recorded.event, OrderPlaced):
        return recorded.event.customer_id
    return None


async def sees_stream(caller: Caller, events: EventStore, stream_id: UUID) -> bool:
    """Whether `caller` may see the stream (reading whose it is only for a caller bound to a customer)."""
    return customer_scope(caller) is None or sees(caller, await owner_of(events, stream_id))


async def owner_of(events: EventStore, stream_id: UUID) -> UUID | None:
    """The customer the stream belongs to, from its first event (one indexed read); None when it is
    nobody's or does not exist."""
    first = await events.read_stream(stream_id, limit=1)
    return owner_in(first[0]) if first else None


class Owners:
    """Remembers whose each order is, for a subscription that filters many events: learnt from the
    events that place orders as they pass, and read once for orders placed before it started."""

    MAX_ENTRIES = 10_000

    def __init__(self, events: EventStore) -> None:
        self._events = events
        self._known: dict[UUID, UUID | None] = {}

    async def of(self, recorded: RecordedEvent) -> UUID | None:
        if (named := owner_in(recorded)) is not None:
            return named
        if recorded.stream_id not in self._known:
            if len(self._known) >= self.MAX_ENTRIES:
                self._known.clear()
            self._known[recorded.stream_id] = await owner_of(self._events, recorded.stream_id)
        return self._known[recorded.stream_id]
