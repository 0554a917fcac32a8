"""Drive one read model from a feed: apply each batch, then checkpoint; follow rebuild swaps."""

import asyncio
import contextlib
import logging
from dataclasses import replace
from datetime import UTC, datetime

from projections.apply import ProjectionFailed, UnreadableEvent, apply_batch
from projections.progress import Progress
from projections.projection import Projection, history_collection
from projections.rate import Rate
from store.backoff import FIRST_RETRY_SECONDS, Backoff
from store.documents import DocumentStore
from store.feeds import Checkpoint
from store.projection_state import ProjectionState, ProjectionStates
from store.shared_feed import SharedFeed
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.projections")

BATCH_SIZE = 500
CATCH_UP_FACTOR = 10
"""While catching up, batches ten times larger: fewer transactions, and a document that many events of
a batch change (a day of the sales report) is written once. Live, a batch holds what arrived meanwhile."""
SKIP_POLL_SECONDS = 1.0
"""How often a projection stopped at an event it cannot read looks whether it was skipped."""


class ProjectionRunner:
    def __init__(
        self,
        projection: Projection,
        documents: DocumentStore,
        states: ProjectionStates,
        feed: SharedFeed,
        progress: Progress,
        batch_size: int = BATCH_SIZE,
        catch_up_batch_size: int | None = None,
    ) -> None:
        """`catch_up_batch_size`: by default `CATCH_UP_FACTOR` times `batch_size`."""
        self._projection = projection
        self._documents = documents
        self._states = states
        self._feed = feed
        self._progress = progress
        self._batch_size = batch_size
        self._catch_up_batch_size = catch_up_batch_size or batch_size * CATCH_UP_FACTOR
        self._rate = Rate()
        # Looked up here rather than left to Backoff's default, so the first delay can be set per module.
        self._backoff = Backoff(FIRST_RETRY_SECONDS)

    async def run_until_stopped(self) -> None:
        """Run forever. Failures of the database are retried with backoff; an event the read model
        cannot apply stops it for good (it is logged and shown by the `projections` query); an event
        this release cannot read stops it until that position is skipped, then it goes on."""
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
            if not await self._follow(state):
                return

    async def _follow(self, state: ProjectionState) -> bool:
        """Apply the feed's batches from `state`. True: start again from the stored state (a rebuild
        swapped it, or the event it stopped at was skipped); False: stopped for good."""
        # Where it starts from is the first sample: a catch-up in one batch has a rate too.
        self._rate.observe(state.checkpoint.position)
        batches = self._feed.batches(state.checkpoint, self._batch_size, self._catch_up_batch_size)
        async with contextlib.aclosing(batches):
            async for batch in batches:
                applied = await apply_batch(
                    self._projection, self._documents, state.collection, batch.events, state.skipped
                )
                if applied.failure is not None:
                    return await self._stop(state, applied.position, applied.failure)
                moved_on = replace(
                    state,
                    checkpoint=batch.checkpoint,
                    updated_at=datetime.now(UTC),
                    error=None,
                    stopped_at=None,
                    events_per_second=self._rate.observe(batch.checkpoint.position),
                )
                if not await self._states.save(moved_on, expected_generation=state.generation):
                    logger.info("projection %s was rebuilt elsewhere; following it", state.name)
                    return True
                state = moved_on
                self._backoff.succeeded()
                await self._progress.advance(state.name, state.checkpoint.position)
        return False

    async def _stop(self, state: ProjectionState, applied: int | None, failure: ProjectionFailed) -> bool:
        """Record where and why the projection stopped, just before the event that failed. One that
        cannot be read is waited at (logged once, no retrying) until its position is skipped."""
        unreadable = isinstance(failure, UnreadableEvent)
        stopped = replace(
            state,
            checkpoint=state.checkpoint if applied is None else Checkpoint(applied),
            updated_at=datetime.now(UTC),
            error=str(failure),
            stopped_at=failure.event.position if unreadable else None,
            events_per_second=None,
        )
        if not await self._states.save(stopped, expected_generation=state.generation):
            logger.info("projection %s was rebuilt elsewhere; following it", state.name)
            return True
        logger.error("projection stopped: %s", failure)
        await self._progress.fail(state.name)
        if not unreadable:
            return False
        await self._until_skipped(stopped)
        logger.info("projection %s goes on after position %d", state.name, failure.event.position)
        return True

    async def _until_skipped(self, stopped: ProjectionState) -> None:
        """Until the position it stopped at is skipped (by the CLI in another process, or the mutation
        in this one, which wakes it at once), or a rebuild swapped the state."""
        while True:
            skip = self._progress.skip_signal(stopped.name)
            with contextlib.suppress(StoreUnavailable):
                current = await self._states.load(stopped.name)
                if (
                    current is None
                    or current.generation != stopped.generation
                    or stopped.stopped_at in current.skipped
                ):
                    return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(skip.wait(), SKIP_POLL_SECONDS)

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
