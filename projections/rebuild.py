"""Rebuild read models from the events into fresh collections, then swap each in.

The API keeps reading the old collection (and a running projector keeps it current) until the swap.
The swap is one compare-and-set of the projection's state; a projector that was applying to the old
collection sees its next checkpoint refused and follows the new one from the swap's position.
"""

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from projections.apply import ProjectionFailed, UnreadableEvent, apply_batch
from projections.projection import Projection, history_collection
from projections.retirement import drop_settled, retire
from projections.write_behind import WriteBehind
from store.documents import Collection, DocumentStore
from store.events import EventStore
from store.feeds import Checkpoint
from store.projection_state import ProjectionState, ProjectionStates

BATCH_SIZE = 5000
"""As a catching-up projector's batches (projections.runner): fewer, larger transactions."""
SETTLE_SECONDS = 3.0
"""How long readers may still use a replaced collection (they refresh names every second) before it
goes (`projections.retirement`)."""

Progress = Callable[[str, int, int], None]
"""Called with a read model's name, the position it was built up to, and the head of the log."""


@dataclass(frozen=True, slots=True)
class Swapped:
    state: ProjectionState
    """The state swapped in."""
    retired: tuple[str, ...]
    """The collections it replaced, to drop once readers have moved off them (`retirement`)."""


async def rebuild(
    projection: Projection,
    events: EventStore,
    documents: DocumentStore,
    states: ProjectionStates,
    on_progress: Callable[[int, int], None] = lambda position, head: None,
    batch_size: int = BATCH_SIZE,
    settle_seconds: float = SETTLE_SECONDS,
) -> ProjectionState:
    """Rebuild one read model and swap it in, then retire what it replaced (dropped at once when
    `settle_seconds` is 0, else later: `projections.retirement`); the state swapped in. Raises
    ProjectionFailed when an event cannot be applied."""
    [result] = await rebuild_together(
        [projection],
        events,
        documents,
        states,
        lambda _, position, head: on_progress(position, head),
        batch_size,
    )
    if isinstance(result, ProjectionFailed):
        raise result
    await retire(documents, result.retired)
    await drop_settled(documents, settle_seconds)
    return result.state


@dataclass(slots=True)
class _Build:
    projection: Projection
    current: ProjectionState | None
    target: Collection
    history: Collection | None
    position: int = 0
    stopped: UnreadableEvent | None = None
    failure: ProjectionFailed | None = None

    @property
    def skipped(self) -> tuple[int, ...]:
        """Positions skipped on purpose before the rebuild: they stay skipped."""
        return self.current.skipped if self.current else ()

    @property
    def collections(self) -> tuple[Collection, ...]:
        return (self.target,) if self.history is None else (self.target, self.history)


async def rebuild_together(
    projections: Sequence[Projection],
    events: EventStore,
    documents: DocumentStore,
    states: ProjectionStates,
    on_progress: Progress = lambda name, position, head: None,
    batch_size: int = BATCH_SIZE,
) -> list[Swapped | ProjectionFailed]:
    """Build each read model from the events into a fresh collection and swap it in; what each was
    swapped in as, or why it could not be built (its fresh collection is dropped then), in order.
    They are built side by side from one read of the log: each page is read and decoded once.

    Positions skipped on purpose stay skipped. At an event this release cannot read (and nobody
    skipped), what was built up to it is swapped in all the same, stopped there (`stopped_at` and
    `error` set), rather than thrown away with an error: it is what the running projection would have
    too, it answers queries up to that event, and the one repair, a skip of that position, then lets
    the projector go on from there as it would live. The state swapped in says where it stopped."""
    builds = [await _prepare(projection, documents, states) for projection in projections]
    await _build(builds, events, documents, on_progress, batch_size)
    results: list[Swapped | ProjectionFailed] = []
    for build in builds:
        if build.failure is not None:
            for collection in build.collections:
                await documents.drop(collection.name)
            results.append(build.failure)
        else:
            results.append(await _swap(build, documents, states))
    return results


async def _prepare(projection: Projection, documents: DocumentStore, states: ProjectionStates) -> _Build:
    current = await states.load(projection.name)
    generation = (current.generation if current else 0) + 1
    target = replace(projection.collection, name=f"{projection.collection.name}_v{generation}")
    history = history_collection(projection, target.name) if projection.history is not None else None
    build = _Build(projection, current, target, history)
    for collection in build.collections:
        await documents.drop(collection.name)
    # Built without the indexes only readers use (a history's, the words), which are then made in
    # one pass over the finished collection rather than kept up through every write.
    await documents.ensure(replace(target, words=()))
    if history is not None:
        await documents.ensure(replace(history, indexes=(), words=()))
    return build


async def _build(
    builds: Sequence[_Build],
    events: EventStore,
    documents: DocumentStore,
    on_progress: Progress,
    batch_size: int,
) -> None:
    """Apply the whole log to every build's target, until it ends or each build stopped or failed."""
    position = 0
    building = list(builds)
    # The next page is read while this one is applied (SQLite reads it on a thread of its own), and
    # written while the next is applied.
    reading = asyncio.create_task(events.read_all(position, limit=batch_size))
    behind = WriteBehind(documents, {build.target.name for build in builds})
    try:
        while building and (batch := await reading):
            position = batch[-1].position
            reading = asyncio.create_task(events.read_all(position, limit=batch_size))
            applied = await asyncio.gather(
                *(apply_batch(b.projection, behind, b.target.name, batch, b.skipped) for b in building)
            )
            head = max(position, await events.head())
            for build, result in zip(building, applied, strict=True):
                if isinstance(result.failure, UnreadableEvent):
                    build.position = result.position or build.position
                    build.stopped = result.failure
                elif result.failure is not None:
                    build.failure = result.failure
                else:
                    build.position = position
                    on_progress(build.projection.name, position, head)
            building = [build for build in building if build.stopped is None and build.failure is None]
        await behind.flush()
    finally:
        reading.cancel()
        await asyncio.gather(reading, return_exceptions=True)
        await behind.close()


async def _swap(build: _Build, documents: DocumentStore, states: ProjectionStates) -> Swapped:
    for collection in build.collections:
        await documents.ensure(collection)
    current, stopped = build.current, build.stopped
    generation = (current.generation if current else 0) + 1
    while True:
        swapped = ProjectionState(
            name=build.projection.name,
            collection=build.target.name,
            generation=generation,
            checkpoint=Checkpoint(build.position),
            updated_at=datetime.now(UTC),
            feed=current.feed if current else None,
            error=str(stopped) if stopped else None,
            stopped_at=stopped.event.position if stopped else None,
            skipped=current.skipped if current else (),
        )
        if await states.save(swapped, expected_generation=current.generation if current else None):
            break
        # A projector created it, another rebuild swapped it, or a skip was recorded meanwhile: swap
        # over what is there now (keeping its skips).
        current = await states.load(build.projection.name)
        generation = (current.generation if current else 0) + 1
    retired: tuple[str, ...] = ()
    if current is not None and current.collection != build.target.name:
        retired = (current.collection, history_collection(build.projection, current.collection).name)
    return Swapped(swapped, retired)
