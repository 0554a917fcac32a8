"""How far each projection has got, and waiting for a position ("read your writes")."""

import asyncio
import contextlib
import time
from collections.abc import Iterable

from store.projection_state import ProjectionStates
from store.unavailable import StoreUnavailable

POLL_SECONDS = 0.05


class Progress:
    """Positions reached by projections. A projector in this process reports each batch here and
    waiters wake at once; while it does not lead (another process does, or `serve --no-projector`),
    waiters also read the stored checkpoints every 50 ms."""

    def __init__(self, names: Iterable[str], states: ProjectionStates) -> None:
        self._names = tuple(names)
        self._states = states
        self._positions: dict[str, int] = {}
        self._failed: set[str] = set()
        self._changed = asyncio.Condition()
        self._skips: dict[str, asyncio.Event] = {}

    async def advance(self, name: str, position: int) -> None:
        async with self._changed:
            self._positions[name] = max(position, self._positions.get(name, 0))
            self._failed.discard(name)
            self._changed.notify_all()

    async def fail(self, name: str) -> None:
        """A stopped projection is not waited for: it will not move until someone repairs it (or skips
        the event it cannot read)."""
        async with self._changed:
            self._failed.add(name)
            self._changed.notify_all()

    def skip_signal(self, name: str) -> asyncio.Event:
        """Set when this process records a skip for `name` (`skip_recorded`), so that a runner waiting
        for one wakes at once; skips recorded elsewhere (the CLI) are only seen by reading the state."""
        return self._skips.setdefault(name, asyncio.Event())

    def skip_recorded(self, name: str) -> None:
        if (signal := self._skips.pop(name, None)) is not None:
            signal.set()

    def _reached(self, position: int) -> bool:
        return all(
            self._positions.get(name, 0) >= position for name in self._names if name not in self._failed
        )

    async def wait_for(self, position: int, seconds: float) -> bool:
        """True once every running projection has applied `position`; False after `seconds`."""
        deadline = time.monotonic() + seconds
        while not self._reached(position):
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            async with self._changed:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(lambda: self._reached(position)), min(left, POLL_SECONDS)
                    )
            if not self._reached(position):
                # With the database away, what this process's projector reported is all there is.
                with contextlib.suppress(StoreUnavailable, TimeoutError):
                    await asyncio.wait_for(self._read_stored(), max(left, POLL_SECONDS))
        return True

    async def _read_stored(self) -> None:
        for state in await self._states.load_all():
            if state.name in self._names:
                self._positions[state.name] = max(
                    state.checkpoint.position, self._positions.get(state.name, 0)
                )
                if state.error:
                    self._failed.add(state.name)
                else:
                    self._failed.discard(state.name)
