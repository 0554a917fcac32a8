"""The projector: every read model's runner, in the one process that holds the projector lease.

Two projector processes never both apply: each must hold a lease that expires unless renewed. A
standby keeps trying and takes over once the leader's lease has expired. Even in the moment where a
leader that lost its lease has not noticed yet, a document never moves backwards: stores refuse to
replace a document with one of a lower `_position`.
"""

import asyncio
import logging
import time
from collections.abc import Sequence

from projections.progress import Progress
from projections.projection import Projection
from projections.runner import ProjectionRunner
from store.documents import DocumentStore
from store.feeds import Feed
from store.projection_state import Leases, ProjectionStates

logger = logging.getLogger("eventfold.projector")

LEASE = "projector"


class Projector:
    def __init__(
        self,
        projections: Sequence[Projection],
        documents: DocumentStore,
        states: ProjectionStates,
        leases: Leases,
        feed: Feed,
        progress: Progress,
        owner: str,
        lease_seconds: float = 10.0,
    ) -> None:
        self._runners = [ProjectionRunner(p, documents, states, feed, progress) for p in projections]
        self._leases = leases
        self._owner = owner
        self._lease_seconds = lease_seconds

    async def run(self) -> None:
        """Lead while holding the lease, stand by otherwise; until cancelled."""
        try:
            while True:
                if await self._try_acquire():
                    logger.info("projector %s is leading", self._owner)
                    await self._lead()
                    logger.warning("projector %s lost its lease; standing by", self._owner)
                await asyncio.sleep(self._lease_seconds / 3)
        finally:
            await asyncio.shield(self._release())

    async def _lead(self) -> None:
        tasks = [asyncio.create_task(runner.run_until_stopped()) for runner in self._runners]
        renewed_at = time.monotonic()
        try:
            while time.monotonic() - renewed_at < self._lease_seconds:
                await asyncio.sleep(self._lease_seconds / 3)
                try:
                    held = await self._leases.acquire(LEASE, self._owner, self._lease_seconds)
                except Exception:  # keep leading while the lease we hold lasts
                    logger.warning("could not reach the database to renew the projector lease", exc_info=True)
                    continue
                if not held:
                    return
                renewed_at = time.monotonic()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _try_acquire(self) -> bool:
        try:
            return await self._leases.acquire(LEASE, self._owner, self._lease_seconds)
        except Exception:  # the database being away is a "no" until it returns
            logger.warning("could not reach the database to renew the projector lease", exc_info=True)
            return False

    async def _release(self) -> None:
        try:
            await self._leases.release(LEASE, self._owner)
        except Exception:  # the lease expires by itself anyway
            logger.warning("could not release the projector lease", exc_info=True)
