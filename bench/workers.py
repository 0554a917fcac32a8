"""`order(id)` and `placeOrder` under wrk: `eventfold serve` with 1 worker and with N, and the bare
Strawberry baselines (bench/bare_app.py, bench/bare_write_app.py) under the same wrk, side by side in
one run, at each number of connections.

    uv run python -m bench.workers [--workers 2] [--connections 8 64] [--seconds 10] [--rounds 2] [--quick]

Every server is its own process (tree) on a loopback port, on SQLite, with its projector running; the
baselines are single uvicorn processes with eventfold's HTTP protocol (h11). All of them run at once
and are loaded one after the other, round after round, so that other work on a shared machine slows
them alike; each figure is the round with the median requests/s (of two, the lower). After loading
a server with writes, its projector is left to catch up before the next run. wrk shares the machine's
cores with the server it loads: the CPU it took is printed beside each run, and so is the machine's
load average, and the cores the server's processes took.
"""

import asyncio
import contextlib
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import graphql_overhead, write_path
from bench.report import Figures, arguments, show
from bench.servers import SERVED, running_server, running_uvicorn, setup
from bench.wrk import Run, ensure_wrk, post

Body = dict[str, Any]
LAGS = "{ projections { lag } }"


def _caught_up(base: str) -> None:
    """Waits (bounded) until the server's read models applied every event recorded."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        projections = httpx.post(f"{base}/graphql", json={"query": LAGS}, timeout=30).json()
        if all(status["lag"] == 0 for status in projections["data"]["projections"]):
            return
        time.sleep(0.2)


async def _bodies(base: str) -> tuple[Body, Body]:
    """What to POST for `order(id)` (an order placed and read once) and for `placeOrder`."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        order = await setup(http)
        place = {"query": graphql_overhead.PLACE, "variables": {"input": order}}
        placed = (await http.post("/graphql", json=place)).json()["data"]["placeOrder"]
        read = {"query": graphql_overhead.ORDER, "variables": {"id": placed["order"]["id"]}}
        # Read our write once, so that the load measures answers, not misses.
        position = {"X-Eventfold-Position": str(placed["events"][0]["position"])}
        assert (await http.post("/graphql", json=read, headers=position)).json()["data"]["order"]
        return read, {"query": write_path.PLACE, "variables": {"input": order}}


def _figures(name: str, run: Run) -> Figures:
    return {
        f"{name}: requests/s": run.per_second,
        f"{name}: p50 ms": run.p50_ms,
        f"{name}: p99 ms": run.p99_ms,
        f"{name}: wrk CPU cores": run.wrk_cores,
        f"{name}: server CPU cores": run.server_cores,
        f"{name}: load average": run.load_average,
    }


def _median(runs: list[Run]) -> Run:
    return sorted(runs, key=lambda run: run.per_second)[(len(runs) - 1) // 2]


def _ratios(medians: dict[tuple[str, str, int], Run], workers: int, connections: list[int]) -> Figures:
    figures: Figures = {}
    for count in connections:
        one, several = (
            medians["order(id)", "1 worker", count],
            medians["order(id)", f"{workers} workers", count],
        )
        figures[f"order(id), {count} connections: {workers} workers / 1 (target >= 1.4)"] = (
            several.per_second / one.per_second
        )
        for server in ("1 worker", f"{workers} workers"):
            for operation, target in (("placeOrder", " (target >= 0.8)"), ("order(id)", "")):
                ours, baseline = medians[operation, server, count], medians[operation, "bare", count]
                figures[f"{operation}, {count} connections: {server} / bare{target}"] = (
                    ours.per_second / baseline.per_second
                )
    return figures


def compare(workers: int, connections: list[int], seconds: float, rounds: int = 1) -> Figures:
    ensure_wrk()
    with contextlib.ExitStack() as servers:
        bases = {
            name: servers.enter_context(
                running_server(servers.enter_context(tempfile.TemporaryDirectory()), count)
            )
            for name, count in (("1 worker", 1), (f"{workers} workers", workers))
        }
        bodies: dict[tuple[str, str], Body] = {}
        for name, base in bases.items():
            bodies["order(id)", name], bodies["placeOrder", name] = asyncio.run(_bodies(base))
        bare_db = str(Path(servers.enter_context(tempfile.TemporaryDirectory())) / "bare.db")
        bases["bare order(id)"] = servers.enter_context(running_uvicorn("bench.bare_app:app", http="h11"))
        bases["bare placeOrder"] = servers.enter_context(
            running_uvicorn("bench.bare_write_app:app", {"EVENTFOLD_BENCH_DB": bare_db}, http="h11")
        )
        bodies["order(id)", "bare"] = bodies["order(id)", "1 worker"]
        bodies["placeOrder", "bare"] = bodies["placeOrder", "1 worker"]
        runs: dict[tuple[str, str, int], list[Run]] = {}
        for _ in range(rounds):
            for count in connections:
                for operation in ("order(id)", "placeOrder"):
                    for server in ("1 worker", f"{workers} workers", "bare"):
                        base = bases[f"bare {operation}" if server == "bare" else server]
                        run = post(f"{base}/graphql", bodies[operation, server], count, seconds, SERVED[base])
                        runs.setdefault((operation, server, count), []).append(run)
                        if server != "bare" and operation == "placeOrder":
                            _caught_up(base)
    medians = {key: _median(found) for key, found in runs.items()}
    figures: Figures = {}
    for (operation, server, count), run in medians.items():
        figures |= _figures(f"{operation}, {server}, {count} connections", run)
        if len(runs[operation, server, count]) > 1:
            spread = [found.per_second for found in runs[operation, server, count]]
            figures[f"{operation}, {server}, {count} connections: requests/s spread %"] = (
                100 * (max(spread) - min(spread)) / statistics.median(spread)
            )
    return figures | _ratios(medians, workers, connections)


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, nargs="+", default=[8, 64])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="one round of 3 s runs")
    args = parser.parse_args()
    quick = args.quick
    show(compare(args.workers, args.connections, 3.0 if quick else args.seconds, 1 if quick else args.rounds))
