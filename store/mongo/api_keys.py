"""API keys on MongoDB: one document per key, unique by name and by token hash."""

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Self

from pymongo import ASCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from store.api_keys import ApiKey, KeyNameTaken
from store.mongo.unavailable import is_away
from store.unavailable import raises_unavailable

Document = dict[str, Any]


def _decode(document: Document) -> ApiKey:
    return ApiKey(
        id=uuid.UUID(document["_id"]),
        name=document["name"],
        role=document["role"],
        created_at=document["createdAt"],
        revoked_at=document.get("revokedAt"),
        customer_id=uuid.UUID(document["customerId"]) if document.get("customerId") else None,
    )


@raises_unavailable(is_away)
class MongoApiKeys:
    def __init__(self, collection: AsyncCollection[Document]) -> None:
        self._keys = collection

    @classmethod
    async def open(cls, client: AsyncMongoClient[Document], database: str) -> Self:
        collection: AsyncCollection[Document] = client[database]["api_keys"]
        await collection.create_indexes(
            [
                IndexModel([("name", ASCENDING)], unique=True),
                IndexModel([("tokenHash", ASCENDING)], unique=True),
                # `apiKeys` lists them in this order.
                IndexModel([("createdAt", ASCENDING), ("name", ASCENDING)]),
            ]
        )
        return cls(collection)

    async def add(self, key: ApiKey, token_hash: str) -> None:
        try:
            await self._keys.insert_one(
                {
                    "_id": str(key.id),
                    "name": key.name,
                    "role": str(key.role),
                    "tokenHash": token_hash,
                    "createdAt": key.created_at,
                    "revokedAt": None,
                    "customerId": str(key.customer_id) if key.customer_id else None,
                }
            )
        except DuplicateKeyError:
            raise KeyNameTaken(key.name) from None

    async def find(self, token_hash: str) -> ApiKey | None:
        document = await self._keys.find_one({"tokenHash": token_hash})
        return _decode(document) if document else None

    async def revoke(self, id_or_name: str, at: datetime) -> ApiKey | None:
        which = {"$or": [{"_id": id_or_name}, {"name": id_or_name}]}
        await self._keys.update_one({**which, "revokedAt": None}, {"$set": {"revokedAt": at}})
        document = await self._keys.find_one(which)
        return _decode(document) if document else None

    async def list(self) -> Sequence[ApiKey]:
        return [
            _decode(document) async for document in self._keys.find({}, sort=[("createdAt", 1), ("name", 1)])
        ]
