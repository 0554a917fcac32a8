"""Two API processes whose clocks are 3 s apart (libfaketime), writing one log: positions stay dense and
recordedAt never runs backwards along them, so `asOf` never sees a stream's version 3 without its 2."""

import asyncio
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.app.test_serve import environment
from tests.e2e.operations import REGISTER_CUSTOMER
from tests.hardening.server_process import EventfoldProcess

LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketime.so.1"))), None)
EVENTS = "{ events(first: 100) { edges { node { position recordedAt } } } }"

pytestmark = pytest.mark.skipif(
    shutil.which("faketime") is None or LIBFAKETIME is None,
    reason="libfaketime is not installed (Debian package `faketime`; .ci/run installs it)",
)


def with_clock(env: dict[str, str], offset_seconds: int) -> dict[str, str]:
    return env | {
        "LD_PRELOAD": str(LIBFAKETIME),
        "FAKETIME": f"{offset_seconds:+d}",
        # Timeouts and sleeps keep the real pace; only the wall clock is off.
        "FAKETIME_DONT_FAKE_MONOTONIC": "1",
    }


@pytest.fixture
def processes(settings: Settings, tmp_path: Path) -> Iterator[tuple[EventfoldProcess, EventfoldProcess]]:
    env = environment(settings) | {"EVENTFOLD_LOG_LEVEL": "warning"}
    ahead = EventfoldProcess(with_clock(env, 3), tmp_path, "ahead", projector=False)
    behind = EventfoldProcess(with_clock(env, 0), tmp_path, "behind", projector=False)
    try:
        ahead.start()
        behind.start()
        yield ahead, behind
    finally:
        ahead.stop()
        behind.stop()


async def register(http: httpx.AsyncClient, base: str, n: int) -> dict[str, Any]:
    variables = {"input": {"name": f"C{n}", "email": f"c{n}@example.com"}}
    response = await http.post(f"{base}/graphql", json={"query": REGISTER_CUSTOMER, "variables": variables})
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    return body


async def test_positions_stay_dense_and_recorded_at_never_runs_backwards(
    processes: tuple[EventfoldProcess, EventfoldProcess],
) -> None:
    ahead, behind = processes
    started = datetime.now(UTC)
    async with httpx.AsyncClient(timeout=30) as http:
        for n in range(6):
            await register(http, (ahead, behind)[n % 2].base, n)
        # And concurrently, so that groups of both processes race for the same positions.
        await asyncio.gather(*(register(http, (ahead, behind)[n % 2].base, n) for n in range(6, 30)))
        response = await http.post(f"{behind.base}/graphql", json={"query": EVENTS})
    log = [edge["node"] for edge in response.json()["data"]["events"]["edges"]]

    assert [event["position"] for event in log] == list(range(1, 31))
    recorded = [datetime.fromisoformat(event["recordedAt"]) for event in log]
    assert recorded == sorted(recorded)
    # The clock ahead is in effect: the first event, recorded by it, is stamped about 3 s from now.
    assert recorded[0] - started > timedelta(seconds=2)
