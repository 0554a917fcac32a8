"""How far each projection has got, and waiting for a position ("read your writes")."""

import asyncio
import time
from collections.abc import Iterable

from store.projection_state import ProjectionStates

POLL_SECONDS = 0.05


class Progress:
    """Positions reached by projections. With a projector in this process, it reports each batch here
    and waiters wake at once; without one (`serve --no-projector`), waiters poll the stored states."""

    def __init__(self, names: Iterable[str], states: ProjectionStates, local: bool) -> None:
        self._names = tuple(names)
        self._states = states
        self._local = local
        self._positions: dict[str, int] = {}
        self._failed: set[str] = set()
        self._changed = asyncio.Condition()

    async def advance(self, name: str, position: int) -> None:
        async with self._changed:
            self._positions[name] = position
            self._failed.discard(name)
            self._changed.notify_all()

    async def fail(self, name: str) -> None:
        """A stopped projection is not waited for: it will not move until someone repairs it."""
        async with self._changed:
            self._failed.add(name)
            self._changed.notify_all()

    def _reached(self, position: int) -> bool:
        return all(
            self._positions.get(name, 0) >= position for name in self._names if name not in self._failed
        )

    async def wait_for(self, position: int, seconds: float) -> bool:
        """True once every running projection has applied `position`; False after `seconds`."""
        deadline = time.monotonic() + seconds
        if not self._local:
            while True:
                for state in await self._states.load_all():
                    self._positions[state.name] = state.checkpoint.position
                    if state.error:
                        self._failed.add(state.name)
                if self._reached(position):
                    return True
                if time.monotonic() >= deadline:
                    return False
                await asyncio.sleep(POLL_SECONDS)
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: self._reached(position)), seconds)
            except TimeoutError:
                return False
        return True
