"""A bounded buffer between one producer that must never wait and one consumer that may fall behind."""

import asyncio
from collections import deque
from collections.abc import AsyncIterator


class Overflowed(Exception):
    """The consumer fell further behind than the buffer holds."""


class BoundedBuffer[T]:
    def __init__(self, size: int) -> None:
        self._size = size
        self._items: deque[T] = deque()
        self._arrived = asyncio.Event()
        self._overflowed = False
        self._ended = False

    def offer(self, item: T) -> None:
        """Never blocks: past the size, the item is dropped and the consumer is told once it catches up."""
        if len(self._items) >= self._size:
            self._overflowed = True
        else:
            self._items.append(item)
        self._arrived.set()

    def end(self) -> None:
        self._ended = True
        self._arrived.set()

    async def items(self) -> AsyncIterator[T]:
        """Everything offered, in order; then returns once ended, or raises Overflowed."""
        while True:
            while self._items:
                yield self._items.popleft()
            if self._overflowed:
                raise Overflowed
            if self._ended:
                return
            self._arrived.clear()
            await self._arrived.wait()
