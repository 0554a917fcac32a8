"""Data keys on MongoDB: a `data_keys` collection, one document per subject, its `key` null once erased."""

from collections.abc import Collection
from typing import Any, Self
from uuid import UUID

from bson import Binary
from pymongo import AsyncMongoClient, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection

from store.data_keys import new_key
from store.mongo.unavailable import is_away
from store.unavailable import raises_unavailable

Document = dict[str, Any]


def _found(documents: list[Document]) -> dict[UUID, bytes | None]:
    return {
        UUID(document["_id"]): None if document["key"] is None else bytes(document["key"])
        for document in documents
    }


@raises_unavailable(is_away)
class MongoDataKeys:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._keys = collection

    @classmethod
    async def open(cls, client: AsyncMongoClient[Document], database: str) -> Self:
        # Found by `_id` alone: no index of its own.
        return cls(client[database]["data_keys"])

    async def _read(self, subjects: Collection[UUID]) -> dict[UUID, bytes | None]:
        cursor = self._keys.find({"_id": {"$in": [str(subject) for subject in subjects]}})
        return _found([document async for document in cursor])

    async def keys_for(self, subjects: Collection[UUID]) -> dict[UUID, bytes | None]:
        if len(subjects) == 1:
            # One round trip, whether the key is there or not (nearly every append names one customer).
            [subject] = subjects
            document = await self._keys.find_one_and_update(
                {"_id": str(subject)},
                {"$setOnInsert": {"key": Binary(new_key())}},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            # With upsert and the document after, there always is one.
            assert document is not None
            return _found([document])
        found = await self._read(subjects)
        missing = [subject for subject in subjects if subject not in found]
        if not missing:
            return found
        # $setOnInsert: a key made meanwhile by another process, or a tombstone, is kept as it is.
        await self._keys.bulk_write(
            [
                UpdateOne({"_id": str(subject)}, {"$setOnInsert": {"key": Binary(new_key())}}, upsert=True)
                for subject in missing
            ],
            ordered=False,
        )
        return await self._read(subjects)

    async def find(self, subjects: Collection[UUID]) -> dict[UUID, bytes]:
        if not subjects:
            return {}
        found = await self._read(subjects)
        return {subject: key for subject, key in found.items() if key is not None}

    async def erase(self, subject: UUID) -> bool:
        before = await self._keys.find_one_and_update(
            {"_id": str(subject)}, {"$set": {"key": None}}, upsert=True
        )
        return before is not None and before.get("key") is not None
