"""Grouped appends (group commit), shared by both event stores: what waits for the writer, and which of
it goes into the next group."""

import asyncio
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from uuid import UUID

from domain.events import Event
from store.events import RecordedEvent, StreamVersionConflict
from store.sealing import Payload, Sealer, Stored


@dataclass(slots=True)
class PendingAppend:
    """One command's events waiting for the writer, and where its caller waits for the answer."""

    stream_id: UUID
    expected_version: int
    events: Sequence[Event]
    metadata: Mapping[str, str]
    answer: asyncio.Future[list[RecordedEvent]]
    stored: Sequence[Stored | None] | None = None
    """How each event is stored where it is not as its type's current version (`store.sealing`)."""

    @classmethod
    def waiting(
        cls,
        stream_id: UUID,
        expected_version: int,
        events: Sequence[Event],
        metadata: Mapping[str, str],
        stored: Sequence[Stored | None] | None,
    ) -> "PendingAppend":
        """A new append, its answer to come."""
        answer: asyncio.Future[list[RecordedEvent]] = asyncio.get_running_loop().create_future()
        return cls(stream_id, expected_version, events, metadata, answer, stored)

    @classmethod
    async def sealed[T](
        cls,
        sealer: Sealer,
        dump: Callable[[Event], Payload],
        queue: Callable[["PendingAppend"], T],
        stream_id: UUID,
        expected_version: int,
        events: Sequence[Event],
        metadata: Mapping[str, str],
    ) -> T:
        """A new append, with its events as `sealer` stores them, handed to `queue` in the order the
        appends to its stream were called (`Sealer.queued`)."""
        return await sealer.queued(
            stream_id,
            events,
            dump,
            lambda stored: queue(cls.waiting(stream_id, expected_version, events, metadata, stored)),
        )

    def fail(self, error: BaseException) -> None:
        if not self.answer.done():
            self.answer.set_exception(error)

    def conflict(self) -> None:
        self.fail(StreamVersionConflict(self.stream_id, self.expected_version))

    def succeed(self, recorded: list[RecordedEvent]) -> None:
        # A caller that gave up (cancelled) while its group was being written is not told.
        if not self.answer.done():
            self.answer.set_result(recorded)


def take_group(waiting: deque[PendingAppend], max_events: int) -> list[PendingAppend]:
    """What waits now, up to `max_events`, one command per stream: a second command on a stream waits
    for the first one's outcome, which decides whether its expected version still holds."""
    group: list[PendingAppend] = []
    streams: set[UUID] = set()
    later: list[PendingAppend] = []
    events = 0
    while waiting:
        pending = waiting.popleft()
        if pending.answer.done():
            continue
        if group and events + len(pending.events) > max_events:
            waiting.appendleft(pending)
            break
        if pending.stream_id in streams:
            later.append(pending)
            continue
        group.append(pending)
        streams.add(pending.stream_id)
        events += len(pending.events)
    waiting.extendleft(reversed(later))
    return group


def refuse_stale(waiting: deque[PendingAppend], written: Mapping[UUID, int]) -> None:
    """Commands that waited behind one on the same stream and expected an older version than the one
    just written are stale: the store would refuse them, so they are refused without asking it."""
    for pending in waiting:
        if pending.expected_version < written.get(pending.stream_id, -1):
            pending.conflict()
