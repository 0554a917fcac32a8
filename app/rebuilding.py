"""`eventfold rebuild`: read models rebuilt side by side, one process each, with a bar each.

Processes rather than tasks: replaying is Python work (decoding, evolving, encoding) that one process
does on one core, so read models rebuilt in processes of their own use every core there is. Each is
still swapped in by its own compare-and-set (`projections.rebuild`), as when rebuilt alone.
"""

import asyncio
import multiprocessing
import os
import queue
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

from tqdm import tqdm

from app.settings import Settings
from app.stores import open_from
from projections.read_models import BY_NAME
from projections.rebuild import rebuild

POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Rebuilt:
    name: str
    collection: str
    position: int
    stopped_at: int | None
    error: str | None


async def rebuild_one(settings: Settings, name: str, report: "Queue[tuple[str, int, int]]") -> Rebuilt:
    stores = await open_from(settings)
    try:
        state = await rebuild(
            BY_NAME[name],
            stores.events,
            stores.documents,
            stores.states,
            lambda position, head: report.put((name, position, head)),
            settle_seconds=settings.rebuild_settle_seconds,
        )
    finally:
        await stores.close()
    return Rebuilt(name, state.collection, state.checkpoint.position, state.stopped_at, state.error)


_reporting: list["Queue[tuple[str, int, int]]"] = []
"""In a rebuilding process: where it reports its progress (handed over when the process starts, as a
queue can only be)."""


def _report_to(report: "Queue[tuple[str, int, int]]") -> None:
    _reporting.append(report)


def _in_a_process(values: dict[str, Any], name: str) -> Rebuilt:
    return asyncio.run(rebuild_one(Settings(**values), name, _reporting[0]))


def rebuild_all(settings: Settings, names: Sequence[str]) -> list[Rebuilt]:
    """Rebuild `names`, each in a process of its own (as many at once as there are cores), drawing a
    progress bar for each; returns what each was rebuilt into, in the order given."""
    # Spawned, not forked: the CLI may run on a thread beside others, which a fork would copy mid-step.
    context = multiprocessing.get_context("spawn")
    workers = max(1, min(len(names), os.cpu_count() or 1))
    bars = {
        name: tqdm(desc=name, unit=" events", position=line, dynamic_ncols=True, leave=True)
        for line, name in enumerate(names)
    }
    try:
        report: Queue[tuple[str, int, int]] = context.Queue()
        with ProcessPoolExecutor(workers, context, _report_to, (report,)) as pool:
            values = settings.model_dump()
            futures = [pool.submit(_in_a_process, values, name) for name in names]
            while not all(future.done() for future in futures):
                _show(bars, report)
            _show(bars, report, wait=False)
            return [_result(future) for future in futures]
    finally:
        for bar in bars.values():
            bar.close()


def _show(bars: dict[str, "tqdm[Any]"], report: "Queue[tuple[str, int, int]]", wait: bool = True) -> None:
    try:
        name, position, head = report.get(timeout=POLL_SECONDS) if wait else report.get_nowait()
        while True:
            bar = bars[name]
            bar.total = head
            bar.update(position - bar.n)
            name, position, head = report.get_nowait()
    except queue.Empty:
        return


def _result(future: "Future[Rebuilt]") -> Rebuilt:
    rebuilt = future.result()
    print(f"{rebuilt.name}: rebuilt into {rebuilt.collection} up to position {rebuilt.position}")
    if rebuilt.stopped_at is not None:
        print(
            f"{rebuilt.name}: stopped before position {rebuilt.stopped_at}: {rebuilt.error}", file=sys.stderr
        )
    return rebuilt
