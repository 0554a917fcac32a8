"""Appends on MongoDB: events/s and round trips per event, grouped vs one at a time, 1 and 2 processes.

    uv run python -m bench.mongo_appends            # 1, 8, 32 clients; 2 ms round trip
    uv run python -m bench.mongo_appends --quick    # fewer events
    uv run python -m bench.mongo_appends --delay-ms 5

Against mongoeco's wire-protocol server started here (or EVENTFOLD_BENCH_MONGODB_URI), through a TCP
proxy of this module's own that holds every chunk for half the chosen round trip each way, as a
network to a replica set primary would. Each run appends single-event commands to new streams (as
placeOrder and registerCustomer do) into a fresh database that is dropped afterwards: the test
server's cost per insert grows with its collections (its events/s at 320 events a run are a third
of those at 96), so they are kept to 128 events a run, or 64.

"one at a time" is the path before grouped appends: each append waits for the previous one's round
trip (the old asyncio lock held across `insert_one`), which is what wrapping the store's append in a
lock gives back. "2 processes" are two stores with their own clients, connection pools, writers and
heads in this one process: on the wire that is what two API processes are (two clients racing for
the same positions), only sharing this process's CPU. The round trips are exact (command monitoring);
events/s is a timing on this machine.
"""

import asyncio
import contextlib
import os
import threading
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from pymongo import AsyncMongoClient, monitoring
from pymongo.uri_parser import parse_uri

from bench.report import arguments
from bench.round_trips import mongodb
from domain.events import CustomerRegistered
from store.connect import Stores, open_stores
from store.events import RecordedEvent

UPKEEP = frozenset({"hello", "ismaster", "isMaster", "endSessions", "ping"})
META = {"correlationId": "bench", "actor": "bench"}
CHUNK = 65_536


class Counter(monitoring.CommandListener):
    def __init__(self) -> None:
        self.inserts = 0
        self.commands = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name in UPKEEP:
            return
        self.commands += 1
        if event.command_name == "insert" and event.command.get("insert") == "events":
            self.inserts += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


class DelayProxy:
    """A loopback TCP proxy on a thread of its own that delivers each chunk `one_way` seconds after
    it arrived, in order, so that requests in flight overlap as on a real network."""

    def __init__(self, target_host: str, target_port: int, one_way: float) -> None:
        self._target = (target_host, target_port)
        self._one_way = one_way
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def start(self) -> None:
        self._thread.start()
        server = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._connected, "127.0.0.1", 0), self._loop
        ).result(timeout=30)
        self.port = server.sockets[0].getsockname()[1]

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._cancel_pipes(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)

    async def _cancel_pipes(self) -> None:
        pipes = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in pipes:
            task.cancel()
        await asyncio.gather(*pipes, return_exceptions=True)

    async def _connected(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        upstream_reader, upstream_writer = await asyncio.open_connection(*self._target)
        await asyncio.gather(
            self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer), return_exceptions=True
        )

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                due, data = await queue.get()
                if not data:
                    writer.close()
                    return
                await asyncio.sleep(max(0.0, due - time.monotonic()))
                writer.write(data)
                await writer.drain()

        delivering = asyncio.create_task(deliver())
        while data := await reader.read(CHUNK):
            queue.put_nowait((time.monotonic() + self._one_way, data))
        queue.put_nowait((0.0, b""))
        await delivering


@contextlib.contextmanager
def proxied(uri: str, delay_ms: float) -> Iterator[str]:
    host, port = parse_uri(uri)["nodelist"][0]
    proxy = DelayProxy(host, port, delay_ms / 2000)
    proxy.start()
    try:
        yield f"mongodb://127.0.0.1:{proxy.port}/?directConnection=true"
    finally:
        proxy.stop()


@dataclass(frozen=True, slots=True)
class Run:
    clients: int
    processes: int
    grouped: bool
    events: int


@dataclass(frozen=True, slots=True)
class Result:
    events_per_second: float
    inserts_per_event: float
    commands_per_event: float
    starved: bool = False
    """A writer lost the race for the next position to the other process 50 times in a row."""


Append = Callable[[], Awaitable[list[RecordedEvent]]]


def appender(stores: Stores, grouped: bool) -> Append:
    one_at_a_time = asyncio.Lock()

    async def append() -> list[RecordedEvent]:
        event = CustomerRegistered(name="Bench", email="bench@example.com")
        if grouped:
            return await stores.events.append(uuid.uuid4(), 0, [event], META)
        async with one_at_a_time:
            return await stores.events.append(uuid.uuid4(), 0, [event], META)

    return append


@contextlib.asynccontextmanager
async def opened(uri: str, database: str, processes: int, counter: Counter) -> AsyncIterator[list[Stores]]:
    every = [
        await open_stores(
            mongodb_uri=uri,
            mongodb_database=database,
            data_dir=Path("."),
            feed="tail",
            command_listeners=(counter,),
        )
        for _ in range(processes)
    ]
    try:
        yield every
    finally:
        for stores in every:
            await stores.close()


async def measure(uri: str, run: Run) -> Result:
    database = f"bench_appends_{uuid.uuid4().hex[:8]}"
    counter = Counter()
    try:
        async with opened(uri, database, run.processes, counter) as every:
            appends = [appender(stores, run.grouped) for stores in every]
            # Each process learns the head before the clock starts, as a running server has.
            await asyncio.gather(*(append() for append in appends))
            counter.inserts = counter.commands = 0
            remaining = run.events

            async def client(append: Append) -> None:
                nonlocal remaining
                while remaining > 0:
                    remaining -= 1
                    await append()

            started = time.perf_counter()
            try:
                await asyncio.gather(*(client(appends[n % run.processes]) for n in range(run.clients)))
            except RuntimeError:
                return Result(0.0, 0.0, 0.0, starved=True)
            elapsed = time.perf_counter() - started
    finally:
        client_ = AsyncMongoClient[dict[str, object]](uri)
        await client_.drop_database(database)
        await client_.close()
    return Result(run.events / elapsed, counter.inserts / run.events, counter.commands / run.events)


async def measure_all(uri: str, events: int) -> list[tuple[Run, Result]]:
    results = []
    for processes in (1, 2):
        for clients in (1, 8, 32):
            for grouped in (False, True):
                run = Run(clients, processes, grouped, events)
                results.append((run, await measure(uri, run)))
    return results


def table(results: list[tuple[Run, Result]], delay_ms: float) -> str:
    lines = [
        f"appends of one event each, {delay_ms:g} ms round trip, {results[0][0].events} events a run",
        "| processes | clients | path | events/s | inserts per event | commands per event |",
        "| ---: | ---: | --- | ---: | ---: | ---: |",
    ]
    for run, result in results:
        path = "grouped" if run.grouped else "one at a time"
        if result.starved:
            lines.append(f"| {run.processes} | {run.clients} | {path} | gave up: 50 clashes in a row | | |")
            continue
        lines.append(
            f"| {run.processes} | {run.clients} | {path} | {result.events_per_second:,.0f} "
            f"| {result.inserts_per_event:.2f} | {result.commands_per_event:.2f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--quick", action="store_true", help="64 events a run instead of 128")
    parser.add_argument("--delay-ms", type=float, default=2.0, help="round trip the proxy adds")
    options = parser.parse_args()
    events = 64 if options.quick else 128
    target = os.environ.get("EVENTFOLD_BENCH_MONGODB_URI")
    with contextlib.ExitStack() as stack:
        uri = target or stack.enter_context(mongodb())
        through = stack.enter_context(proxied(uri, options.delay_ms))
        print(table(asyncio.run(measure_all(through, events)), options.delay_ms))


if __name__ == "__main__":
    main()
