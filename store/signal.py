"""An in-process "something was appended" signal, so a tail feed wakes at once instead of polling."""

import asyncio
import contextlib


class AppendSignal:
    def __init__(self) -> None:
        self.count = 0
        self._changed = asyncio.Event()

    def notify(self) -> None:
        self.count += 1
        # Wake everyone waiting now, then re-arm for the next wait.
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_past(self, seen: int, seconds: float) -> None:
        """Return once an append after `seen` (a value of `count`) happened, or after `seconds`."""
        if self.count > seen:
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), seconds)
