"""Which physical collection each read model lives in now (a rebuild moves it), cached for readers."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Sequence

from projections.projection import Projection
from store.projection_state import ProjectionStates

logger = logging.getLogger("eventfold.projections")

REFRESH_SECONDS = 1.0


class CollectionNames:
    def __init__(self, projections: Sequence[Projection], states: ProjectionStates) -> None:
        self._states = states
        self._names = {projection.name: projection.collection.name for projection in projections}

    def __getitem__(self, projection: str) -> str:
        return self._names[projection]

    async def refresh(self) -> None:
        for state in await self._states.load_all():
            if state.name in self._names:
                self._names[state.name] = state.collection

    @contextlib.asynccontextmanager
    async def kept_fresh(self) -> AsyncIterator[None]:
        """Refresh now, then every second in the background, so that a query costs no extra read."""
        await self.refresh()

        async def keep_refreshing() -> None:
            while True:
                await asyncio.sleep(REFRESH_SECONDS)
                try:
                    await self.refresh()
                except Exception:  # stale names for a moment beat a dead refresher
                    logger.warning("could not refresh read model collection names", exc_info=True)

        task = asyncio.create_task(keep_refreshing())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
