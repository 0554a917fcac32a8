"""How fast a read model applies events lately: what `projections` shows as events/s and time left."""

import time
from collections import deque
from collections.abc import Callable

WINDOW_SECONDS = 5.0
"""Long enough to smooth over batches, short enough to follow a catch-up that speeds up or slows."""


class Rate:
    def __init__(self, clock: Callable[[], float] = time.monotonic, window: float = WINDOW_SECONDS) -> None:
        self._clock = clock
        self._window = window
        self._samples: deque[tuple[float, int]] = deque()

    def observe(self, position: int) -> float | None:
        """Events per second over the window ending with this position reached now; None until the
        window holds two samples apart in time."""
        now = self._clock()
        self._samples.append((now, position))
        # Keep one sample at or before the window's start, so the rate spans the whole window.
        while len(self._samples) > 2 and self._samples[1][0] <= now - self._window:
            self._samples.popleft()
        (first_at, first), (last_at, last) = self._samples[0], self._samples[-1]
        if last_at <= first_at:
            return None
        return (last - first) / (last_at - first_at)
