"""Two `eventfold project` processes share the read models; SIGKILL one and the other takes them all
over within the lease, catches up, and the read models equal a rebuild from the events."""

import asyncio
import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import pytest

from app.settings import Settings
from projections.read_models import BY_NAME
from tests.app.test_serve import environment
from tests.hardening.audit import query, read_log, read_models, wait_until_projected
from tests.hardening.server_process import EventfoldProcess, read_models_rebuilt
from tests.hardening.workload import session, set_scene

LEASE_SECONDS = 2
OWNERS = "{ projections { name owner } }"


@pytest.fixture
def backend() -> str:
    # The lease logic is one code on both backends (its port is conformance-tested on both); processes
    # on mongoeco's test server would mostly measure that server.
    return "sqlite"


@pytest.fixture
def deployment(settings: Settings, tmp_path: Path) -> Iterator[list[EventfoldProcess]]:
    env = environment(settings) | {
        "EVENTFOLD_LOG_LEVEL": "warning",
        "EVENTFOLD_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    processes = [
        EventfoldProcess(env, tmp_path, "api", projector=False),
        EventfoldProcess(env, tmp_path, "projector-1", serving=False),
        EventfoldProcess(env, tmp_path, "projector-2", serving=False),
    ]
    with contextlib.ExitStack() as stack:
        for process in processes:
            process.start()
            stack.callback(process.stop)
        yield processes


async def owners_once(http: aiohttp.ClientSession, count: int, seconds: float = 30) -> dict[str, str]:
    """The owner of each read model, once they are shared between `count` owners about evenly by cost
    (handing read models over takes a lease cycle or two)."""
    deadline = time.monotonic() + seconds
    while True:
        held = {p["name"]: p["owner"] for p in (await query(http, OWNERS))["projections"]}
        shares = [
            sum(BY_NAME[name].cost for name, owner in held.items() if owner == each)
            for each in set(held.values())
        ]
        most = max(projection.cost for projection in BY_NAME.values())
        if (
            len(held) == 6
            and None not in held.values()
            and len(shares) == count
            and max(shares) - min(shares) <= most
        ):
            return held
        assert time.monotonic() < deadline, f"not {count} owners: {held}"
        await asyncio.sleep(0.1)


async def test_two_projectors_share_the_read_models_and_one_takes_over_when_the_other_is_killed(
    deployment: list[EventfoldProcess], settings: Settings
) -> None:
    api, first, _ = deployment
    async with session(api.base) as http:
        await set_scene(http, orders=6, prefix="shared")
        shared = await owners_once(http, 2)

        first.kill()
        await set_scene(http, orders=4, prefix="after")
        survivor = await owners_once(http, 1, seconds=LEASE_SECONDS * 10)
        log = await read_log(http)
        await wait_until_projected(http, len(log))
        projected = await read_models(http)

    assert set(survivor.values()) < set(shared.values())
    assert await read_models_rebuilt(settings, deployment, len(log)) == projected
