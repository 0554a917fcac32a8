"""`eventfold rebuild` of every read model, side by side in processes of their own, while clients
write through a running server: afterwards the read models equal a rebuild from scratch."""

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.app.test_serve import EVENTFOLD, environment
from tests.hardening.audit import read_log, read_models, wait_until_projected
from tests.hardening.server_process import EventfoldProcess, read_models_rebuilt
from tests.hardening.workload import Tally, run_clients, session, set_scene


@pytest.fixture
def backend() -> str:
    # The same rebuild on both backends (conformance-tested); mongoeco would mostly measure itself.
    return "sqlite"


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[EventfoldProcess]:
    process = EventfoldProcess(environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning"}, tmp_path, "api")
    process.start()
    try:
        yield process
    finally:
        process.stop()


async def test_rebuilding_every_read_model_while_writes_go_on_equals_a_rebuild_from_scratch(
    server: EventfoldProcess, settings: Settings
) -> None:
    env = environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning"}
    async with session(server.base) as http:
        scene = await set_scene(http, orders=10, prefix="rebuild")
        rebuilding = await asyncio.create_subprocess_exec(
            EVENTFOLD, "rebuild", env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
        )
        await run_clients([server.base], scene, Tally(), clients=4, operations=15)
        out, err = await asyncio.wait_for(rebuilding.communicate(), 120)
        assert rebuilding.returncode == 0, err.decode()
        assert out.decode().count(": rebuilt into ") == 6
        log = await read_log(http)
        await wait_until_projected(http, len(log))
        projected = await read_models(http)

    assert await read_models_rebuilt(settings, [server], len(log)) == projected
