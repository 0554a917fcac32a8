"""The bounded buffer every live reader has, and the one rule for a reader that does not keep up.

A producer hands items to many readers and must never wait for any of them, so each reader has a
buffer of `BUFFER` items. A reader that falls further behind is closed with `FellBehind` (or its
`SubscriberTooSlow`, which names the position), telling the client how to resume without a gap; the
others go on.
"""

import asyncio
from collections import deque
from collections.abc import AsyncIterator

BUFFER = 1000


class FellBehind(Exception):
    """The reader fell more than `BUFFER` items behind and is closed, told how to resume without a gap."""

    def __init__(self, resume: str = "afterPosition set to the last position received") -> None:
        super().__init__(
            f"this subscription fell more than {BUFFER} events behind and was closed; "
            f"subscribe again with {resume} to resume"
        )


class SubscriberTooSlow(FellBehind):
    """Fell behind, where the reader knows the position it got to."""

    def __init__(self, last_position: int) -> None:
        super().__init__(f"afterPosition: {last_position}")
        self.last_position = last_position


class BoundedBuffer[T]:
    def __init__(self) -> None:
        self._items: deque[T] = deque()
        self._arrived = asyncio.Event()
        self._overflowed = False
        self._ended = False

    def offer(self, item: T) -> None:
        """Never blocks: past `BUFFER` items, the item is dropped and the reader is told once it
        catches up."""
        if len(self._items) >= BUFFER:
            self._overflowed = True
        else:
            self._items.append(item)
        self._arrived.set()

    def end(self) -> None:
        self._ended = True
        self._arrived.set()

    async def items(self) -> AsyncIterator[T]:
        """Everything offered, in order; then returns once ended, or raises FellBehind."""
        while True:
            while self._items:
                yield self._items.popleft()
            if self._overflowed:
                raise FellBehind
            if self._ended:
                return
            self._arrived.clear()
            await self._arrived.wait()
