"""The feed port: every recorded event after a checkpoint, in batches, forever."""

from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from store.events import EventStore, RecordedEvent
from store.signal import AppendSignal


@dataclass(frozen=True, slots=True)
class Checkpoint:
    position: int = 0
    """The global position of the last event handed out."""
    resume_token: Mapping[str, Any] | None = None
    """Where a change stream resumes; None means: catch up by position."""


@dataclass(frozen=True, slots=True)
class Batch:
    events: list[RecordedEvent]
    checkpoint: Checkpoint
    """Where to resume once these events are applied."""


class Feed(Protocol):
    kind: str
    """"tail" or "change_stream", for logs and the projections query."""

    def batches(self, after: Checkpoint, max_events: int) -> AsyncGenerator[Batch]: ...


class TailFeed:
    """Reads the log by position. Positions are dense and become visible in order on both backends
    (see the event stores), so reading `position > checkpoint` can never skip an event."""

    kind = "tail"

    def __init__(self, events: EventStore, appended: AppendSignal, poll_seconds: float = 1.0) -> None:
        self._events = events
        self.appended = appended
        # Appends by other processes (a second server, the CLI) are only seen by polling.
        self._poll_seconds = poll_seconds

    async def batches(self, after: Checkpoint, max_events: int) -> AsyncGenerator[Batch]:
        position = after.position
        while True:
            seen = self.appended.count
            events = await self._events.read_all(position, limit=max_events)
            if events:
                position = events[-1].position
                yield Batch(events, Checkpoint(position))
            else:
                await self.appended.wait_past(seen, self._poll_seconds)
