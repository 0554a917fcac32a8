"""One feed per process, fanned out in memory to every live subscriber.

Subscribers never read the database while live: the broadcaster follows the feed once and hands
each subscriber the events its filter accepts. Each subscriber has a bounded buffer; one that does
not keep up is cut off with the position to resume from, so it can neither delay the others nor grow
memory without bound. `afterPosition` replays from the event store first, then switches to live with
no gap and no duplicate (see `Subscription.events`).
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable

from projections.buffer import BoundedBuffer, Overflowed
from store.events import EventStore, RecordedEvent
from store.feeds import Checkpoint, Feed
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.subscriptions")

BUFFER = 1000
REPLAY_PAGE = 500
FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0


class SubscriberTooSlow(Exception):
    def __init__(self, last_position: int) -> None:
        super().__init__(
            f"this subscription fell more than {BUFFER} events behind and was closed; "
            f"subscribe again with afterPosition: {last_position} to resume"
        )
        self.last_position = last_position


class BroadcastClosed(Exception):
    """The server is shutting down."""


class Subscription(BoundedBuffer[RecordedEvent]):
    def __init__(self, accepts: Callable[[RecordedEvent], bool]) -> None:
        super().__init__(BUFFER)
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
        delay = FIRST_RETRY_SECONDS
        while True:
            try:
                async with contextlib.aclosing(self._feed.batches(Checkpoint(position), 500)) as batches:
                    async for batch in batches:
                        for event in batch.events:
                            for subscription in list(self._subscriptions):
                                if subscription.accepts(event):
                                    subscription.offer(event)
                        position = batch.checkpoint.position
                        delay = FIRST_RETRY_SECONDS
            except Exception as error:
                if isinstance(error, StoreUnavailable):
                    logger.warning(
                        "the subscription feed lost the database (%s); retrying in %.1f s", error, delay
                    )
                else:
                    logger.exception("the subscription feed failed; retrying in %.1f s", delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)

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
            except Overflowed:
                raise SubscriberTooSlow(last) from None
            # The buffer ends only when the broadcaster closes.
            raise BroadcastClosed
        finally:
            self._subscriptions.discard(subscription)
            if not self._subscriptions:
                async with self._starting:
                    if not self._subscriptions:
                        await self._stop()
