"""`eventfold rebuild` of every read model, side by side in one process (SQLite's default) or dealt out
to two, while clients write through a running server: afterwards the read models equal a rebuild from
scratch, and the server's projector drops the collections the rebuild replaced once they settled."""

import asyncio
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from app.stores import open_from
from projections.projection import history_name
from projections.read_models import BY_NAME
from projections.retirement import RETIRED
from tests.app.test_serve import EVENTFOLD, environment
from tests.hardening.audit import read_log, read_models, wait_until_projected
from tests.hardening.server_process import EventfoldProcess, read_models_rebuilt
from tests.hardening.workload import Tally, run_clients, session, set_scene


@pytest.fixture
def backend() -> str:
    # The same rebuild on both backends (conformance-tested); mongoeco would mostly measure itself.
    return "sqlite"


def quiet(settings: Settings) -> dict[str, str]:
    return environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning", "EVENTFOLD_REBUILD_SETTLE_SECONDS": "1"}


def tables(settings: Settings) -> set[str]:
    """The collections on file: a table beside one (`<table>:words`) counts as that collection, so
    that one left behind by a dropped collection shows."""
    with sqlite3.connect(settings.data_dir / "eventfold.db") as connection:
        rows = connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'doc\\_%' ESCAPE '\\'"
        ).fetchall()
    return {name.removeprefix("doc_").split(":")[0] for (name,) in rows}


async def in_use(settings: Settings) -> set[str]:
    """The collections the read models' states name, with their histories."""
    stores = await open_from(settings)
    try:
        states = await stores.states.load_all()
    finally:
        await stores.close()
    histories = {history_name(s.collection) for s in states if BY_NAME[s.name].history is not None}
    return {state.collection for state in states} | histories


async def settled(settings: Settings, expected: set[str]) -> set[str]:
    """The collections on file once they are `expected` (or after ten seconds), retirement's aside."""
    for _ in range(100):
        if tables(settings) - {RETIRED} == expected:
            break
        await asyncio.sleep(0.1)
    return tables(settings) - {RETIRED}


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[EventfoldProcess]:
    process = EventfoldProcess(quiet(settings), tmp_path, "api")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@pytest.mark.parametrize("processes", [[], ["--processes", "2"]], ids=["one-process", "two-processes"])
async def test_rebuilding_every_read_model_while_writes_go_on_equals_a_rebuild_from_scratch(
    server: EventfoldProcess, settings: Settings, processes: list[str]
) -> None:
    env = quiet(settings)
    async with session(server.base) as http:
        scene = await set_scene(http, orders=10, prefix="rebuild")
        rebuilding = await asyncio.create_subprocess_exec(
            EVENTFOLD,
            "rebuild",
            *processes,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        await run_clients([server.base], scene, Tally(), clients=4, operations=15)
        out, err = await asyncio.wait_for(rebuilding.communicate(), 120)
        assert rebuilding.returncode == 0, err.decode()
        assert out.decode().count(": rebuilt into ") == 6
        log = await read_log(http)
        await wait_until_projected(http, len(log))
        projected = await read_models(http)

    rebuilt_into = {line.split(" rebuilt into ")[1].split()[0] for line in out.decode().splitlines()}
    expected = await in_use(settings)
    assert rebuilt_into <= expected
    assert await settled(settings, expected) == expected
    assert await read_models_rebuilt(settings, [server], len(log)) == projected
