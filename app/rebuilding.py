"""`eventfold rebuild`: read models rebuilt side by side, in a process per core, with a bar each.

Processes rather than tasks: replaying is Python work (decoding, evolving, encoding) that one process
does on one core, so read models dealt out to a process per core use every core there is; within a
process they are rebuilt together, reading the log once. Each is still swapped in by its own
compare-and-set (`projections.rebuild`), as when rebuilt alone. The collections they replace are
retired, not waited for (`projections.retirement`).
"""

import asyncio
import multiprocessing
import os
import queue
import sys
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass
from multiprocessing.queues import Queue
from typing import Any

from tqdm import tqdm

from app.collector import collect_less_often
from app.progress_bars import show
from app.settings import Settings
from app.stores import open_from
from projections.apply import ProjectionFailed
from projections.projector import deal
from projections.read_models import BY_NAME
from projections.rebuild import rebuild_together
from projections.retirement import drop_settled, retire

POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Rebuilt:
    name: str
    collection: str | None
    """None: it could not be built (`error` says why) and nothing was swapped in."""
    position: int
    stopped_at: int | None
    error: str | None


async def rebuild_group(
    settings: Settings, names: Sequence[str], report: "Queue[tuple[str, int, int]]"
) -> list[Rebuilt]:
    """Rebuild `names` side by side in this process, from one read of the log."""
    stores = await open_from(settings)
    try:
        results = await rebuild_together(
            [BY_NAME[name] for name in names],
            stores.events,
            stores.documents,
            stores.states,
            lambda name, position, head: report.put((name, position, head)),
        )
        rebuilt: list[Rebuilt] = []
        for name, result in zip(names, results, strict=True):
            if isinstance(result, ProjectionFailed):
                # An exception of its own would not survive the way back from this process intact.
                rebuilt.append(Rebuilt(name, None, 0, None, str(result)))
                continue
            await retire(stores.documents, result.retired)
            state = result.state
            rebuilt.append(
                Rebuilt(name, state.collection, state.checkpoint.position, state.stopped_at, state.error)
            )
        return rebuilt
    finally:
        await stores.close()


async def drop_retired(settings: Settings) -> None:
    stores = await open_from(settings)
    try:
        await drop_settled(stores.documents, settings.rebuild_settle_seconds)
    finally:
        await stores.close()


_reporting: list["Queue[tuple[str, int, int]]"] = []
"""In a rebuilding process: where it reports its progress (handed over when the process starts, as a
queue can only be)."""


def _report_to(report: "Queue[tuple[str, int, int]]") -> None:
    collect_less_often()
    _reporting.append(report)


def _in_a_process(values: dict[str, Any], names: Sequence[str]) -> list[Rebuilt]:
    return asyncio.run(rebuild_group(Settings(**values), names, _reporting[0]))


def groups(names: Sequence[str], processes: int) -> list[list[str]]:
    """`names` dealt out to `processes` groups of about equal cost, as projectors deal read models
    out (`deal`). The first group is the heaviest, which the CLI process builds itself while the
    others' processes are still starting."""
    costs = {name: BY_NAME[name].cost for name in names}
    count = min(processes, len(names))
    dealt = deal(costs, range(count))
    grouped = [[name for name, group in dealt.items() if group == index] for index in range(count)]
    return sorted(grouped, key=lambda group: -sum(costs[name] for name in group))


def rebuild_all(settings: Settings, names: Sequence[str]) -> list[Rebuilt]:
    """Rebuild `names` in as many processes as there are cores (this one among them), each rebuilding
    its group side by side, drawing a progress bar for each; returns what each was rebuilt into, in
    the order given. Collections replaced by earlier rebuilds that have settled are dropped meanwhile."""
    collect_less_often()
    # Spawned, not forked: the CLI may run on a thread beside others, which a fork would copy mid-step.
    context = multiprocessing.get_context("spawn")
    dealt = groups(names, os.cpu_count() or 1)
    bars = {
        name: tqdm(desc=name, unit=" events", position=line, dynamic_ncols=True, leave=True)
        for line, name in enumerate(names)
    }
    try:
        report: Queue[tuple[str, int, int]] = context.Queue()
        own, others = dealt[0], dealt[1:]
        with (
            ThreadPoolExecutor(1) as here,
            ProcessPoolExecutor(max(len(others), 1), context, _report_to, (report,)) as pool,
        ):
            # This process rebuilds a group too, while the others' processes start: a process of its
            # own would only add the time it takes to start.
            futures = [
                here.submit(lambda: asyncio.run(rebuild_group(settings, own, report))),
                *(pool.submit(_in_a_process, settings.model_dump(), group) for group in others),
            ]
            asyncio.run(drop_retired(settings))
            while not all(future.done() for future in futures):
                _show(bars, report)
            _show(bars, report, wait=False)
    finally:
        for bar in bars.values():
            bar.close()
    rebuilt = {each.name: each for each in _results(futures)}
    return [_reported(rebuilt[name]) for name in names]


def _show(bars: dict[str, "tqdm[Any]"], report: "Queue[tuple[str, int, int]]", wait: bool = True) -> None:
    try:
        name, position, head = report.get(timeout=POLL_SECONDS) if wait else report.get_nowait()
        while True:
            show(bars[name], position, head)
            name, position, head = report.get_nowait()
    except queue.Empty:
        return


def _results(futures: Sequence["Future[list[Rebuilt]]"]) -> list[Rebuilt]:
    return [rebuilt for future in futures for rebuilt in future.result()]


def _reported(rebuilt: Rebuilt) -> Rebuilt:
    if rebuilt.collection is None:
        print(f"{rebuilt.name}: not rebuilt: {rebuilt.error}", file=sys.stderr)
        return rebuilt
    print(f"{rebuilt.name}: rebuilt into {rebuilt.collection} up to position {rebuilt.position}")
    if rebuilt.stopped_at is not None:
        print(
            f"{rebuilt.name}: stopped before position {rebuilt.stopped_at}: {rebuilt.error}", file=sys.stderr
        )
    return rebuilt
