"""The projector: the runners of the read models this process holds a lease for.

Every read model has a lease of its own, so several projector processes share the read models: each
announces itself with a membership lease, and the read models are dealt out to the projectors alive
by their cost (`deal`): each takes those dealt to it once nobody holds them, and hands back what is
dealt to another when one joins. Leases expire unless renewed: when a projector dies, its membership
lease expires with its read models' leases, and they are dealt to the others. Even in the moment
where a projector that lost a lease has not noticed yet, a document never moves backwards: stores
refuse to replace a document with one of a lower `_position`. On its rounds a projector also drops
the collections that rebuilds replaced, once they settled (`projections.retirement`).
"""

import asyncio
import contextlib
import logging
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
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.projector")

MEMBER = "projector:"
"""The prefix of the membership leases: one per projector process alive."""
READ_MODEL = "read_model:"
MEMBERSHIP_POLL_SECONDS = 0.5
"""How often a projector looks, between renewals of its leases, whether projectors joined or left:
one that joins gets its share within this, not up to a third of the lease time later (projectors
started together used to catch up one after the other for those seconds)."""


def lease_name(projection: str) -> str:
    return READ_MODEL + projection


def owners(holders: Mapping[str, str]) -> dict[str, str]:
    """Which projector holds each read model, by read model name, from the leases held now."""
    return {
        name.removeprefix(READ_MODEL): owner for name, owner in holders.items() if name.startswith(READ_MODEL)
    }


def deal[M](costs: Mapping[str, int], members: Sequence[M]) -> dict[str, M]:
    """Which of `members` runs each read model: the costliest first, each to the member with the least
    cost so far (the first of them on a tie). Projectors deal the same from the same leases (members
    in the same order), so each knows which to take and which to hand back; a rebuild deals its read
    models out to its processes alike."""
    loads = dict.fromkeys(members, 0)
    dealt: dict[str, M] = {}
    for name in sorted(costs, key=lambda name: (-costs[name], name)):
        member = min(loads, key=lambda member: loads[member])
        dealt[name] = member
        loads[member] += costs[name]
    return dealt


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
        self._costs = {projection.name: projection.cost for projection in projections}
        self._documents = documents
        self._settle_seconds = settle_seconds
        self._leases = leases
        self._owner = owner
        self._lease_seconds = lease_seconds
        self._running: dict[str, asyncio.Task[None]] = {}
        self._renewed_at: dict[str, float] = {}
        self._alive: tuple[str, ...] = ()
        """The projectors alive at the last balance."""

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
                await self._until_renewal()
        finally:
            await asyncio.shield(self._stop_all())

    async def _until_renewal(self) -> None:
        """Until the leases are due for renewal, or sooner when the projectors alive changed or a read
        model dealt to this one was handed back."""
        due = time.monotonic() + self._lease_seconds / 3
        while (left := due - time.monotonic()) > 0:
            await asyncio.sleep(min(left, MEMBERSHIP_POLL_SECONDS))
            try:
                holders = await self._leases.holders()
            except StoreUnavailable:  # the renewal says so
                return
            if self._members(holders) != self._alive or self._waiting_for() - owners(holders).keys():
                return

    def _members(self, holders: Mapping[str, str]) -> tuple[str, ...]:
        """The projectors alive, this one among them."""
        others = (name.removeprefix(MEMBER) for name in holders if name.startswith(MEMBER))
        return tuple(sorted({self._owner, *others}))

    def _dealt_here(self) -> set[str]:
        """The read models dealt to this projector among those alive at the last balance."""
        return {name for name, owner in deal(self._costs, self._alive).items() if owner == self._owner}

    def _waiting_for(self) -> set[str]:
        """The read models dealt to this projector that it does not run yet."""
        return self._dealt_here() - self._running.keys()

    async def _balance(self) -> None:
        await self._leases.acquire(MEMBER + self._owner, self._owner, self._lease_seconds)
        for name in list(self._running):
            if await self._leases.acquire(lease_name(name), self._owner, self._lease_seconds):
                self._renewed_at[name] = time.monotonic()
            else:
                logger.warning("projector %s lost the lease of %s", self._owner, name)
                await self._stop(name)
        holders = await self._leases.holders()
        self._alive = self._members(holders)
        for name in sorted(self._running.keys() - self._dealt_here()):
            # Another projector joined: hand this one over (it takes it once it is free).
            await self._stop(name)
            await self._leases.release(lease_name(name), self._owner)
        taken = owners(holders)
        for name in sorted(self._waiting_for() - taken.keys()):
            if await self._leases.acquire(lease_name(name), self._owner, self._lease_seconds):
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
