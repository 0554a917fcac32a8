"""The rebuild's document store (`projections.write_behind`), on both backends: what it wrote is read
back from memory, anything else only once every write under way has landed, and a write that failed
is not lost sight of."""

import asyncio
from collections.abc import Mapping, Sequence

import pytest

from projections.write_behind import WriteBehind
from store.connect import Stores
from store.documents import Collection, Document, DocumentStore, Query


class Counted:
    """A store that counts reads and can hold its writes back until told."""

    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self.read: list[str] = []
        self.written: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing = False

    async def get_many(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        self.read += ids
        return await self.inner.get_many(collection, ids)

    async def find(self, collection: str, query: Query) -> list[Document]:
        return await self.inner.find(collection, query)

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        await self.gate.wait()
        if self.failing:
            raise RuntimeError("the disk is full")
        await self.inner.upsert_all(writes)
        self.written += [document["_id"] for documents in writes.values() for document in documents]

    async def bulk_upsert(self, collection: str, documents: Sequence[Document]) -> None:
        await self.upsert_all({collection: documents})

    async def ensure(self, collection: Collection) -> None:
        await self.inner.ensure(collection)

    async def delete(self, collection: str, ids: Sequence[str]) -> None:
        await self.inner.delete(collection, ids)

    async def drop(self, collection: str) -> None:
        await self.inner.drop(collection)

    async def scrub(self) -> None:
        await self.inner.scrub()


def doc(doc_id: str, position: int, **fields: object) -> Document:
    return {"_id": doc_id, "_position": position, **fields}


@pytest.fixture
async def counted(stores: Stores) -> Counted:
    await stores.documents.ensure(Collection("built"))
    return Counted(stores.documents)


async def test_what_it_wrote_is_read_back_from_memory_and_the_rest_from_the_store(counted: Counted) -> None:
    await counted.inner.upsert_all({"built": [doc("old", 1, n=1)]})
    behind = WriteBehind(counted, {"built"})

    await behind.upsert_all({"built": [doc("a", 2, n=2)], "built_history": [doc("a@2", 2)]})
    found = await behind.get_many("built", ["a", "old", "missing"])

    assert found == {"a": doc("a", 2, n=2), "old": doc("old", 1, n=1)}
    assert counted.read == ["old", "missing"]


async def test_a_read_of_the_store_waits_for_every_write_under_way(counted: Counted) -> None:
    behind = WriteBehind(counted, {"built"}, kept=1)
    counted.gate.clear()
    # Both writes are under way (the writer is held back), so neither call waits for them.
    await behind.upsert_all({"built": [doc("a", 1, n=1)]})
    await behind.upsert_all({"built": [doc("b", 2, n=2)]})
    assert counted.written == []

    # Only one is kept in memory: reading the other waits for the writes, then finds it stored.
    reading = asyncio.create_task(behind.get_many("built", ["a"]))
    await asyncio.sleep(0.05)
    assert not reading.done()
    counted.gate.set()

    assert await reading == {"a": doc("a", 1, n=1)}
    assert await behind.find("built", Query(equals={"n": 2})) == [doc("b", 2, n=2)]


async def test_no_more_writes_are_under_way_than_allowed(counted: Counted) -> None:
    behind = WriteBehind(counted, {"built"}, under_way=2)
    counted.gate.clear()
    await behind.upsert_all({"built": [doc("a", 1)]})
    await behind.upsert_all({"built": [doc("b", 2)]})

    third = asyncio.create_task(behind.upsert_all({"built": [doc("c", 3)]}))
    await asyncio.sleep(0.05)
    assert not third.done()
    counted.gate.set()
    await third
    await behind.flush()

    assert sorted(counted.written) == ["a", "b", "c"]


async def test_a_write_that_failed_raises_when_its_writes_are_waited_for(counted: Counted) -> None:
    behind = WriteBehind(counted, {"built"})
    counted.failing = True
    await behind.upsert_all({"built": [doc("a", 1)]})

    with pytest.raises(RuntimeError, match="the disk is full"):
        await behind.flush()
    assert await counted.inner.get_many("built", ["a"]) == {}


class FirstLandsLast(Counted):
    """Its first write waits until the second has landed."""

    def __init__(self, inner: DocumentStore) -> None:
        super().__init__(inner)
        self.calls = 0
        self.second_landed = asyncio.Event()
        self.landed: list[int] = []

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        self.calls += 1
        call = self.calls
        if call == 1:
            await self.second_landed.wait()
        await self.inner.upsert_all(writes)
        self.landed.append(call)
        if call == 2:
            self.second_landed.set()


async def test_writes_that_land_out_of_order_keep_the_later_documents(stores: Stores) -> None:
    await stores.documents.ensure(Collection("built"))
    store = FirstLandsLast(stores.documents)
    behind = WriteBehind(store, {"built"})

    # A document and the version it opens, then the same document changed and that version closed.
    await behind.upsert_all({"built_history": [doc("a@1", 1, open=True)], "built": [doc("a", 1, n=1)]})
    await behind.upsert_all({"built_history": [doc("a@1", 2, open=False)], "built": [doc("a", 2, n=2)]})
    await behind.flush()

    assert store.landed == [2, 1]
    assert await stores.documents.get_many("built", ["a"]) == {"a": doc("a", 2, n=2)}
    assert await stores.documents.get_many("built_history", ["a@1"]) == {"a@1": doc("a@1", 2, open=False)}
