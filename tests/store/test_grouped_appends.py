"""Grouped appends, on both backends: the appends of concurrent callers share one write, and one that
conflicts fails alone. Every append of a burst is queued before the writer takes the first group (each
`append` queues its command before it first waits), so which appends share a group is exact, not a
timing."""

import asyncio
import itertools
import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from domain.events import CustomerEmailVerified, OrderShipped
from store.connect import Stores
from store.events import RecordedEvent, StreamVersionConflict
from tests.conftest import StoreLocation
from tests.store.test_event_store import META, PLACED_AT, placed, registered


async def test_a_conflicting_append_in_a_burst_fails_alone_and_the_others_land_with_dense_positions(
    stores: Stores,
) -> None:
    taken = uuid.uuid4()
    await stores.events.append(taken, 0, [registered()], META)
    fresh = [uuid.uuid4() for _ in range(6)]

    results = await asyncio.gather(
        stores.events.append(fresh[0], 0, [registered("Bo")], META),
        stores.events.append(taken, 0, [registered("Cy")], META),  # stale: the stream is at version 1
        stores.events.append(fresh[1], 0, [registered("Di")], META),
        stores.events.append(fresh[2], 3, [registered("Ed")], META),  # ahead: the stream has no version 3
        stores.events.append(fresh[3], 0, [placed(fresh[3]), _shipped()], META),
        stores.events.append(fresh[4], 0, [registered("Fay")], META),
        return_exceptions=True,
    )

    assert [type(result) for result in results] == [
        list,
        StreamVersionConflict,
        list,
        StreamVersionConflict,
        list,
        list,
    ]
    log = await stores.events.read_all(limit=100)
    assert [r.position for r in log] == list(range(log[0].position, log[0].position + 6))
    assert {r.stream_id for r in log} == {taken, fresh[0], fresh[1], fresh[3], fresh[4]}
    assert [r.version for r in await stores.events.read_stream(taken)] == [1]
    assert [r.version for r in await stores.events.read_stream(fresh[3])] == [1, 2]
    assert await stores.events.read_stream(fresh[2]) == []


async def test_each_caller_of_a_burst_is_answered_with_its_own_events_as_they_are_read_back(
    stores: Stores,
) -> None:
    streams = [uuid.uuid4() for _ in range(8)]
    answers = await asyncio.gather(
        *(stores.events.append(s, 0, [registered(f"N{i}")], {"n": str(i)}) for i, s in enumerate(streams))
    )

    for stream, answer in zip(streams, answers, strict=True):
        assert [r.stream_id for r in answer] == [stream]
        assert await stores.events.read_stream(stream) == answer


async def test_a_second_append_on_one_stream_in_a_burst_waits_for_the_first_one(stores: Stores) -> None:
    stream = uuid.uuid4()
    first, second, stale = await asyncio.gather(
        stores.events.append(stream, 0, [registered()], META),
        stores.events.append(stream, 1, [CustomerEmailVerified(email="ann@example.com")], META),
        stores.events.append(stream, 0, [registered("Bo")], META),
        return_exceptions=True,
    )

    assert isinstance(first, list)
    assert isinstance(second, list)
    assert isinstance(stale, StreamVersionConflict)
    assert [r.version for r in await stores.events.read_stream(stream)] == [1, 2]


def _ticking(start: datetime) -> Iterator[datetime]:
    for second in itertools.count():
        yield start + timedelta(seconds=second)


async def test_the_appends_of_a_burst_share_one_write_and_its_recorded_at(location: StoreLocation) -> None:
    """The clock moves a second each time it is read: appends written apart would differ."""
    ticks = _ticking(datetime(2026, 11, 2, 9, 0, tzinfo=UTC))
    stores = await location.open(clock=lambda: next(ticks))
    try:
        answers = await asyncio.gather(
            *(stores.events.append(uuid.uuid4(), 0, [registered()], META) for _ in range(8))
        )
    finally:
        await stores.close()

    recorded: list[RecordedEvent] = [r for answer in answers for r in answer]
    assert len({r.recorded_at for r in recorded}) == 1
    assert [r.position for r in recorded] == list(range(1, 9))


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_appends_made_while_another_process_holds_the_write_lock_land_once_it_lets_go(
    stores: Stores, location: StoreLocation
) -> None:
    """They wait for the lock on the writer thread, not on the event loop, which keeps serving reads."""
    await stores.events.append(uuid.uuid4(), 0, [registered()], META)
    other = sqlite3.connect(location.data_dir / "eventfold.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        streams = [uuid.uuid4() for _ in range(4)]
        appends = asyncio.gather(*(stores.events.append(s, 0, [registered()], META) for s in streams))
        # The loop is free while they wait: a read answers.
        assert len(await stores.events.read_all()) == 1
        assert not appends.done()
    finally:
        other.execute("ROLLBACK")
        other.close()
    await appends
    log = await stores.events.read_all()
    assert [r.position for r in log] == [1, 2, 3, 4, 5]
    assert {r.stream_id for r in log[1:]} == set(streams)


def _shipped() -> OrderShipped:
    return OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=PLACED_AT)


async def test_an_append_cancelled_before_its_group_is_written_is_never_written(stores: Stores) -> None:
    cancelled_stream, later_stream = uuid.uuid4(), uuid.uuid4()
    cancelled = asyncio.create_task(stores.events.append(cancelled_stream, 0, [registered()], META))
    await asyncio.sleep(0)  # it has queued its command and waits for the loop to turn
    cancelled.cancel()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await stores.events.append(later_stream, 0, [registered("Bo")], META)

    assert [r.stream_id for r in await stores.events.read_all()] == [later_stream]
