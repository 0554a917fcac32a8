"""A document store for one writer of fresh collections (a rebuild): it answers reads of what it wrote
from memory and lets writes go on in the background while the next batch is evolved.

A rebuild is the only writer of the collections it builds, so what it last wrote of a document is what
the store holds: reading it back is a round trip, a decode and, on SQLite, a turn of the reader's
thread spent for nothing. And a batch need not wait for the previous one's write before it evolves,
as long as nothing reads the store in between: a read of anything not in memory, and every other
operation, first waits for every write under way. Writes may then finish out of order (MongoDB runs
them side by side), which an upsert allows: the stored document with the higher `_position` wins.
"""

import asyncio
from collections.abc import Collection as Names
from collections.abc import Mapping, Sequence

from store.documents import Collection, Document, DocumentStore, Query

WRITES_UNDER_WAY = 2
"""Batches written while the next is evolved: one keeps the writer busy, a second lets a batch that
evolves faster than it writes go on."""
KEPT = 100_000
"""Documents kept in memory (about 100 MB): beyond that they are dropped and read back as needed."""


class WriteBehind:
    def __init__(
        self, store: DocumentStore, read_back: Names[str], kept: int = KEPT, under_way: int = WRITES_UNDER_WAY
    ) -> None:
        """`read_back`: the collections whose documents are kept in memory, those the writer reads
        (not the history it only appends to)."""
        self._store = store
        self._read_back = read_back
        self._kept = kept
        self._under_way = under_way
        self._written: dict[str, dict[str, Document]] = {}
        self._size = 0
        self._writes: list[asyncio.Task[None]] = []

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        for collection, documents in writes.items():
            if collection in self._read_back:
                self._keep(collection, documents)
        self._writes.append(asyncio.create_task(self._store.upsert_all(writes)))
        while len(self._writes) > self._under_way:
            await self._writes.pop(0)

    async def bulk_upsert(self, collection: str, documents: Sequence[Document]) -> None:
        await self.upsert_all({collection: documents})

    async def get_many(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        written = self._written.get(collection, {})
        found = {doc_id: written[doc_id] for doc_id in ids if doc_id in written}
        missing = [doc_id for doc_id in ids if doc_id not in written]
        if missing:
            await self.flush()
            found |= await self._store.get_many(collection, missing)
        return found

    async def find(self, collection: str, query: Query) -> list[Document]:
        await self.flush()
        return await self._store.find(collection, query)

    async def ensure(self, collection: Collection) -> None:
        await self.flush()
        await self._store.ensure(collection)

    async def delete(self, collection: str, ids: Sequence[str]) -> None:
        await self.flush()
        written = self._written.get(collection, {})
        for doc_id in ids:
            self._size -= written.pop(doc_id, None) is not None
        await self._store.delete(collection, ids)

    async def drop(self, collection: str) -> None:
        await self.flush()
        self._size -= len(self._written.pop(collection, {}))
        await self._store.drop(collection)

    async def scrub(self) -> None:
        await self.flush()
        await self._store.scrub()

    async def flush(self) -> None:
        """Wait for every write under way; the first that failed raises (after all have ended)."""
        writes, self._writes = self._writes, []
        failures = [
            result
            for result in await asyncio.gather(*writes, return_exceptions=True)
            if isinstance(result, BaseException)
        ]
        if failures:
            raise failures[0]

    async def close(self) -> None:
        """Stop what is under way without waiting for it (the build is being abandoned)."""
        for write in self._writes:
            write.cancel()
        await asyncio.gather(*self._writes, return_exceptions=True)
        self._writes = []

    def _keep(self, collection: str, documents: Sequence[Document]) -> None:
        if self._size + len(documents) > self._kept:
            # Dropping everything is cheaper than keeping an order of use per read: a rebuild's
            # working set is mostly the recent documents, which come back within a batch or two.
            self._written.clear()
            self._size = 0
        written = self._written.setdefault(collection, {})
        for document in documents:
            self._size += document["_id"] not in written
            written[document["_id"]] = document
