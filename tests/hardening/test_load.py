"""Load: many clients racing on shared orders over HTTP against `eventfold serve`; afterwards the log
has no gap or repeat, every acknowledged event is in it, no one saw an internal error, and the read
models equal a rebuild from the events."""

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.app.test_serve import environment
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
from tests.hardening.workload import Tally, run_clients, session, set_scene

LOAD = {
    "default": {"sqlite": (20, 60), "mongodb": (10, 25)},
    "heavy": {"sqlite": (50, 200), "mongodb": (20, 50)},
}
"""Clients and operations per client. mongoeco, the MongoDB test server, slows as collections grow; the
heavy load runs with the slow tests (`uv run pytest -m slow`)."""


@pytest.fixture
def deployment(settings: Settings, tmp_path: Path) -> Iterator[list[EventfoldProcess]]:
    """Two API processes and a projector apart, as README describes scaling out: the machine's two
    cores serve the load side by side, and writers race across processes too."""
    env = environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning"}
    processes = [
        EventfoldProcess(env, tmp_path, "api-1", projector=False),
        EventfoldProcess(env, tmp_path, "api-2", projector=False),
        EventfoldProcess(env, tmp_path, "projector", serving=False),
    ]
    with contextlib.ExitStack() as stack:
        for process in processes:
            process.start()
            stack.callback(process.stop)
        yield processes


@pytest.mark.parametrize("size", ["default", pytest.param("heavy", marks=pytest.mark.slow)])
async def test_concurrent_clients_lose_nothing_and_the_read_models_equal_a_rebuild(
    deployment: list[EventfoldProcess], settings: Settings, backend: str, size: str
) -> None:
    clients, operations = LOAD[size][backend]
    bases = [process.base for process in deployment[:2]]
    tally = Tally()
    async with session(bases[0]) as http:
        scene = await set_scene(http, orders=20, prefix="load")
        await run_clients(bases, scene, tally, clients, operations)
        log = await read_log(http)
        streams = streams_of(log)
        await wait_until_projected(http, len(log))
        projected = await read_models(http)

    assert tally.operations == clients * operations
    assert tally.unexpected == []
    assert "INTERNAL_SERVER_ERROR" not in tally.codes
    assert lost(tally, log) == []
    assert len(log) == scene.recorded + len(tally.acknowledged), "events recorded that no client was told of"
    assert applied_twice(streams) == []
    assert disagreements(projected, streams) == []

    assert await read_models_rebuilt(settings, deployment, len(log)) == projected
    print(
        f"\nload on {backend}: {tally.summary()}; {len(log)} events in the log, {len(lost(tally, log))} lost"
    )
