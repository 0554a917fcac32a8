"""Rebuilding against recording, and one projector process against two, timed as a user sees them:
each step is the `eventfold` CLI run as a process of its own, on SQLite.

    uv run python -m bench.rebuild [--customers 2000] [--orders 20000]

1. `eventfold seed` records a history through the commands (the recording).
2. From that history with no read models, `eventfold project` catches every read model up from zero:
   once with one projector process, once with two sharing the read models (started together).
3. `eventfold rebuild` of every read model, with the read models of step 2 in place, so that it swaps
   new ones in and retires the old ones (a projector drops them later; the rebuild does not wait);
   then the same with `--processes 2`, as a process per core would (one is SQLite's default).

Targets: recording / rebuilding >= 4; the two projector figures are printed side by side.
"""

import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from bench.report import Figures, arguments, show
from projections.read_models import BY_NAME
from store.connect import open_stores

CATCH_UP_LIMIT_SECONDS = 1800.0
POLL_SECONDS = 0.05


def eventfold(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "app", *arguments]


def environment(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "EVENTFOLD_DATA_DIR": str(data_dir), "EVENTFOLD_LOG_LEVEL": "warning"}


def timed_run(data_dir: Path, *arguments: str) -> float:
    started = time.perf_counter()
    subprocess.run(
        eventfold(*arguments),
        env=environment(data_dir),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


async def positions(data_dir: Path) -> tuple[int, dict[str, int]]:
    """The head of the log and where each read model stands."""
    stores = await open_stores(mongodb_uri=None, data_dir=data_dir)
    try:
        head = await stores.events.head()
        return head, {state.name: state.checkpoint.position for state in await stores.states.load_all()}
    finally:
        await stores.close()


def caught_up(data_dir: Path) -> bool:
    head, at = asyncio.run(positions(data_dir))
    return all(at.get(name, -1) >= head for name in BY_NAME)


def projectors_catch_up(data_dir: Path, processes: int) -> float:
    """Seconds from starting `processes` projector processes until every read model is at the head."""
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            eventfold("project"),
            env=environment(data_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(processes)
    ]
    try:
        while not caught_up(data_dir):
            if time.perf_counter() - started > CATCH_UP_LIMIT_SECONDS:
                raise TimeoutError(f"{processes} projector(s) did not catch up in {CATCH_UP_LIMIT_SECONDS} s")
            if any(process.poll() is not None for process in running):
                raise RuntimeError("a projector process ended early")
            time.sleep(POLL_SECONDS)
        return time.perf_counter() - started
    finally:
        for process in running:
            process.send_signal(signal.SIGTERM)
        for process in running:
            process.wait(timeout=30)


def measure(customers: int, orders: int) -> Figures:
    with tempfile.TemporaryDirectory() as scratch:
        recorded = Path(scratch) / "recorded"
        seeding = timed_run(recorded, "seed", "--customers", str(customers), "--orders", str(orders))
        head, _ = asyncio.run(positions(recorded))
        figures: Figures = {"events": head, "seed seconds (recording)": seeding}
        for processes in (1, 2):
            copy = Path(scratch) / f"projected-by-{processes}"
            shutil.copytree(recorded, copy)
            figures[f"catch-up from zero, {processes} projector process(es), seconds"] = projectors_catch_up(
                copy, processes
            )
        rebuilding = timed_run(copy, "rebuild")
        figures["rebuild seconds (every read model)"] = rebuilding
        figures["recording / rebuilding (target >= 4)"] = seeding / rebuilding
        # The same rebuild again (over the first's collections) dealt out to two processes: what one
        # process instead of one per core gains or loses on SQLite (app.rebuilding).
        figures["rebuild seconds, --processes 2"] = timed_run(copy, "rebuild", "--processes", "2")
        one, two = (figures[f"catch-up from zero, {n} projector process(es), seconds"] for n in (1, 2))
        figures["one projector / two projectors"] = one / two
    return figures


def main(argv: Sequence[str] | None = None) -> None:
    parser = arguments(__doc__)
    parser.add_argument("--customers", type=int, default=2000)
    parser.add_argument("--orders", type=int, default=20000)
    args = parser.parse_args(argv)
    show(measure(args.customers, args.orders))


if __name__ == "__main__":
    main()
