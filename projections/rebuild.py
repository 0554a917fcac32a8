"""Rebuild a read model from the events into a fresh collection, then swap it in.

The API keeps reading the old collection (and a running projector keeps it current) until the swap.
The swap is one compare-and-set of the projection's state; a projector that was applying to the old
collection sees its next checkpoint refused and follows the new one from the swap's position.
"""

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from projections.apply import apply_batch
from projections.projection import Projection, history_collection
from store.documents import DocumentStore
from store.events import EventStore
from store.feeds import Checkpoint
from store.projection_state import ProjectionState, ProjectionStates

BATCH_SIZE = 1000
SETTLE_SECONDS = 3.0
"""How long readers may still use the old collection (they refresh names every second) before it goes."""


async def rebuild(
    projection: Projection,
    events: EventStore,
    documents: DocumentStore,
    states: ProjectionStates,
    on_progress: Callable[[int, int], None] = lambda position, head: None,
    batch_size: int = BATCH_SIZE,
    settle_seconds: float = SETTLE_SECONDS,
) -> ProjectionState:
    """Returns the state swapped in. `on_progress(position, head)` is called after every batch."""
    current = await states.load(projection.name)
    generation = (current.generation if current else 0) + 1
    target = replace(projection.collection, name=f"{projection.collection.name}_v{generation}")
    history = history_collection(projection, target.name)
    for collection in (target, history) if projection.history is not None else (target,):
        await documents.drop(collection.name)
        await documents.ensure(collection)
    position = 0
    while True:
        batch = await events.read_all(position, limit=batch_size)
        if batch:
            applied = await apply_batch(projection, documents, target.name, batch)
            if applied.failure is not None:
                await documents.drop(target.name)
                await documents.drop(history.name)
                raise applied.failure
            position = batch[-1].position
            on_progress(position, max(position, await events.head()))
            continue
        swapped = ProjectionState(
            name=projection.name,
            collection=target.name,
            generation=generation,
            checkpoint=Checkpoint(position),
            updated_at=datetime.now(UTC),
            feed=current.feed if current else None,
        )
        if await states.save(swapped, expected_generation=current.generation if current else None):
            break
        # A projector created or another rebuild swapped the state meanwhile: swap over what is there now.
        current = await states.load(projection.name)
        generation = (current.generation if current else 0) + 1
    if current is not None and current.collection != target.name:
        await asyncio.sleep(settle_seconds)
        await documents.drop(current.collection)
        await documents.drop(history_collection(projection, current.collection).name)
    return swapped
