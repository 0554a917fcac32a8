"""One feed per process, shared by every reader of the log in it: each read model's runner and the
subscriptions. The upstream feed (a change stream, or a tail of the log) is followed once, and each
event is decoded once, however many readers there are.

A reader joins at any checkpoint. It catches up from the event store up to where the upstream stood
when it joined, then takes what the upstream delivers from then on, from a bounded buffer of its own.
A reader that falls a whole buffer behind (a rebuild's catch-up, a slow read model) drops its buffer
and catches up from the store again, so one slow reader neither holds the others up nor grows memory.
"""

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import AsyncGenerator

from store.backoff import Backoff
from store.events import EventStore, RecordedEvent
from store.feeds import Batch, Checkpoint, Feed

logger = logging.getLogger("eventfold.feed")

BUFFER_EVENTS = 10_000
UPSTREAM_BATCH = 1_000
ERASURE = "CustomerErased"
RECENT_EVENTS = 20_000
"""Events read from the store lately: readers catching up side by side (every read model after a
restart) take each page from here rather than each reading the store for it."""


class _Reader:
    def __init__(self, live_after: int, size: int) -> None:
        self.live_after = live_after
        """The buffer holds the events after this position; those up to it are read from the store."""
        self.buffer: deque[RecordedEvent] = deque()
        self.size = size
        self.arrived = asyncio.Event()

    def offer(self, event: RecordedEvent) -> None:
        if len(self.buffer) >= self.size:
            # Behind by a whole buffer: what it holds, and this event, are in the store too.
            self.buffer.clear()
            self.live_after = event.position
        else:
            self.buffer.append(event)
        self.arrived.set()


class SharedFeed:
    def __init__(self, upstream: Feed, events: EventStore, buffer_events: int = BUFFER_EVENTS) -> None:
        self.kind = upstream.kind
        self.upstream = upstream
        self._events = events
        self._buffer_events = buffer_events
        self._readers: set[_Reader] = set()
        self._position = 0
        """The position of the last event the upstream delivered."""
        self._recent: OrderedDict[int, RecordedEvent] = OrderedDict()
        self._reading = asyncio.Lock()
        """One store read at a time: readers that start side by side wait for the first one's page
        instead of each reading it."""
        self._following: asyncio.Task[None] | None = None
        self._starting = asyncio.Lock()

    def forget(self) -> None:
        """Drop the events read lately: after an erasure, those decoded before its key was deleted hold
        the customer's personal fields, which a reader catching up must not be given."""
        self._recent.clear()

    async def batches(
        self, after: Checkpoint, max_events: int, catch_up_events: int | None = None
    ) -> AsyncGenerator[Batch]:
        """Batches of at most `max_events`, or of `catch_up_events` while catching up from the store."""
        reader = await self._join()
        position = after.position
        page_size = catch_up_events or max_events
        try:
            while True:
                if position < reader.live_after:
                    page = await self._read(position, min(page_size, reader.live_after - position))
                    if page:
                        position = page[-1].position
                        yield Batch(page, Checkpoint(position))
                        continue
                    # The store has nothing up to where the buffer starts: it starts there.
                    position = reader.live_after
                taken = self._take(reader, position, max_events)
                if taken:
                    position = taken[-1].position
                    yield Batch(taken, Checkpoint(position))
                elif position >= reader.live_after:
                    reader.arrived.clear()
                    await reader.arrived.wait()
        finally:
            await self._leave(reader)

    async def _read(self, position: int, limit: int) -> list[RecordedEvent]:
        """Up to `limit` events after `position`: those read lately, then the rest from the store."""
        page = self._recalled(position, limit)
        if len(page) == limit:
            return page
        async with self._reading:
            page = self._recalled(position, limit)
            if len(page) == limit:
                return page
            read = await self._events.read_all(page[-1].position if page else position, limit - len(page))
            for event in read:
                self._recent[event.position] = event
            # Positions come in about in order, so the first in is about the oldest.
            while len(self._recent) > RECENT_EVENTS:
                self._recent.popitem(last=False)
        return page + read

    def _recalled(self, position: int, limit: int) -> list[RecordedEvent]:
        page: list[RecordedEvent] = []
        while len(page) < limit and (event := self._recent.get(position + len(page) + 1)) is not None:
            page.append(event)
        return page

    @staticmethod
    def _take(reader: _Reader, position: int, max_events: int) -> list[RecordedEvent]:
        taken: list[RecordedEvent] = []
        while reader.buffer and len(taken) < max_events:
            event = reader.buffer.popleft()
            if event.position > position:
                taken.append(event)
        return taken

    async def _join(self) -> _Reader:
        async with self._starting:
            if self._following is None:
                # Where the log ends now: a reader catches up from the store to here, then follows.
                self._position = await self._events.head()
                self._following = asyncio.create_task(self._follow())
            reader = _Reader(self._position, self._buffer_events)
            self._readers.add(reader)
            return reader

    async def _leave(self, reader: _Reader) -> None:
        self._readers.discard(reader)
        async with self._starting:
            if not self._readers and self._following is not None:
                # Nobody reads: the upstream is not followed (no reads at all until someone joins).
                self._following.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._following
                self._following = None

    async def _follow(self) -> None:
        backoff = Backoff()
        while True:
            try:
                batches = self.upstream.batches(Checkpoint(self._position), UPSTREAM_BATCH)
                async with contextlib.aclosing(batches):
                    async for batch in batches:
                        for event in batch.events:
                            for reader in list(self._readers):
                                reader.offer(event)
                            self._position = event.position
                            if event.type == ERASURE:
                                self.forget()
                        backoff.succeeded()
            except Exception as error:  # noqa: BLE001 - the backoff logs it with its traceback
                await backoff.wait_after(error, logger, "the shared feed")
