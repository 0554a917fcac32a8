"""The event store beside its peer: eventfold's SQLite event store against pyeventsourcing
(`eventsourcing`, with its SQLite persistence) on five workloads, in process, no HTTP.

    uv run --group peers python -m bench.peers            # five rounds at full size, a few minutes
    uv run --group peers python -m bench.peers --quick    # small sizes, seconds
    uv run --group peers python -m bench.peers --sealed   # both sides encrypting

Without `--sealed` neither side encrypts (eventfold's `EVENTFOLD_ENCRYPT_PERSONAL_DATA=false`), like
for like; with it both do, each its own way (see `Sizes.sealed`).

Rounds alternate which side goes first; each figure is the median of the rounds. Each round gives
each side fresh database files (one per append workload; one that the command workload writes and
the two reads read), in WAL mode with synchronous=NORMAL (pyeventsourcing's default is FULL: its
connections are set to NORMAL here, so that both pay the same fsyncs); the settings printed are read
back from each side's own connections. Every workload stops after `seconds` at most and counts what
it did.

The workloads:
1. new streams, one event appended to each, one writer;
2. the same with 8 concurrent writers (asyncio tasks for eventfold, threads for pyeventsourcing);
3. aggregates through the command layer: register, then 4 email changes, each a load, a decision and
   an append (eventfold's CommandHandler; pyeventsourcing's repository.get, a method call, save);
4. reading those aggregates back, folded from their events;
5. reading the global log in pages of 1,000, decoded into domain events on both sides.
"""

import asyncio
import functools
import os
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, replace
from importlib import metadata
from pathlib import Path
from typing import Any
from uuid import UUID

from bench.report import arguments
from commands.fold import fold
from commands.handler import CommandHandler
from domain import customer
from domain.commands import ChangeCustomerEmail, RegisterCustomer
from domain.events import CustomerRegistered
from domain.upcasting import DEFAULT_DEPLOYMENT
from store.decoding import EventDecoder
from store.sealing import Sealer
from store.signal import AppendSignal
from store.sqlite.data_keys import SqliteDataKeys
from store.sqlite.event_store import SqliteEventStore

WRITERS = 8
PAGE = 1_000
CHANGES = 4
EMMETT_LOG_READ = 103_400
"""Events/s reading the global log, Emmett's SQLite event store in Node.js, as issue 20 quotes it:
measured elsewhere, not by this run."""


@dataclass(frozen=True, slots=True)
class Sizes:
    streams: int
    aggregates: int
    rounds: int
    seconds: float
    """A bound on each workload's time: past it a workload stops and counts what it did."""
    sealed: bool = False
    """Both sides encrypt: eventfold seals each customer's personal fields with that customer's key,
    pyeventsourcing encrypts every event whole with its one application key (its AESCipher)."""


FULL = Sizes(streams=20_000, aggregates=5_000, rounds=5, seconds=120.0)
QUICK = Sizes(streams=1_000, aggregates=200, rounds=3, seconds=10.0)


@dataclass(frozen=True, slots=True)
class Rates:
    """Operations per second of each workload in one round."""

    appends: float
    concurrent_appends: float
    commands: float
    reads: float
    log_events: float


ROWS = (
    ("appends", "new streams, one event each, one writer (appends/s)"),
    ("concurrent_appends", f"the same with {WRITERS} concurrent writers (appends/s)"),
    ("commands", f"aggregates x {CHANGES + 1} commands: register, {CHANGES} changes (commands/s)"),
    ("reads", "reading those aggregates back, folded (reads/s)"),
    ("log_events", f"reading the global log in pages of {PAGE:,} (events/s)"),
)


def _rate(count: int, started: float) -> float:
    return count / (time.perf_counter() - started)


def _email(number: int, change: int = 0) -> str:
    return f"buyer{number}.{change}@example.com"


# eventfold


async def _open(path: Path, sealed: bool) -> SqliteEventStore:
    sealer = Sealer(await SqliteDataKeys.open(path), enabled=sealed)
    return await SqliteEventStore.open(path, AppendSignal(), EventDecoder(DEFAULT_DEPLOYMENT), sealer)


async def _ours_append(path: Path, sealed: bool, streams: int, writers: int, deadline: float) -> float:
    store = await _open(path, sealed)
    metadata = {"command": "RegisterCustomer"}

    async def writer(number: int) -> int:
        written = 0
        for index in range(number, streams, writers):
            if time.perf_counter() > deadline:
                break
            event = CustomerRegistered(name=f"Buyer {index}", email=_email(index))
            await store.append(uuid.uuid4(), 0, [event], metadata)
            written += 1
        return written

    started = time.perf_counter()
    written = sum(await asyncio.gather(*(writer(number) for number in range(writers))))
    rate = _rate(written, started)
    await store.close()
    return rate


async def _ours_commands(
    path: Path, sealed: bool, aggregates: int, deadline: float
) -> tuple[float, list[UUID]]:
    store = await _open(path, sealed)
    handler = CommandHandler(store)
    metadata = {"principal": "bench"}
    ids: list[UUID] = []
    done = 0
    started = time.perf_counter()
    for number in range(aggregates):
        if time.perf_counter() > deadline:
            break
        customer_id = uuid.uuid4()
        await handler.handle(
            RegisterCustomer(customer_id=customer_id, name=f"Buyer {number}", email=_email(number)), metadata
        )
        for change in range(1, CHANGES + 1):
            command = ChangeCustomerEmail(customer_id=customer_id, email=_email(number, change))
            await handler.handle(command, metadata)
        ids.append(customer_id)
        done += CHANGES + 1
    rate = _rate(done, started)
    await store.close()
    return rate, ids


async def _ours_reads(path: Path, sealed: bool, ids: list[UUID], deadline: float) -> float:
    store = await _open(path, sealed)
    read = 0
    started = time.perf_counter()
    for customer_id in ids:
        if time.perf_counter() > deadline:
            break
        state = fold(customer.DECIDER.evolve, await store.read_stream(customer_id))
        assert state is not None
        read += 1
    rate = _rate(read, started)
    await store.close()
    return rate


async def _ours_log(path: Path, sealed: bool, deadline: float) -> float:
    store = await _open(path, sealed)
    position, read = 0, 0
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        page = await store.read_all(position, PAGE)
        if not page:
            break
        position = page[-1].position
        read += len(page)
    rate = _rate(read, started)
    await store.close()
    return rate


def _run[T](work: Coroutine[Any, Any, T]) -> T:
    return asyncio.run(work)


def ours(directory: Path, sizes: Sizes) -> Rates:
    def deadline() -> float:
        return time.perf_counter() + sizes.seconds

    appends = _run(_ours_append(directory / "one.db", sizes.sealed, sizes.streams, 1, deadline()))
    concurrent = _run(_ours_append(directory / "many.db", sizes.sealed, sizes.streams, WRITERS, deadline()))
    commands, ids = _run(
        _ours_commands(directory / "commands.db", sizes.sealed, sizes.aggregates, deadline())
    )
    reads = _run(_ours_reads(directory / "commands.db", sizes.sealed, ids, deadline()))
    log = _run(_ours_log(directory / "commands.db", sizes.sealed, deadline()))
    return Rates(appends, concurrent, commands, reads, log)


def our_settings(directory: Path) -> str:
    async def read() -> str:
        store = await _open(directory / "settings.db", sealed=False)
        mode, synchronous = await store.pragmas()
        await store.close()
        return f"journal_mode={mode}, synchronous={synchronous}"

    return _run(read())


# pyeventsourcing

SYNCHRONOUS = {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}


def _normal_synchronous() -> None:
    """pyeventsourcing leaves SQLite's default (FULL): its new connections are set to NORMAL, as ours."""
    from eventsourcing.sqlite import SQLiteConnectionPool

    create = SQLiteConnectionPool._create_connection
    if getattr(create, "normal", False):
        return

    def normal(pool: SQLiteConnectionPool) -> Any:
        connection = create(pool)
        connection._sqlite_conn.execute("PRAGMA synchronous=NORMAL")
        return connection

    normal.normal = True  # type: ignore[attr-defined]
    setattr(SQLiteConnectionPool, "_create_connection", normal)  # noqa: B010 - a patch, not an attribute


@functools.cache
def _peer_classes() -> tuple[Any, Any]:
    """Defined once: pyeventsourcing refuses a second class under a topic it registered."""
    from eventsourcing.application import Application
    from eventsourcing.domain import Aggregate, event

    class Customer(Aggregate):
        @event("Registered")
        def __init__(self, name: str, email: str) -> None:
            self.name = name
            self.email = email

        @event("EmailChanged")
        def change_email(self, email: str) -> None:
            self.email = email

    class Customers(Application[UUID]):
        def register(self, name: str, email: str) -> UUID:
            registered = Customer(name, email)
            self.save(registered)
            customer_id: UUID = registered.id
            return customer_id

        def change_email(self, customer_id: UUID, email: str) -> None:
            found: Customer = self.repository.get(customer_id)
            found.change_email(email)
            self.save(found)

    return Customers, Customer


def _peer(path: Path, sealed: bool) -> Any:
    _normal_synchronous()
    customers, _ = _peer_classes()
    env = {"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    if sealed:
        # Its one cipher: every event's whole state in AES-GCM under one key of the application's.
        env |= {"CIPHER_TOPIC": "eventsourcing.cryptography:AESCipher", "CIPHER_KEY": _peer_key()}
    return customers(env=env)


@functools.cache
def _peer_key() -> str:
    """One key for the run: the workloads that read open what the command workload wrote."""
    from eventsourcing.cryptography import AESCipher

    key: str = AESCipher.create_key(32)
    return key


def _peer_append(path: Path, sealed: bool, streams: int, writers: int, deadline: float) -> float:
    app = _peer(path, sealed)
    counts = [0] * writers

    def writer(number: int) -> None:
        for index in range(number, streams, writers):
            if time.perf_counter() > deadline:
                break
            app.register(f"Buyer {index}", _email(index))
            counts[number] += 1

    started = time.perf_counter()
    threads = [threading.Thread(target=writer, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    rate = _rate(sum(counts), started)
    app.close()
    return rate


def _peer_commands(path: Path, sealed: bool, aggregates: int, deadline: float) -> tuple[float, list[UUID]]:
    app = _peer(path, sealed)
    ids: list[UUID] = []
    done = 0
    started = time.perf_counter()
    for number in range(aggregates):
        if time.perf_counter() > deadline:
            break
        customer_id = app.register(f"Buyer {number}", _email(number))
        for change in range(1, CHANGES + 1):
            app.change_email(customer_id, _email(number, change))
        ids.append(customer_id)
        done += CHANGES + 1
    rate = _rate(done, started)
    app.close()
    return rate, ids


def _peer_reads(path: Path, sealed: bool, ids: list[UUID], deadline: float) -> float:
    app = _peer(path, sealed)
    read = 0
    started = time.perf_counter()
    for customer_id in ids:
        if time.perf_counter() > deadline:
            break
        assert app.repository.get(customer_id).email
        read += 1
    rate = _rate(read, started)
    app.close()
    return rate


def _peer_log(path: Path, sealed: bool, deadline: float) -> float:
    app = _peer(path, sealed)
    start, read = 1, 0
    started = time.perf_counter()
    while time.perf_counter() < deadline:
        # The recorder's own page read: the application's notification log caps a page at 10.
        page = app.recorder.select_notifications(start, PAGE)
        if not page:
            break
        events = [app.mapper.to_domain_event(notification) for notification in page]
        start = page[-1].id + 1
        read += len(events)
    rate = _rate(read, started)
    app.close()
    return rate


def peer(directory: Path, sizes: Sizes) -> Rates:
    def deadline() -> float:
        return time.perf_counter() + sizes.seconds

    appends = _peer_append(directory / "one.db", sizes.sealed, sizes.streams, 1, deadline())
    concurrent = _peer_append(directory / "many.db", sizes.sealed, sizes.streams, WRITERS, deadline())
    commands, ids = _peer_commands(directory / "commands.db", sizes.sealed, sizes.aggregates, deadline())
    reads = _peer_reads(directory / "commands.db", sizes.sealed, ids, deadline())
    log = _peer_log(directory / "commands.db", sizes.sealed, deadline())
    return Rates(appends, concurrent, commands, reads, log)


def peer_settings(directory: Path) -> str:
    app = _peer(directory / "settings.db", sealed=False)
    with app.recorder.datastore.get_connection(commit=False) as connection:
        raw: sqlite3.Connection = connection._sqlite_conn
        (mode,) = raw.execute("PRAGMA journal_mode").fetchone()
        (synchronous,) = raw.execute("PRAGMA synchronous").fetchone()
    app.close()
    return f"journal_mode={mode}, synchronous={SYNCHRONOUS.get(synchronous, synchronous)}"


# the run


def _round(side: Callable[[Path, Sizes], Rates], sizes: Sizes) -> Rates:
    with tempfile.TemporaryDirectory() as directory:
        return side(Path(directory), sizes)


def _settings(read: Callable[[Path], str]) -> str:
    with tempfile.TemporaryDirectory() as directory:
        return read(Path(directory))


def compare(sizes: Sizes) -> tuple[list[Rates], list[Rates]]:
    mine: list[Rates] = []
    theirs: list[Rates] = []
    for number in range(sizes.rounds):
        # Alternate who goes first, so that neither always gets the cooler machine or the warmer cache.
        if number % 2 == 0:
            mine.append(_round(ours, sizes))
            theirs.append(_round(peer, sizes))
        else:
            theirs.append(_round(peer, sizes))
            mine.append(_round(ours, sizes))
        print(f"  round {number + 1}/{sizes.rounds} done", file=sys.stderr)
    return mine, theirs


def _median(rounds: list[Rates], name: str) -> float:
    values: list[float] = [getattr(rates, name) for rates in rounds]
    return statistics.median(values)


def table(mine: list[Rates], theirs: list[Rates], sizes: Sizes) -> str:
    lines = [
        f"| workload (in process; {sizes.streams:,} streams, {sizes.aggregates:,} aggregates, "
        f"medians of {sizes.rounds}) | eventfold | pyeventsourcing | ratio |",
        "| --- | --- | --- | --- |",
    ]
    for name, label in ROWS:
        ours_median, theirs_median = _median(mine, name), _median(theirs, name)
        peer_cell = f"{theirs_median:,.0f}"
        if name == "log_events":
            peer_cell += f" (Emmett, Node, measured elsewhere: {EMMETT_LOG_READ:,})"
        lines.append(f"| {label} | {ours_median:,.0f} | {peer_cell} | {ours_median / theirs_median:.2f} |")
    return "\n".join(lines)


def machine() -> str:
    return (
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}, "
        f"eventsourcing {metadata.version('eventsourcing')}"
    )


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a run of seconds")
    parser.add_argument("--rounds", type=int, help="how many rounds (default 5, 3 with --quick)")
    parser.add_argument(
        "--sealed",
        action="store_true",
        help="both sides encrypt (eventfold's per-customer sealing, pyeventsourcing's AESCipher); "
        "without it neither does",
    )
    args = parser.parse_args()
    sizes = QUICK if args.quick else FULL
    sizes = replace(sizes, rounds=args.rounds or sizes.rounds, sealed=args.sealed)
    print(f"machine: {machine()}")
    print(f"eventfold durability: {_settings(our_settings)}")
    print(f"pyeventsourcing durability: {_settings(peer_settings)}")
    print("encryption: " + ("both sides (--sealed)" if sizes.sealed else "neither side (--sealed: both)"))
    mine, theirs = compare(sizes)
    print(table(mine, theirs, sizes))


if __name__ == "__main__":
    main()
