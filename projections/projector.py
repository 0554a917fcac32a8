"""The projector: the runners of the read models this process holds a lease for.

Every read model has a lease of its own, so several projector processes share the read models: each
announces itself with a membership lease, takes its share (the read models divided by the projectors
alive, rounded up) of those nobody holds, and hands back what it holds beyond its share when another
joins. Leases expire unless renewed: when a projector dies, the others take its read models over once
its leases run out. Even in the moment where a projector that lost a lease has not noticed yet, a
document never moves backwards: stores refuse to replace a document with one of a lower `_position`.
On its rounds a projector also drops the collections that rebuilds replaced, once they settled
(`projections.retirement`).
"""

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Mapping, Sequence

from projections.progress import Progress
from projections.projection import Projection
from projections.rebuild import SETTLE_SECONDS
from projections.retirement import drop_settled
from projections.runner import ProjectionRunner
from store.documents import DocumentStore
from store.projection_state import Leases, ProjectionStates
from store.shared_feed import SharedFeed

logger = logging.getLogger("eventfold.projector")

MEMBER = "projector:"
"""The prefix of the membership leases: one per projector process alive."""
READ_MODEL = "read_model:"


def lease_name(projection: str) -> str:
    return READ_MODEL + projection


def owners(holders: Mapping[str, str]) -> dict[str, str]:
    """Which projector holds each read model, by read model name, from the leases held now."""
    return {
        name.removeprefix(READ_MODEL): owner for name, owner in holders.items() if name.startswith(READ_MODEL)
    }


class Projector:
    def __init__(
        self,
        projections: Sequence[Projection],
        documents: DocumentStore,
        states: ProjectionStates,
        leases: Leases,
        feed: SharedFeed,
        progress: Progress,
        owner: str,
        lease_seconds: float = 10.0,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        """`settle_seconds`: how long a collection a rebuild replaced stays before this drops it."""
        self._runners = {p.name: ProjectionRunner(p, documents, states, feed, progress) for p in projections}
        self._documents = documents
        self._settle_seconds = settle_seconds
        self._leases = leases
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._running: dict[str, asyncio.Task[None]] = {}
        self._renewed_at: dict[str, float] = {}

    @property
    def holding(self) -> frozenset[str]:
        return frozenset(self._running)

    async def run(self) -> None:
        """Hold and run this process's share of the read models, until cancelled."""
        try:
            while True:
                try:
                    await self._balance()
                    await drop_settled(self._documents, self._settle_seconds)
                except Exception:  # the database being away: keep what we hold while its leases last
                    logger.warning("could not reach the database to renew projector leases", exc_info=True)
                    for name, renewed in list(self._renewed_at.items()):
                        if time.monotonic() - renewed >= self._lease_seconds:
                            await self._stop(name)
                await asyncio.sleep(self._lease_seconds / 3)
        finally:
            await asyncio.shield(self._stop_all())

    async def _balance(self) -> None:
        await self._leases.acquire(MEMBER + self._owner, self._owner, self._lease_seconds)
        for name in list(self._running):
            if await self._leases.acquire(lease_name(name), self._owner, self._lease_seconds):
                self._renewed_at[name] = time.monotonic()
            else:
                logger.warning("projector %s lost the lease of %s", self._owner, name)
                await self._stop(name)
        holders = await self._leases.holders()
        members = sum(1 for name in holders if name.startswith(MEMBER))
        share = math.ceil(len(self._runners) / max(members, 1))
        for name in sorted(self._running, reverse=True)[: max(len(self._running) - share, 0)]:
            # Another projector joined: hand this one over (it takes it once it is free).
            await self._stop(name)
            await self._leases.release(lease_name(name), self._owner)
        taken = owners(holders)
        for name in sorted(self._runners):
            if len(self._running) >= share:
                break
            if name not in taken and await self._leases.acquire(
                lease_name(name), self._owner, self._lease_seconds
            ):
                logger.info("projector %s runs %s", self._owner, name)
                self._renewed_at[name] = time.monotonic()
                self._running[name] = asyncio.create_task(self._runners[name].run_until_stopped())

    async def _stop(self, name: str) -> None:
        self._renewed_at.pop(name, None)
        task = self._running.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _stop_all(self) -> None:
        held = list(self._running)
        for name in held:
            await self._stop(name)
        try:
            for name in held:
                await self._leases.release(lease_name(name), self._owner)
            await self._leases.release(MEMBER + self._owner, self._owner)
        except Exception:  # the leases expire by themselves anyway
            logger.warning("could not release the projector leases", exc_info=True)
