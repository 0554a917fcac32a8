"""Drive one read model from a feed: apply each batch, then checkpoint; follow rebuild swaps."""

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, datetime

from projections.apply import apply_batch
from projections.progress import Progress
from projections.projection import Projection, history_collection
from store.backoff import FIRST_RETRY_SECONDS, Backoff
from store.documents import DocumentStore
from store.feeds import Checkpoint, Feed
from store.projection_state import ProjectionState, ProjectionStates

logger = logging.getLogger("eventfold.projections")

BATCH_SIZE = 500


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        documents: DocumentStore,
        states: ProjectionStates,
        feed: Feed,
        progress: Progress,
        batch_size: int = BATCH_SIZE,
    ) -> None:
        self._projection = projection
        self._documents = documents
        self._states = states
        self._feed = feed
        self._progress = progress
        self._batch_size = batch_size
        # Looked up here rather than left to Backoff's default, so the first delay can be set per module.
        self._backoff = Backoff(FIRST_RETRY_SECONDS)

    async def run_until_stopped(self) -> None:
        """Run forever. Failures of the database are retried with backoff; an event the read model
        cannot apply stops it for good (it is logged and shown by the `projections` query)."""
        while True:
            try:
                await self.run()
                return
            except asyncio.CancelledError:
                raise
            except Exception as error:  # noqa: BLE001 - the backoff logs it with its traceback
                await self._backoff.wait_after(error, logger, f"projection {self._projection.name}")

    async def run(self) -> None:
        """Apply batches until cancelled; return when an event cannot be applied."""
        while True:
            state = await self._current_state()
            await self._progress.advance(state.name, state.checkpoint.position)
            swapped = False
            batches = self._feed.batches(state.checkpoint, self._batch_size)
            async with contextlib.aclosing(batches):
                async for batch in batches:
                    applied = await apply_batch(
                        self._projection, self._documents, state.collection, batch.events
                    )
                    if applied.failure is not None:
                        logger.error("projection stopped: %s", applied.failure)
                        checkpoint = state.checkpoint
                        if applied.position is not None:
                            checkpoint = Checkpoint(applied.position)
                        failed = replace(
                            state,
                            checkpoint=checkpoint,
                            updated_at=datetime.now(UTC),
                            error=str(applied.failure),
                        )
                        await self._states.save(failed, expected_generation=state.generation)
                        await self._progress.fail(state.name)
                        return
                    moved_on = replace(
                        state, checkpoint=batch.checkpoint, updated_at=datetime.now(UTC), error=None
                    )
                    if not await self._states.save(moved_on, expected_generation=state.generation):
                        logger.info("projection %s was rebuilt elsewhere; following it", state.name)
                        swapped = True
                        break
                    state = moved_on
                    self._backoff.succeeded()
                    await self._progress.advance(state.name, state.checkpoint.position)
            if not swapped:
                return

    async def _current_state(self) -> ProjectionState:
        name = self._projection.name
        state = await self._states.load(name)
        if state is None:
            state = ProjectionState(
                name=name, collection=self._projection.collection.name, generation=1, checkpoint=Checkpoint()
            )
            if not await self._states.save(state, expected_generation=None):
                loaded = await self._states.load(name)
                assert loaded is not None
                state = loaded
        if state.feed != self._feed.kind:
            state = replace(state, feed=self._feed.kind)
            await self._states.save(state, expected_generation=state.generation)
        await self._documents.ensure(replace(self._projection.collection, name=state.collection))
        if self._projection.history is not None:
            await self._documents.ensure(history_collection(self._projection, state.collection))
        return state
