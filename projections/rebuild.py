"""Rebuild a read model from the events into a fresh collection, then swap it in.

The API keeps reading the old collection (and a running projector keeps it current) until the swap.
The swap is one compare-and-set of the projection's state; a projector that was applying to the old
collection sees its next checkpoint refused and follows the new one from the swap's position.
"""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from projections.apply import UnreadableEvent, apply_batch
from projections.projection import Projection, history_collection, history_name
from projections.retirement import drop_settled, retire
from store.documents import DocumentStore
from store.events import EventStore
from store.feeds import Checkpoint
from store.projection_state import ProjectionState, ProjectionStates

BATCH_SIZE = 5000
"""As a catching-up projector's batches (projections.runner): fewer, larger transactions."""
SETTLE_SECONDS = 3.0
"""How long readers may still use a replaced collection (they refresh names every second) before it
goes (`projections.retirement`)."""


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
    """Rebuild and swap in (`swap_in_rebuilt`), then retire what it replaced (dropped at once when
    `settle_seconds` is 0, else later: `projections.retirement`); the state swapped in."""
    swapped = await swap_in_rebuilt(projection, events, documents, states, on_progress, batch_size)
    await retire(documents, swapped.retired)
    await drop_settled(documents, settle_seconds)
    return swapped.state


async def swap_in_rebuilt(
    projection: Projection,
    events: EventStore,
    documents: DocumentStore,
    states: ProjectionStates,
    on_progress: Callable[[int, int], None] = lambda position, head: None,
    batch_size: int = BATCH_SIZE,
) -> Swapped:
    """Build the read model from the events into a fresh collection and swap it in.
    `on_progress(position, head)` is called after every batch.

    Positions skipped on purpose stay skipped. At an event this release cannot read (and nobody
    skipped), what was built up to it is swapped in all the same, stopped there (`stopped_at` and
    `error` set), rather than thrown away with an error: it is what the running projection would have
    too, it answers queries up to that event, and the one repair, a skip of that position, then lets
    the projector go on from there as it would live. The returned state says where it stopped."""
    current = await states.load(projection.name)
    generation = (current.generation if current else 0) + 1
    target = replace(projection.collection, name=f"{projection.collection.name}_v{generation}")
    history = history_collection(projection, target.name)
    collections = (target, history) if projection.history is not None else (target,)
    for collection in collections:
        await documents.drop(collection.name)
    # Built without the indexes only readers use (a history's, the text index), which are then made
    # in one pass over the finished collection rather than kept up through every write.
    await documents.ensure(replace(target, text_fields=()))
    if projection.history is not None:
        await documents.ensure(replace(history, indexes=()))
    built = await _build(projection, events, documents, target.name, current, on_progress, batch_size)
    for collection in collections:
        await documents.ensure(collection)
    while True:
        swapped = replace(
            built,
            generation=generation,
            feed=current.feed if current else None,
            skipped=current.skipped if current else (),
        )
        if await states.save(swapped, expected_generation=current.generation if current else None):
            break
        # A projector created it, another rebuild swapped it, or a skip was recorded meanwhile: swap
        # over what is there now (keeping its skips).
        current = await states.load(projection.name)
        generation = (current.generation if current else 0) + 1
    retired: tuple[str, ...] = ()
    if current is not None and current.collection != target.name:
        retired = (current.collection, history_collection(projection, current.collection).name)
    return Swapped(swapped, retired)


async def _build(
    projection: Projection,
    events: EventStore,
    documents: DocumentStore,
    target: str,
    current: ProjectionState | None,
    on_progress: Callable[[int, int], None],
    batch_size: int,
) -> ProjectionState:
    """Apply the whole log to `target`; the state it ends in (its generation is set by the swap)."""
    skipped = current.skipped if current else ()
    position = 0
    stopped: UnreadableEvent | None = None
    while batch := await events.read_all(position, limit=batch_size):
        applied = await apply_batch(projection, documents, target, batch, skipped)
        if isinstance(applied.failure, UnreadableEvent):
            position = applied.position or position
            stopped = applied.failure
            break
        if applied.failure is not None:
            await documents.drop(target)
            await documents.drop(history_name(target))
            raise applied.failure
        position = batch[-1].position
        on_progress(position, max(position, await events.head()))
    return ProjectionState(
        name=projection.name,
        collection=target,
        generation=0,
        checkpoint=Checkpoint(position),
        updated_at=datetime.now(UTC),
        error=str(stopped) if stopped else None,
        stopped_at=stopped.event.position if stopped else None,
        skipped=skipped,
    )
