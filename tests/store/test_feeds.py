"""Feeds hand out every recorded event once, in order, and resume from a checkpoint."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC
from typing import Any

import pytest
from mongoeco import AsyncMongoClient as InProcessMongoClient
from mongoeco import CodecOptions

from domain.events import CustomerEmailVerified, CustomerRegistered
from domain.upcasting import DEFAULT_DEPLOYMENT
from store.connect import Stores
from store.decoding import EventDecoder
from store.events import RecordedEvent
from store.feeds import Batch, Checkpoint, Feed, TailFeed
from store.mongo.change_stream_feed import INSERTS, ChangeStreamFeed, supports_change_streams
from store.mongo.data_keys import MongoDataKeys
from store.mongo.event_store import MongoEventStore
from store.sealing import Sealer
from store.signal import AppendSignal

META = {"correlationId": "feed-test"}


async def take(feed: Feed, after: Checkpoint, count: int, max_events: int = 3) -> list[Batch]:
    """Batches until `count` events arrived (bounded in time)."""
    batches: list[Batch] = []
    stream = feed.batches(after, max_events)

    async def collect() -> None:
        async for batch in stream:
            batches.append(batch)
            if sum(len(b.events) for b in batches) >= count:
                return

    try:
        await asyncio.wait_for(collect(), timeout=10)
    finally:
        await stream.aclose()
    return batches


def positions(batches: list[Batch]) -> list[int]:
    return [event.position for batch in batches for event in batch.events]


async def register(stores_events: Any, count: int) -> list[RecordedEvent]:
    recorded = []
    for _ in range(count):
        recorded += await stores_events.append(
            uuid.uuid4(), 0, [CustomerRegistered(name="Ann", email="ann@example.com")], META
        )
    return recorded


async def test_the_tail_feed_hands_out_the_log_in_batches_then_waits_for_more(stores: Stores) -> None:
    assert stores.feed.kind == "tail"
    written = await register(stores.events, 5)

    batches = await take(stores.feed, Checkpoint(), 5)

    assert positions(batches) == [r.position for r in written]
    assert all(len(batch.events) <= 3 for batch in batches)
    assert batches[-1].checkpoint.position == written[-1].position


async def test_the_tail_feed_resumes_after_its_checkpoint(stores: Stores) -> None:
    written = await register(stores.events, 4)
    batches = await take(stores.feed, Checkpoint(written[1].position), 2)
    assert positions(batches) == [r.position for r in written[2:]]


async def test_the_tail_feed_wakes_at_once_for_an_append_in_this_process(stores: Stores) -> None:
    upstream = stores.feed.upstream
    assert isinstance(upstream, TailFeed)
    # It would poll only after a minute, so an event arriving within `take`'s bound woke it.
    feed = TailFeed(stores.events, upstream.appended, poll_seconds=60)
    waiting = asyncio.create_task(take(feed, Checkpoint(), 1))
    await asyncio.sleep(0.05)
    [written] = await register(stores.events, 1)
    batches = await waiting
    assert positions(batches) == [written.position]


async def test_events_appended_while_following_arrive_in_order_once(stores: Stores) -> None:
    first = await register(stores.events, 2)
    following = asyncio.create_task(take(stores.feed, Checkpoint(), 12))
    later = await register(stores.events, 10)
    assert positions(await following) == [r.position for r in first + later]


@pytest.fixture
async def in_process_events() -> AsyncIterator[tuple[MongoEventStore, Any]]:
    """mongoeco's in-process client implements `watch`, which its wire server does not."""
    client: Any = InProcessMongoClient(codec_options=CodecOptions(tz_aware=True, tzinfo=UTC))
    sealer = Sealer(MongoDataKeys(client["eventfold"]["data_keys"]))
    store = MongoEventStore(client, "eventfold", AppendSignal(), EventDecoder(DEFAULT_DEPLOYMENT), sealer)
    # mongoeco's in-process client keeps change stream history only while something watches (a real
    # server's oplog keeps it regardless): without this, a resume token taken before a moment with no
    # watcher open would be refused as lost, depending on when a closed stream is finalized.
    history = await store.collection.watch(INSERTS)
    yield store, store.collection
    await history.close() if asyncio.iscoroutinefunction(history.close) else history.close()
    await client.close() if asyncio.iscoroutinefunction(client.close) else client.close()


async def test_the_change_stream_feed_catches_up_by_position_then_follows_the_stream(
    in_process_events: tuple[MongoEventStore, Any],
) -> None:
    events, collection = in_process_events
    assert await supports_change_streams(collection)
    feed = ChangeStreamFeed(collection, events, events.decoder, events.sealer)
    before = await register(events, 4)

    following = asyncio.create_task(take(feed, Checkpoint(before[0].position), 6))
    await asyncio.sleep(0.2)
    after = await register(events, 3)
    batches = await following

    assert positions(batches) == [r.position for r in before[1:] + after]
    assert batches[-1].checkpoint.resume_token is not None
    assert batches[-1].events[-1] == after[-1]


async def test_the_change_stream_feed_resumes_after_its_token(
    in_process_events: tuple[MongoEventStore, Any],
) -> None:
    events, collection = in_process_events
    feed = ChangeStreamFeed(collection, events, events.decoder, events.sealer)
    following = asyncio.create_task(take(feed, Checkpoint(), 2, max_events=1))
    await asyncio.sleep(0.2)
    first = await register(events, 2)
    checkpoint = (await following)[-1].checkpoint
    assert checkpoint.position == first[-1].position

    stream_id = first[0].stream_id
    [later] = await events.append(stream_id, 1, [CustomerEmailVerified(email="ann@example.com")], META)
    batches = await take(feed, checkpoint, 1)

    assert positions(batches) == [later.position]
