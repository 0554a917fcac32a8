"""Queries served by the event store itself: the audit trail of one entity and the global log."""

import strawberry
from strawberry import Info

from domain.errors import InvalidInput
from schema.context import Context
from schema.pagination import decode_cursor, encode_cursor, page_size
from schema.types import Event, EventConnection, EventEdge, PageInfo
from schema.validation import parse_id

ContextInfo = Info[Context, None]


def _connection(events: list[Event], size: int, cursor_kind: str, cursor_of: str) -> EventConnection:
    edges = [
        EventEdge(node=event, cursor=encode_cursor(cursor_kind, getattr(event, cursor_of)))
        for event in events[:size]
    ]
    return EventConnection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(events) > size, end_cursor=edges[-1].cursor if edges else None),
    )


@strawberry.type
class AuditQuery:
    @strawberry.field(description="The audit trail of one customer, product or order, in version order.")
    async def history(
        self, info: ContextInfo, id: strawberry.ID, first: int = 20, after: str | None = None
    ) -> EventConnection:
        stream_id = parse_id(id, "id")
        size = page_size(first)
        after_version = _int(decode_cursor(after, "version", 1)[0]) if after else 0
        recorded = await info.context.events.read_stream(
            stream_id, after_version=after_version, limit=size + 1
        )
        return _connection([Event.from_recorded(r) for r in recorded], size, "version", "version")

    @strawberry.field(description="The global log of events, in position order.")
    async def events(self, info: ContextInfo, after_position: int = 0, first: int = 100) -> EventConnection:
        if after_position < 0:
            raise InvalidInput("afterPosition", f"must be 0 or more, got {after_position}")
        size = page_size(first)
        recorded = await info.context.events.read_all(after_position, limit=size + 1)
        return _connection([Event.from_recorded(r) for r in recorded], size, "position", "position")


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise InvalidInput("after", "is not a cursor this field gave out") from None
