"""How a loop that must outlive the database being away waits before its next attempt.

The projection runners and the live feed each follow the store forever; when a read fails they log
why and wait, longer after each failure in a row, and quickly again once a read has succeeded, so an
outage next week does not wait out this one's backoff.
"""

import asyncio
import logging

from store.unavailable import StoreUnavailable

FIRST_RETRY_SECONDS = 0.5
MAX_RETRY_SECONDS = 30.0


class Backoff:
    """Delays that double from `first` up to `most`, starting over after `succeeded`."""

    def __init__(self, first: float = FIRST_RETRY_SECONDS, most: float = MAX_RETRY_SECONDS) -> None:
        self._first = first
        self._most = most
        self._failures_in_a_row = 0

    def succeeded(self) -> None:
        self._failures_in_a_row = 0

    def next_delay(self) -> float:
        delay = min(self._first * 2.0**self._failures_in_a_row, self._most)
        self._failures_in_a_row += 1
        return delay

    async def wait_after(self, error: Exception, logger: logging.Logger, what: str) -> None:
        """Log the failure of `what` (the database being away as a warning, anything else with its
        traceback), then sleep the next delay."""
        delay = self.next_delay()
        if isinstance(error, StoreUnavailable):
            logger.warning("%s: database unreachable (%s); retrying in %.2f s", what, error, delay)
        else:
            logger.error("%s failed; retrying in %.2f s", what, delay, exc_info=error)
        await asyncio.sleep(delay)
