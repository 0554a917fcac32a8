"""One feed per process, fanned out in memory to every live subscriber.

Subscribers never read the database while live: the broadcaster follows the feed once and hands
each subscriber the events its filter accepts. Each subscriber has a bounded buffer; one that does
not keep up is cut off with the position to resume from, so it can neither delay the others nor grow
memory without bound. `afterPosition` replays from the event store first, then switches to live with
no gap and no duplicate (see `Broadcaster.events`). A replay reads through an index only what its
subscriber may want: one stream by (stream, version), or the log by (type, position) or (stream type,
position), so that no subscriber can make the server read the whole log.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from uuid import UUID

from live.buffer import BoundedBuffer, FellBehind, SubscriberTooSlow
from store.backoff import Backoff
from store.events import EventStore, RecordedEvent
from store.feeds import Checkpoint, Feed

logger = logging.getLogger("eventfold.subscriptions")

BATCH_SIZE = 500
REPLAY_PAGE = 500


class BroadcastClosed(Exception):
    """The server is shutting down."""


@dataclass(frozen=True, slots=True)
class Interest:
    """Which events a subscriber wants, in terms the event store can pick them by (None: any)."""

    stream_id: UUID | None = None
    types: frozenset[str] | None = None
    stream_types: frozenset[str] | None = None

    def accepts(self, recorded: RecordedEvent) -> bool:
        return (
            (self.stream_id is None or recorded.stream_id == self.stream_id)
            and (self.types is None or recorded.type in self.types)
            and (self.stream_types is None or recorded.stream_type in self.stream_types)
        )


class Subscription(BoundedBuffer[RecordedEvent]):
    def __init__(self, interest: Interest) -> None:
        super().__init__()
        self.accepts = interest.accepts


class Broadcaster:
    """Follows the feed only while someone listens: no reads at all when nobody subscribes."""

    def __init__(self, events: EventStore, feed: Feed) -> None:
        self._events = events
        self._feed = feed
        self._subscriptions: set[Subscription] = set()
        self._following: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    @property
    def subscribers(self) -> int:
        return len(self._subscriptions)

    async def close(self) -> None:
        """End every subscription (they complete) and stop following the feed."""
        for subscription in self._subscriptions:
            subscription.end()
        await self._stop()

    async def _listen(self, subscription: Subscription) -> None:
        async with self._starting:
            if self._following is None:
                # Read where the log ends before listening: anything recorded later reaches the buffers.
                self._following = asyncio.create_task(self._follow(await self._events.head()))
            self._subscriptions.add(subscription)

    async def _stop(self) -> None:
        if self._following is not None:
            self._following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._following
            self._following = None

    async def _follow(self, position: int) -> None:
        backoff = Backoff()
        while True:
            try:
                batches = self._feed.batches(Checkpoint(position), BATCH_SIZE)
                async with contextlib.aclosing(batches):
                    async for batch in batches:
                        for event in batch.events:
                            for subscription in list(self._subscriptions):
                                if subscription.accepts(event):
                                    subscription.offer(event)
                        position = batch.checkpoint.position
                        backoff.succeeded()
            except Exception as error:  # noqa: BLE001 - the backoff logs it with its traceback
                await backoff.wait_after(error, logger, "the subscription feed")

    async def _replayed(self, interest: Interest, after_position: int) -> AsyncIterator[list[RecordedEvent]]:
        """The pages of events recorded after `after_position` that the store picks for `interest`."""
        after_version, position = 0, after_position
        while True:
            if interest.stream_id is not None:
                page = await self._events.read_stream(
                    interest.stream_id,
                    after_version=after_version,
                    after_position=after_position,
                    limit=REPLAY_PAGE,
                )
            else:
                page = await self._events.read_all(
                    position, REPLAY_PAGE, types=interest.types, stream_types=interest.stream_types
                )
            if page:
                yield page
            # A short page is the end: whatever is recorded later reaches the buffer.
            if len(page) < REPLAY_PAGE:
                return
            after_version, position = page[-1].version, page[-1].position

    async def events(self, interest: Interest, after_position: int | None) -> AsyncIterator[RecordedEvent]:
        """Matching events: those recorded after `after_position` first (if given), then live ones."""
        subscription = Subscription(interest)
        # Listen before replaying: whatever is recorded from now on reaches the buffer, and whatever was
        # recorded before is in the store, so nothing falls between the two.
        await self._listen(subscription)
        last = after_position if after_position is not None else -1
        try:
            if after_position is not None:
                async for page in self._replayed(interest, after_position):
                    for event in page:
                        if interest.accepts(event):
                            yield event
                    # The store's pages are in position order: one stream's positions grow with its versions.
                    last = page[-1].position
            try:
                async for event in subscription.items():
                    if event.position > last:
                        last = event.position
                        yield event
            except FellBehind:
                raise SubscriberTooSlow(last) from None
            # The buffer ends only when the broadcaster closes.
            raise BroadcastClosed
        finally:
            self._subscriptions.discard(subscription)
            if not self._subscriptions:
                async with self._starting:
                    if not self._subscriptions:
                        await self._stop()
