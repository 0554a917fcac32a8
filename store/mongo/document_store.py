"""The document store on MongoDB: each read model collection a MongoDB collection of the same name.

It shares the event store's client and has nothing of its own to close: whoever opened the client
closes it (the event store does).

A write replaces a document only while the stored `_position` is not higher: each document is a
ReplaceOne upsert filtered on `{_id, _position <= new}`. When a higher one is stored the filter
misses, the upsert tries to insert and collides on `_id` (duplicate key, 11000): that error is the
stale write being refused, so it is dropped. A read model has one writer, the projector: two writers
racing to create the same document would look the same, and the later position could be refused.

A collection's `words` are a multikey index, an entry per word: a whole word is one key of it, and
the start of a word an anchored, case-sensitive $regex, which MongoDB reads as a range of keys (a
text index matches whole words only).
"""

import re
from collections.abc import Mapping, Sequence
from typing import Any, Self

from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel, ReplaceOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError

from store.documents import Collection, Document, Query, collection_name, field_name
from store.mongo.unavailable import is_away
from store.unavailable import raises_unavailable

DUPLICATE_KEY = 11000


def _ending_with_id(fields: tuple[str, ...]) -> tuple[str, ...]:
    return fields if "_id" in fields else (*fields, "_id")


def _only_stale_writes(error: BulkWriteError) -> bool:
    details: Mapping[str, Any] = error.details
    return not details.get("writeConcernErrors") and all(
        write_error.get("code") == DUPLICATE_KEY for write_error in details.get("writeErrors", [])
    )


@raises_unavailable(is_away)
class MongoDocumentStore:
    def __init__(self, client: AsyncMongoClient[Document], database: str) -> None:
        self._database = client[database]

    @classmethod
    async def open(cls, client: AsyncMongoClient[Document], database: str) -> Self:
        return cls(client, database)

    def _collection(self, name: str) -> AsyncCollection[Document]:
        return self._database[collection_name(name)]

    async def ensure(self, collection: Collection) -> None:
        target = self._collection(collection.name)
        # Every query orders by (sort, _id): ending each index with _id lets it serve that order whole.
        indexes = [
            IndexModel([(field_name(field), ASCENDING) for field in _ending_with_id(fields)])
            for fields in collection.indexes
        ]
        if collection.words:
            fields = _ending_with_id(collection.words)
            indexes.append(IndexModel([(field_name(field), ASCENDING) for field in fields]))
        # MongoDB creates a collection on its first write and reads an absent one as empty: only the
        # indexes need declaring. Declaring the same ones again changes nothing.
        if indexes:
            await target.create_indexes(indexes)

    async def get_many(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        wanted = list(dict.fromkeys(ids))
        if not wanted:
            return {}
        # One more than can match: the first batch holds them all and closes the cursor, one round trip.
        cursor = self._collection(collection).find({"_id": {"$in": wanted}}, batch_size=len(wanted) + 1)
        return {document["_id"]: document async for document in cursor}

    async def find(self, collection: str, query: Query) -> list[Document]:
        target = self._collection(collection)
        # $eq, so that a value which is itself a document is never read as operators.
        clauses: list[Document] = [
            {field_name(field): {"$eq": value}} for field, value in query.equals.items()
        ]
        if query.range is not None:
            bounds = {
                operator: bound
                for operator, bound in (("$gte", query.range.gte), ("$lte", query.range.lte))
                if bound is not None
            }
            if bounds:
                clauses.append({field_name(query.range.field): bounds})
        if query.holding is not None:
            holding = query.holding
            clauses += [
                {field_name(holding.start): {"$lte": holding.instant}},
                {field_name(holding.end): {"$gt": holding.instant}},
            ]
        if query.words is not None:
            words = field_name(query.words.field)
            clauses += [{words: {"$eq": word}} for word in query.words.whole]
            # Anchored and case-sensitive, so that MongoDB reads it as a range of the index's keys.
            clauses += [{words: {"$regex": f"^{re.escape(prefix)}"}} for prefix in query.words.prefixes]
        sort = field_name(query.sort)
        direction, beyond, from_ = (
            (DESCENDING, "$lt", "$lte") if query.descending else (ASCENDING, "$gt", "$gte")
        )
        if query.after is not None:
            value, last_id = query.after
            if sort == "_id":
                clauses.append({"_id": {beyond: last_id}})
            else:
                # The plain bound lets the index start at the cursor; the $or skips the ties before it.
                clauses.append({sort: {from_: value}})
                clauses.append(
                    {"$or": [{sort: {beyond: value}}, {sort: {"$eq": value}, "_id": {beyond: last_id}}]}
                )
        order = [(sort, direction)] if sort == "_id" else [(sort, direction), ("_id", direction)]
        cursor = target.find({"$and": clauses} if clauses else {}, sort=order, limit=query.limit)
        return [document async for document in cursor]

    async def bulk_upsert(self, collection: str, documents: Sequence[Document]) -> None:
        if not documents:
            return
        requests = [
            ReplaceOne(
                {"_id": document["_id"], "_position": {"$lte": document["_position"]}}, document, upsert=True
            )
            for document in documents
        ]
        try:
            await self._collection(collection).bulk_write(requests, ordered=False)
        except BulkWriteError as error:
            if not _only_stale_writes(error):
                raise

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        for collection, documents in writes.items():
            await self.bulk_upsert(collection, documents)

    async def delete(self, collection: str, ids: Sequence[str]) -> None:
        if ids:
            await self._collection(collection).delete_many({"_id": {"$in": list(ids)}})

    async def drop(self, collection: str) -> None:
        await self._database.drop_collection(self._collection(collection).name)

    async def scrub(self) -> None:
        """Documents are rewritten in place; the space they held is the storage engine's to reuse."""
