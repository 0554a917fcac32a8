"""Queries served by the event store itself: the audit trail of one entity and the global log."""

import strawberry
from strawberry import Info

from access.ownership import sees_stream
from domain.errors import InvalidInput
from schema.context import Context
from schema.inputs import EventFilter
from schema.pagination import decode_cursor, encode_cursor, page_size
from schema.types import Connection, Event, page_of
from schema.validation import aware, parse_id

ContextInfo = Info[Context, None]

MAX_NAMES = 50


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail of one customer, product or order, in version order.")
    async def history(
        self, info: ContextInfo, id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> Connection[Event]:
        stream_id = parse_id(id, "id")
        size = page_size(first)
        after_version = _int(decode_cursor(after, "version", 1)[0]) if after else 0
        if not await sees_stream(info.context.caller, info.context.events, stream_id):
            # Another customer's (or nobody's) stream is, to a customer, one that does not exist.
            return page_of([], size, Event.from_recorded, lambda r: encode_cursor("version", r.version))
        recorded = await info.context.events.read_stream(
            stream_id, after_version=after_version, limit=size + 1
        )
        return page_of(recorded, size, Event.from_recorded, lambda r: encode_cursor("version", r.version))

    @strawberry.field(
        description="The global log of events, in position order; `filter` picks them in the database, "
        "through an index for each of its fields."
    )
    async def events(
        self, info: ContextInfo, after_position: int = 0, first: int = 100, filter: EventFilter | None = None
    ) -> Connection[Event]:
        if after_position < 0:
            raise InvalidInput("afterPosition", f"must be 0 or more, got {after_position}")
        size = page_size(first)
        chosen = filter or EventFilter()
        store = info.context.events
        start, end = aware(chosen.from_, "filter.from"), aware(chosen.to, "filter.to")
        # `recordedAt` never runs backwards: a window of time is a range of positions.
        after = max(after_position, await store.position_before(start)) if start else after_position
        last = await store.position_before(end) if end else None
        recorded = (
            []
            if last is not None and last <= after
            else await store.read_all(
                after,
                limit=size + 1,
                types=_names(chosen.types, "filter.types"),
                stream_types=_names(chosen.stream_types, "filter.streamTypes"),
            )
        )
        within = [event for event in recorded if last is None or event.position <= last]
        return page_of(within, size, Event.from_recorded, lambda r: encode_cursor("position", r.position))


def _names(names: list[str] | None, field: str) -> frozenset[str] | None:
    if names is None:
        return None
    if not 1 <= len(names) <= MAX_NAMES:
        raise InvalidInput(field, f"must name 1 to {MAX_NAMES} types, got {len(names)}")
    return frozenset(names)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("after", "is not a cursor this field gave out") from None
