"""The in-memory fan-out: a subscriber that falls too far behind is cut off with where to resume."""

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest

from domain.events import CustomerRegistered
from live.broadcast import Broadcaster, Interest
from live.buffer import BUFFER, SubscriberTooSlow
from store.connect import Stores
from store.events import RecordedEvent

META = {"correlationId": "broadcast"}


@pytest.fixture
def backend() -> str:
    # Over a thousand events: the MongoDB test server slows down with that many.
    return "sqlite"


async def record(stores: Stores, count: int) -> None:
    for _ in range(count):
        await stores.events.append(
            uuid.uuid4(), 0, [CustomerRegistered(name="A", email="a@example.com")], META
        )


async def test_a_subscriber_that_falls_behind_is_told_where_to_resume_and_others_go_on(
    stores: Stores,
) -> None:
    broadcaster = Broadcaster(stores.events, stores.feed)
    slow = broadcaster.events(Interest(), None)
    fast = broadcaster.events(Interest(), None)

    async def first_of(events: AsyncIterator[RecordedEvent]) -> RecordedEvent:
        return await anext(events)

    # Subscribing happens on first iteration; take one event each.
    slow_first = asyncio.create_task(first_of(slow))
    fast_first = asyncio.create_task(first_of(fast))
    while broadcaster.subscribers < 2:  # noqa: ASYNC110 - the count is all the broadcaster shows
        await asyncio.sleep(0.01)
    await record(stores, 1)
    first = await slow_first
    assert (await fast_first) == first

    received = []

    async def keep_reading() -> None:
        async for event in fast:
            received.append(event)
            if len(received) == BUFFER + 10:
                return

    reading = asyncio.create_task(keep_reading())
    await record(stores, BUFFER + 10)
    await asyncio.wait_for(reading, timeout=30)

    with pytest.raises(SubscriberTooSlow) as cut_off:
        async for _ in slow:
            pass
    assert cut_off.value.last_position >= first.position
    assert f"afterPosition: {cut_off.value.last_position}" in str(cut_off.value)
    assert broadcaster.subscribers == 1
    await broadcaster.close()
