"""Faults under load: the MongoDB server going away and coming back on the same data, and the SQLite
server process killed (SIGKILL) and started again. Clients repeat what got no answer, with the same
idempotency key or expectedVersion. Nothing acknowledged is lost, nothing is applied twice, and
everything (requests, the projector and its lease, the subscriptions' feed) recovers by itself."""

import asyncio
import contextlib
import json
import sqlite3
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from app.settings import Settings
from app.web import create_app
from tests.app.test_serve import environment
from tests.conftest import TEST_SERVER_TIMEOUT_SECONDS, serving
from tests.e2e.operations import REGISTER_CUSTOMER
from tests.hardening.audit import (
    applied_twice,
    disagreements,
    lost,
    read_log,
    read_models,
    streams_of,
    wait_until_projected,
)
from tests.hardening.server_process import EventfoldProcess, read_models_rebuilt
from tests.hardening.workload import CANCEL, UNAVAILABLE, Tally, mutate, run_clients, session, set_scene
from tests.mongo_server import MongoWireServer
from tests.subscriptions.test_subscriptions import ORDER_EVENTS, Subscriber

FAULTS = 2
"""Faults injected per test, each once a further share of the operations has been sent."""
BOUND = 60.0
"""How long anything here may take to come back."""


async def sent(tally: Tally, operations: int, load: "asyncio.Task[None]") -> None:
    """Until the clients have sent `operations` operations."""
    deadline = time.monotonic() + BOUND
    while tally.operations < operations:
        assert not load.done(), "the load ended before the fault"
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)


async def ready(base: str) -> int:
    async with aiohttp.ClientSession(base) as http, http.get("/readyz") as response:
        return response.status


async def until_ready(base: str) -> None:
    deadline = time.monotonic() + BOUND
    while await ready(base) != 200:
        assert time.monotonic() < deadline, "the server did not become ready again"
        await asyncio.sleep(0.1)


@contextlib.asynccontextmanager
async def order_events_seen(address: str) -> AsyncIterator[list[dict[str, Any]]]:
    """Every message of an `orderEvents(afterPosition: 0)` subscription, collected as it arrives."""
    subscriber = await Subscriber.open(address, ORDER_EVENTS, afterPosition=0)
    seen: list[dict[str, Any]] = []

    async def collect() -> None:
        while True:
            message = json.loads(await subscriber.socket.recv())
            if message["type"] == "next" and "errors" not in message["payload"]:
                seen.append(message["payload"]["data"]["orderEvents"])
            elif message["type"] not in ("ping", "pong"):
                seen.append(message)

    collecting = asyncio.create_task(collect())
    try:
        yield seen
    finally:
        collecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await collecting
        await subscriber.close()


async def until_seen(seen: list[dict[str, Any]], position: int) -> None:
    deadline = time.monotonic() + BOUND
    while not any(event.get("position") == position for event in seen):
        assert time.monotonic() < deadline, f"the subscription stopped short of {position}: {seen[-3:]}"
        await asyncio.sleep(0.05)


async def assert_nothing_lost_or_doubled(server: EventfoldProcess, settings: Settings, tally: Tally) -> int:
    """The audit after the faults; returns the number of events in the log."""
    async with session(server.base) as http:
        log = await read_log(http)
        streams = streams_of(log)
        await wait_until_projected(http, len(log), BOUND)
        projected = await read_models(http)
    assert tally.unexpected == []
    assert "INTERNAL_SERVER_ERROR" not in tally.codes
    assert lost(tally, log) == []
    assert applied_twice(streams) == []
    assert disagreements(projected, streams) == []

    assert await read_models_rebuilt(settings, [server], len(log), BOUND) == projected
    return len(log)


@pytest.fixture
def mongodb(tmp_path: Path) -> Iterator[MongoWireServer]:
    """A MongoDB test server of this test's own, keeping its data in a file so it can be restarted."""
    server = MongoWireServer(tmp_path / "mongodb.sqlite").start()
    try:
        yield server
    finally:
        server.stop()


async def test_mongodb_going_away_and_coming_back_under_load(
    mongodb: MongoWireServer, tmp_path: Path
) -> None:
    settings = Settings(
        mongodb_uri=mongodb.uri,
        mongodb_database="eventfold",
        data_dir=tmp_path,
        mongodb_timeout_seconds=TEST_SERVER_TIMEOUT_SECONDS,
    )
    # A lease shorter than the outage: the projector may lose it and must then win it back.
    env = environment(settings) | {
        "EVENTFOLD_MONGODB_TIMEOUT_SECONDS": "1",
        "EVENTFOLD_LEASE_SECONDS": "2",
    }
    server = EventfoldProcess(env, tmp_path, "api")
    server.start()
    tally = Tally()
    try:
        async with session(server.base) as http:
            scene = await set_scene(http, orders=20, prefix="outage")
            async with order_events_seen(server.base.removeprefix("http://")) as seen:
                load = asyncio.create_task(run_clients([server.base], scene, tally, 8, 30, guarded=True))
                for fault in range(1, FAULTS + 1):
                    await sent(tally, fault * 80, load)
                    await asyncio.to_thread(mongodb.down)
                    outage_ends = time.monotonic() + 3

                    assert await ready(server.base) == 503
                    for answer in (
                        await mutate(http, CANCEL, {"input": {"orderId": scene.orders[0], "reason": "x"}}),
                        await mutate(
                            http, "query($id: ID!) { order(id: $id) { id } }", {"id": scene.orders[0]}
                        ),
                    ):
                        [error] = answer["errors"]
                        assert error["extensions"] == {"code": UNAVAILABLE}
                        assert "database is unreachable" in error["message"]
                    await asyncio.sleep(max(0.0, outage_ends - time.monotonic()))

                    await asyncio.to_thread(mongodb.up)
                    await until_ready(server.base)
                await load
                async with session(server.base) as http:
                    log = await read_log(http)
                order_events = [event["position"] for event in log if event["streamType"] == "Order"]
                await until_seen(seen, order_events[-1])
                assert [event.get("position") for event in seen] == order_events
            assert tally.codes[UNAVAILABLE] > 0, "no client saw the outage"
            events = await assert_nothing_lost_or_doubled(server, settings, tally)
    finally:
        server.stop()
    print(f"\nMongoDB outages: {FAULTS} faults; {tally.summary()}; {events} events, 0 lost")


async def test_the_sqlite_server_killed_and_restarted_under_load(tmp_path: Path) -> None:
    settings = Settings(mongodb_uri=None, data_dir=tmp_path)
    # The killed process leaves its projector lease behind: the next one leads once it expires.
    env = environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning", "EVENTFOLD_LEASE_SECONDS": "2"}
    server = EventfoldProcess(env, tmp_path, "api")
    server.start()
    tally = Tally()
    try:
        async with session(server.base) as http:
            scene = await set_scene(http, orders=20, prefix="kill")
        load = asyncio.create_task(run_clients([server.base], scene, tally, 20, 50, guarded=True))
        for fault in range(1, FAULTS + 1):
            await sent(tally, fault * 300, load)
            server.kill()
            await asyncio.to_thread(server.start)
        await load
        assert tally.interrupted > 0, "no client saw the server go"
        events = await assert_nothing_lost_or_doubled(server, settings, tally)
    finally:
        server.stop()
    print(f"\nSQLite server killed: {FAULTS} faults; {tally.summary()}; {events} events, 0 lost")


async def test_a_sqlite_file_locked_too_long_by_another_process_is_service_unavailable(
    tmp_path: Path,
) -> None:
    settings = Settings(mongodb_uri=None, data_dir=tmp_path, sqlite_lock_seconds=0.2)
    async with serving(create_app(settings)) as graphql:
        ann = {"name": "Ann Lee", "email": "ann@example.com"}
        customer = (await graphql.data(REGISTER_CUSTOMER, input=ann))["registerCustomer"]["customer"]
        read = await graphql.data("query($id: ID!) { customer(id: $id) { name } }", id=customer["id"])
        assert read == {"customer": {"name": "Ann Lee"}}
        # Another process (a backup, a script) takes the write lock and keeps it.
        other = sqlite3.connect(tmp_path / "eventfold.db", isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            error = await graphql.error(REGISTER_CUSTOMER, input={"name": "Bo", "email": "bo@example.com"})
            assert error["extensions"] == {"code": UNAVAILABLE}
            # Readers are not held up by a writer (WAL).
            read = await graphql.data("query($id: ID!) { customer(id: $id) { name } }", id=customer["id"])
            assert read == {"customer": {"name": "Ann Lee"}}
        finally:
            other.execute("ROLLBACK")
            other.close()
        bo = await graphql.data(REGISTER_CUSTOMER, input={"name": "Bo", "email": "bo@example.com"})
        new = bo["registerCustomer"]["customer"]["id"]
        assert await graphql.data("query($id: ID!) { customer(id: $id) { name } }", id=new) == {
            "customer": {"name": "Bo"}
        }
