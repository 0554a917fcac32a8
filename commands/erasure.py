"""Erasing a customer (GDPR): record `CustomerErased`, then delete its data key, then have the store
scrub what it overwrote. The events stay as they were recorded; without the key their personal fields
read as erased everywhere, and the read models drop them when they apply the erasure.

The key is deleted after the event is recorded, so that a key is never gone while the log says nothing
of it. Should the process stop in between, `reapply` (run at every start of the server, and by
`eventfold erasures apply`) deletes the keys of every erasure the log records.
"""

from collections.abc import Mapping
from typing import Any
from uuid import UUID

from commands.handler import CommandHandler, Outcome
from domain.commands import EraseCustomer
from domain.events import CustomerErased
from store.documents import DocumentStore
from store.events import EventStore
from store.sealing import Sealer
from store.shared_feed import SharedFeed

PAGE = 1_000


class Erasure:
    def __init__(
        self,
        handler: CommandHandler,
        events: EventStore,
        sealer: Sealer,
        documents: DocumentStore,
        feed: SharedFeed,
    ) -> None:
        self._handler = handler
        self._feed = feed
        self._events = events
        self._sealer = sealer
        self._documents = documents

    async def erase(self, customer_id: UUID, metadata: Mapping[str, str]) -> Outcome[Any]:
        """INVALID_STATE if it is erased already, NOT_FOUND if there is no such customer."""
        outcome = await self._handler.handle(EraseCustomer(customer_id=customer_id), metadata)
        await self._sealer.erase(customer_id)
        self._feed.forget()
        await self._documents.scrub()
        return outcome

    async def recorded(self) -> list[UUID]:
        """Every customer whose erasure the log records, in the order they were erased."""
        erased: list[UUID] = []
        position = 0
        while page := await self._events.read_all(position, PAGE, types=[CustomerErased.type_name]):
            erased += [recorded.stream_id for recorded in page]
            position = page[-1].position
        return erased

    async def reapply(self) -> list[UUID]:
        """Delete the key of every customer the log records as erased; those that still had one (a
        restored backup's, or one whose erasure stopped half-way)."""
        deleted = [customer for customer in await self.recorded() if await self._sealer.erase(customer)]
        if deleted:
            await self._documents.scrub()
        return deleted
