"""One feed per process: every reader gets the whole log from its checkpoint, once and in order, while
the upstream feed is followed once. On both backends."""

import asyncio
import contextlib
from collections.abc import AsyncGenerator, Collection
from typing import Any

from store.connect import Stores
from store.events import EventStore, RecordedEvent
from store.feeds import Batch, Checkpoint, Feed
from store.shared_feed import SharedFeed
from tests.store.test_feeds import positions, register, take


class CountedReads:
    """An event store that counts the events read from it by position."""

    def __init__(self, inner: EventStore) -> None:
        self._inner = inner
        self.read = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def read_all(
        self,
        after_position: int = 0,
        limit: int = 100,
        types: Collection[str] | None = None,
        stream_types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        events = await self._inner.read_all(after_position, limit, types, stream_types)
        self.read += len(events)
        return events


class Counted:
    """An upstream feed that counts how often it is followed."""

    def __init__(self, upstream: Feed) -> None:
        self.kind = upstream.kind
        self.upstream = upstream
        self.followed = 0

    async def batches(self, after: Checkpoint, max_events: int) -> AsyncGenerator[Batch]:
        self.followed += 1
        batches = self.upstream.batches(after, max_events)
        async with contextlib.aclosing(batches):
            async for batch in batches:
                yield batch


async def test_readers_at_any_checkpoint_get_the_log_once_in_order_from_one_upstream(stores: Stores) -> None:
    upstream = Counted(stores.feed.upstream)
    feed = SharedFeed(upstream, stores.events)
    before = await register(stores.events, 4)

    readers = [asyncio.create_task(take(feed, Checkpoint(after), 4 - after + 6)) for after in (0, 2, 4)]
    await asyncio.sleep(0.1)
    after = await register(stores.events, 6)
    delivered = await asyncio.gather(*readers)

    everything = [r.position for r in before + after]
    assert [positions(batches) for batches in delivered] == [everything, everything[2:], everything[4:]]
    assert upstream.followed == 1


async def test_readers_catching_up_side_by_side_read_each_event_from_the_store_once(stores: Stores) -> None:
    written = await register(stores.events, 30)
    counted = CountedReads(stores.events)
    feed = SharedFeed(stores.feed.upstream, counted)

    async def catch_up() -> list[Batch]:
        batches: list[Batch] = []
        stream = feed.batches(Checkpoint(), max_events=4, catch_up_events=10)
        async with contextlib.aclosing(stream):
            while sum(len(batch.events) for batch in batches) < len(written):
                batches.append(await asyncio.wait_for(anext(stream), 10))
        return batches

    caught_up = await asyncio.gather(*(catch_up() for _ in range(3)))

    for batches in caught_up:
        assert positions(batches) == [r.position for r in written]
        assert max(len(batch.events) for batch in batches) == 10
    assert counted.read == 30


async def test_a_reader_that_falls_a_buffer_behind_catches_up_from_the_store(stores: Stores) -> None:
    feed = SharedFeed(stores.feed.upstream, stores.events, buffer_events=2)
    keeping_up = asyncio.create_task(take(feed, Checkpoint(), 12, max_events=100))
    batches = feed.batches(Checkpoint(), 3)
    async with contextlib.aclosing(batches):
        first = asyncio.create_task(anext(batches))
        await asyncio.sleep(0.1)
        # This reader takes one batch, then nothing while twelve events arrive: its buffer of two overflows.
        written = await register(stores.events, 12)
        await keeping_up
        rest = [await first]
        while sum(len(batch.events) for batch in rest) < 12:
            rest.append(await asyncio.wait_for(anext(batches), 10))

    assert positions(rest) == [r.position for r in written]
    assert positions(await keeping_up) == [r.position for r in written]
