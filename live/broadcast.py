"""One feed per process, fanned out in memory to every live subscriber.

Subscribers never read the database while live: the broadcaster follows the feed once and hands
each subscriber the events its filter accepts. Each subscriber has a bounded buffer; one that does
not keep up is cut off with the position to resume from, so it can neither delay the others nor grow
memory without bound. `afterPosition` replays from the event store first, then switches to live with
no gap and no duplicate (see `Broadcaster.events`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from live.buffer import BoundedBuffer, FellBehind, SubscriberTooSlow
from store.backoff import Backoff
from store.events import EventStore, RecordedEvent
from store.feeds import Checkpoint, Feed

logger = logging.getLogger("eventfold.subscriptions")

BATCH_SIZE = 500
REPLAY_PAGE = 500


class BroadcastClosed(Exception):
    """The server is shutting down."""


class Subscription(BoundedBuffer[RecordedEvent]):
    def __init__(self, accepts: Callable[[RecordedEvent], bool]) -> None:
        super().__init__()
        self.accepts = accepts


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

    async def events(
        self, accepts: Callable[[RecordedEvent], bool], after_position: int | None
    ) -> AsyncIterator[RecordedEvent]:
        """Matching events: those recorded after `after_position` first (if given), then live ones."""
        subscription = Subscription(accepts)
        # Listen before replaying: whatever is recorded from now on reaches the buffer, and whatever was
        # recorded before is in the store, so nothing falls between the two.
        await self._listen(subscription)
        last = after_position if after_position is not None else -1
        try:
            if after_position is not None:
                while page := await self._events.read_all(last, limit=REPLAY_PAGE):
                    for event in page:
                        if accepts(event):
                            yield event
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
