"""Ports for running projections: where each one stands (checkpoints) and who may run them (leases)."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from store.feeds import Checkpoint


@dataclass(frozen=True, slots=True)
class ProjectionState:
    name: str
    collection: str
    """The physical collection the read model lives in now (a rebuild fills a new one, then swaps)."""
    generation: int
    """Bumped by every swap and every skip; a checkpoint of an older generation is refused."""
    checkpoint: Checkpoint
    updated_at: datetime | None = None
    feed: str | None = None
    error: str | None = None
    """Why the projection stopped, if it did; cleared when it applies events again."""
    stopped_at: int | None = None
    """The position of an event this release cannot read, which the projection stopped just before
    (its checkpoint is before it); None while it runs. It waits there until that position is skipped."""
    skipped: tuple[int, ...] = ()
    """Positions skipped on purpose, in order: passed over by the runner and by rebuilds."""
    events_per_second: float | None = None
    """How fast it applied events over the last seconds, when it last saved; None before it knows."""


class ProjectionStates(Protocol):
    async def load(self, name: str) -> ProjectionState | None: ...

    async def load_all(self) -> Sequence[ProjectionState]: ...

    async def save(self, state: ProjectionState, expected_generation: int | None) -> bool:
        """Store `state` only if the stored generation is `expected_generation` (None: nothing stored
        yet). False means someone else (a rebuild) moved the projection on; reload and follow."""
        ...


class Leases(Protocol):
    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        """Take the lease, or renew it if `owner` holds it; False while another owner's is unexpired."""
        ...

    async def release(self, name: str, owner: str) -> None: ...

    async def holders(self) -> Mapping[str, str]:
        """The owner of every lease that has not expired, by lease name."""
        ...
