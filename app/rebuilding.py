"""`eventfold rebuild`: read models rebuilt side by side, with a bar each; on MongoDB in a process per
core, on SQLite in one.

Within a process the read models are rebuilt together, reading the log once, and each batch is
written while the next is applied (`projections.write_behind`). Replaying is Python work (decoding,
evolving, encoding), so on MongoDB, where the server writes, read models dealt out to a process per
core use every core there is. On SQLite every process's writes wait for the one write lock of the
file, and each process decodes the whole log again: two processes took as long as one on two cores
(4.4 to 4.7 s against 4.3 to 4.5 s for 40,600 events) and a fifth more CPU, so one is the default
there. Each read model is still swapped in by its own compare-and-set (`projections.rebuild`), as
when rebuilt alone. The collections they replace are retired, not waited for (`projections.retirement`).
"""

import asyncio
import contextlib
import multiprocessing
import os
import queue
import sys
from collections.abc import AsyncIterator, Sequence
from concurrent.futures import ProcessPoolExecutor
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
from projections.rebuild import Progress, rebuild_together
from projections.retirement import drop_settled, retire
from store.connect import Stores

POLL_SECONDS = 0.1


@dataclass(frozen=True, slots=True)
class Rebuilt:
    name: str
    collection: str | None
    """None: it could not be built (`error` says why) and nothing was swapped in."""
    position: int
    stopped_at: int | None
    error: str | None


async def rebuild_group(stores: Stores, names: Sequence[str], report: Progress) -> list[Rebuilt]:
    """Rebuild `names` side by side in this process, from one read of the log."""
    results = await rebuild_together(
        [BY_NAME[name] for name in names], stores.events, stores.documents, stores.states, report
    )
    rebuilt: list[Rebuilt] = []
    for name, result in zip(names, results, strict=True):
        if isinstance(result, ProjectionFailed):
            # An exception of its own would not survive the way back from another process intact.
            rebuilt.append(Rebuilt(name, None, 0, None, str(result)))
            continue
        await retire(stores.documents, result.retired)
        state = result.state
        rebuilt.append(
            Rebuilt(name, state.collection, state.checkpoint.position, state.stopped_at, state.error)
        )
    return rebuilt


_reporting: list["Queue[tuple[str, int, int]]"] = []
"""In a rebuilding process: where it reports its progress (handed over when the process starts, as a
queue can only be)."""


def _report_to(report: "Queue[tuple[str, int, int]]") -> None:
    collect_less_often()
    _reporting.append(report)


def _in_a_process(values: dict[str, Any], names: Sequence[str]) -> list[Rebuilt]:
    async def rebuild() -> list[Rebuilt]:
        stores = await open_from(Settings(**values))
        try:
            return await rebuild_group(stores, names, lambda *progress: _reporting[0].put(progress))
        finally:
            await stores.close()

    return asyncio.run(rebuild())


def groups(names: Sequence[str], processes: int) -> list[list[str]]:
    """`names` dealt out to `processes` groups of about equal cost, as projectors deal read models
    out (`deal`). The first group is the heaviest, which the CLI process builds itself while the
    others' processes are still starting."""
    costs = {name: BY_NAME[name].cost for name in names}
    count = min(processes, len(names))
    dealt = deal(costs, range(count))
    grouped = [[name for name, group in dealt.items() if group == index] for index in range(count)]
    return sorted(grouped, key=lambda group: -sum(costs[name] for name in group))


def default_processes(settings: Settings) -> int:
    """One per core on MongoDB, one on SQLite (see above)."""
    return (os.cpu_count() or 1) if settings.mongodb_uri else 1


def rebuild_all(settings: Settings, names: Sequence[str], processes: int | None = None) -> list[Rebuilt]:
    """Rebuild `names` in `processes` processes (this one among them; `default_processes` when None),
    each rebuilding its group side by side, drawing a progress bar for each; returns what each was
    rebuilt into, in the order given. Collections replaced by earlier rebuilds that have settled are
    dropped meanwhile."""
    collect_less_often()
    dealt = groups(names, processes or default_processes(settings))
    bars = {
        name: tqdm(desc=name, unit=" events", position=line, dynamic_ncols=True, leave=True)
        for line, name in enumerate(names)
    }
    try:
        rebuilt = {each.name: each for each in asyncio.run(_rebuild_dealt(settings, dealt, bars))}
    finally:
        for bar in bars.values():
            bar.close()
    return [_reported(rebuilt[name]) for name in names]


async def _rebuild_dealt(
    settings: Settings, dealt: Sequence[Sequence[str]], bars: dict[str, "tqdm[Any]"]
) -> list[Rebuilt]:
    """The first group in this process, on this loop (which draws the bars); each other in a process
    of its own (`_in_other_processes`)."""
    own, others = dealt[0], dealt[1:]
    async with _in_other_processes(settings, others, bars) as elsewhere:
        stores = await open_from(settings)
        dropping = asyncio.create_task(drop_settled(stores.documents, settings.rebuild_settle_seconds))
        try:
            groups_rebuilt = await asyncio.gather(
                rebuild_group(stores, own, lambda name, position, head: show(bars[name], position, head)),
                *elsewhere,
            )
            await dropping
        finally:
            dropping.cancel()
            await asyncio.gather(dropping, return_exceptions=True)
            await stores.close()
    return [rebuilt for group in groups_rebuilt for rebuilt in group]


@contextlib.asynccontextmanager
async def _in_other_processes(
    settings: Settings, groups: Sequence[Sequence[str]], bars: dict[str, "tqdm[Any]"]
) -> AsyncIterator[list[asyncio.Future[list[Rebuilt]]]]:
    """Each of `groups` rebuilt in a process of its own, started at once; their progress comes
    through a queue, drained into the bars while they run. No process, queue or polling for none."""
    if not groups:
        yield []
        return
    # Spawned, not forked: the CLI may run on a thread beside others, which a fork would copy mid-step.
    context = multiprocessing.get_context("spawn")
    report: Queue[tuple[str, int, int]] = context.Queue()
    with ProcessPoolExecutor(len(groups), context, _report_to, (report,)) as pool:
        showing = asyncio.create_task(_show_reports(bars, report))
        try:
            yield [
                asyncio.wrap_future(pool.submit(_in_a_process, settings.model_dump(), group))
                for group in groups
            ]
        finally:
            showing.cancel()
            await asyncio.gather(showing, return_exceptions=True)
            _show_reported(bars, report)


async def _show_reports(bars: dict[str, "tqdm[Any]"], report: "Queue[tuple[str, int, int]]") -> None:
    while True:
        _show_reported(bars, report)
        await asyncio.sleep(POLL_SECONDS)


def _show_reported(bars: dict[str, "tqdm[Any]"], report: "Queue[tuple[str, int, int]]") -> None:
    try:
        while True:
            name, position, head = report.get_nowait()
            show(bars[name], position, head)
    except queue.Empty:
        return


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
