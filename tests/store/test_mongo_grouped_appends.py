"""Grouped appends and stated durability on MongoDB, counted exactly with PyMongo's command monitoring.

The appends of a burst are all queued before the writer task first runs (each `append` queues its
command before it first waits), so the number of commands a burst costs is exact, not a timing.
"""

import asyncio
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import monitoring

from domain.events import CustomerEmailVerified, OrderShipped
from store.connect import Stores, open_stores
from store.events import RecordedEvent, StreamVersionConflict
from store.mongo import event_store as mongo_event_store
from store.unavailable import StoreUnavailable
from tests.conftest import StoreLocation
from tests.store.test_event_store import META, PLACED_AT, placed, registered

UPKEEP = frozenset({"hello", "ismaster", "isMaster", "endSessions", "ping"})


class Commands(monitoring.CommandListener):
    """Every command sent but connection upkeep, with what it said."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.one_sent = asyncio.Event()

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in UPKEEP:
            self.sent.append((event.command_name, dict(event.command)))
            self.one_sent.set()

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    @property
    def names(self) -> list[str]:
        return [name for name, _ in self.sent]

    def clear(self) -> None:
        self.sent.clear()
        self.one_sent.clear()


@pytest.fixture
def backend() -> str:
    return "mongodb"


@pytest.fixture
def commands() -> Commands:
    return Commands()


async def opened(
    location: StoreLocation, commands: Commands, write_concern: int | str = "majority"
) -> Stores:
    return await open_stores(
        mongodb_uri=location.mongodb_uri,
        mongodb_database=location.mongodb_database,
        data_dir=location.data_dir,
        feed="tail",
        command_listeners=(commands,),
        mongodb_write_concern=write_concern,
        # In plaintext: these tests count what the writer does with the appends waiting, and sealing's
        # key lookups would add their own commands and move when each append reaches the writer
        # (tests/store/test_sealing.py tests those).
        encrypt_personal_data=False,
    )


@pytest.fixture
async def counted(location: StoreLocation, commands: Commands) -> AsyncIterator[Stores]:
    stores = await opened(location, commands)
    try:
        yield stores
    finally:
        await stores.close()


async def register(stores: Stores) -> list[RecordedEvent]:
    return await stores.events.append(uuid.uuid4(), 0, [registered()], META)


def dense(log: list[RecordedEvent]) -> bool:
    return [r.position for r in log] == list(range(1, len(log) + 1))


async def test_one_append_reads_the_head_once_then_costs_one_insert(
    counted: Stores, commands: Commands
) -> None:
    commands.clear()
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)

    assert commands.names == ["find", "insert", "insert"]


@pytest.mark.parametrize("clients", [1, 8, 32])
async def test_concurrent_appends_from_one_process_share_one_insert(
    counted: Stores, commands: Commands, clients: int
) -> None:
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    commands.clear()

    await asyncio.gather(*(register(counted) for _ in range(clients)))

    assert commands.names == ["insert"]
    assert len(commands.sent[0][1]["documents"]) == clients
    log = await counted.events.read_all(limit=100)
    assert dense(log)
    assert len(log) == clients + 1


async def test_appends_arriving_while_a_write_is_in_flight_go_in_the_next_one(
    counted: Stores, commands: Commands
) -> None:
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    commands.clear()
    first = asyncio.create_task(register(counted))
    await commands.one_sent.wait()

    await asyncio.gather(first, *(register(counted) for _ in range(31)))

    assert commands.names == ["insert", "insert"]
    assert [len(command["documents"]) for _, command in commands.sent] == [1, 31]
    assert dense(await counted.events.read_all(limit=100))


async def test_a_conflict_fails_its_command_alone_and_the_rest_of_the_group_lands(
    counted: Stores, commands: Commands
) -> None:
    taken = uuid.uuid4()
    await counted.events.append(taken, 0, [registered()], META)
    others = [uuid.uuid4() for _ in range(31)]
    commands.clear()

    results = await asyncio.gather(
        *(counted.events.append(s, 0, [registered()], META) for s in others[:16]),
        counted.events.append(taken, 0, [registered("Bob")], META),
        *(counted.events.append(s, 0, [registered()], META) for s in others[16:]),
        return_exceptions=True,
    )

    assert isinstance(results[16], StreamVersionConflict)
    assert all(isinstance(r, list) for i, r in enumerate(results) if i != 16)
    # The ordered insert stops at the refused document: the 16 before it landed, the 15 after it follow.
    assert commands.names == ["insert", "insert"]
    assert [len(command["documents"]) for _, command in commands.sent] == [32, 15]
    log = await counted.events.read_all(limit=100)
    assert dense(log)
    assert {r.stream_id for r in log} == {taken, *others}


async def test_appends_behind_a_winner_on_its_stream_are_refused_without_asking(
    counted: Stores, commands: Commands
) -> None:
    stream = uuid.uuid4()
    await counted.events.append(stream, 0, [placed(uuid.uuid4())], META)
    commands.clear()
    shipped = OrderShipped(currency="EUR", carrier="c", tracking_number="1", placed_at=PLACED_AT)

    results = await asyncio.gather(
        *(counted.events.append(stream, 1, [shipped], META) for _ in range(20)), return_exceptions=True
    )

    assert sum(isinstance(r, list) for r in results) == 1
    assert sum(isinstance(r, StreamVersionConflict) for r in results) == 19
    # One find checks that version 1 exists (the writer is not ahead of the stream), one insert.
    assert commands.names == ["find", "insert"]


async def test_writers_ahead_of_their_streams_are_found_with_one_find_for_the_group(
    counted: Stores, commands: Commands
) -> None:
    streams = [uuid.uuid4() for _ in range(8)]
    for stream in streams:
        await counted.events.append(stream, 0, [registered()], META)
    commands.clear()
    verified = CustomerEmailVerified(email="ann@example.com")

    results = await asyncio.gather(
        *(counted.events.append(s, 1 if n % 2 else 5, [verified], META) for n, s in enumerate(streams)),
        return_exceptions=True,
    )

    assert [isinstance(r, StreamVersionConflict) for r in results] == [n % 2 == 0 for n in range(8)]
    assert commands.names == ["find", "insert"]
    assert len(commands.sent[1][1]["documents"]) == 4


async def test_a_group_with_a_command_of_several_events_is_one_transaction(
    counted: Stores, commands: Commands
) -> None:
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    commands.clear()
    shipped = OrderShipped(currency="EUR", carrier="c", tracking_number="1", placed_at=PLACED_AT)

    await asyncio.gather(
        counted.events.append(uuid.uuid4(), 0, [placed(uuid.uuid4()), shipped], META),
        *(counted.events.append(uuid.uuid4(), 0, [registered()], META) for _ in range(3)),
    )

    assert commands.names == ["insert", "commitTransaction"]
    assert commands.sent[0][1]["startTransaction"] is True
    assert commands.sent[1][1]["writeConcern"] == {"w": "majority"}
    assert dense(await counted.events.read_all(limit=100))


async def test_appends_state_their_write_concern_and_the_feed_reads_majority_committed(
    counted: Stores, commands: Commands
) -> None:
    await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    await counted.events.read_all()

    sent = dict(commands.sent[-2:])
    assert sent["insert"]["writeConcern"] == {"w": "majority"}
    assert sent["find"]["readConcern"] == {"level": "majority"}


async def test_the_change_stream_is_opened_with_read_concern_majority(
    location: StoreLocation, commands: Commands
) -> None:
    stores = await open_stores(
        mongodb_uri=location.mongodb_uri,
        mongodb_database=location.mongodb_database,
        data_dir=location.data_dir,
        command_listeners=(commands,),
    )
    await stores.close()

    [watch] = [command for name, command in commands.sent if name == "aggregate"]
    assert "$changeStream" in watch["pipeline"][0]
    assert watch["readConcern"] == {"level": "majority"}


async def test_the_write_concern_is_configurable(location: StoreLocation, commands: Commands) -> None:
    stores = await opened(location, commands, write_concern=1)
    try:
        await stores.events.append(uuid.uuid4(), 0, [registered()], META)
    finally:
        await stores.close()

    assert dict(commands.sent)["insert"]["writeConcern"] == {"w": 1}


async def test_the_projector_lease_is_timed_by_the_database_clock(
    counted: Stores, commands: Commands
) -> None:
    commands.clear()
    assert await counted.leases.acquire("projector", "a", 10)
    assert not await counted.leases.acquire("projector", "b", 10)

    [(name, update), _] = commands.sent
    assert name == "update"
    # No time of this process is sent: the server compares and stamps with its own ($$NOW).
    assert "$$NOW" in repr(update["updates"])
    assert "datetime" not in repr(update["updates"])


async def test_two_processes_racing_for_positions_cost_one_more_find_and_insert(
    location: StoreLocation, counted: Stores, commands: Commands
) -> None:
    """Two processes (two stores with their own clients) each write a group of 16 at the same moment:
    one group lands, the other is refused at its first position, re-reads the head and lands after it."""
    others = Commands()
    other = await opened(location, others)
    try:
        await register(counted)
        await register(other)
        commands.clear()
        others.clear()

        await asyncio.gather(*(register(stores) for stores in [counted, other] * 16))
        sent = sorted(commands.names + others.names)
        log = await counted.events.read_all(limit=100)
    finally:
        await other.close()

    assert sent == ["find", "insert", "insert", "insert"]
    assert dense(log)
    assert len(log) == 34


class StaleHead:
    """Another process keeps taking the next position: every head this store reads is already old."""

    def __init__(self, head: Any) -> None:
        self.head = head

    async def __call__(self) -> Any:
        return self.head


async def test_positions_taken_by_others_time_after_time_are_unavailable_not_a_server_error(
    counted: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: Any = counted.events
    [first] = await counted.events.append(uuid.uuid4(), 0, [registered()], META)
    monkeypatch.setattr(events, "_read_head", StaleHead(mongo_event_store.NO_EVENTS))
    monkeypatch.setattr(mongo_event_store, "MAX_POSITION_RETRIES", 3)

    with pytest.raises(StoreUnavailable, match="took the next position 3 times"):
        await counted.events.append(uuid.uuid4(), 0, [registered("Bob")], META)
    assert [recorded.position for recorded in await counted.events.read_all()] == [first.position]
