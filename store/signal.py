"""An in-process "something was appended" signal, so a tail feed wakes at once instead of polling."""

import asyncio
import contextlib


class AppendSignal:
    def __init__(self) -> None:
        self.count = 0
        # Made by the first wait after a notify, so that an append nobody waits for builds no Event.
        self._changed: asyncio.Event | None = None

    def notify(self) -> None:
        self.count += 1
        # Wake everyone waiting now; the next wait arms a new one.
        changed, self._changed = self._changed, None
        if changed is not None:
            changed.set()

    async def wait_past(self, seen: int, seconds: float) -> None:
        """Return once an append after `seen` (a value of `count`) happened, or after `seconds`."""
        if self.count > seen:
            return
        if self._changed is None:
            self._changed = asyncio.Event()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)
