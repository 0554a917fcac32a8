"""Projection checkpoints and leases on MongoDB: one small document each."""

from collections.abc import Sequence
from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from store.feeds import Checkpoint
from store.mongo.unavailable import is_away
from store.projection_state import ProjectionState
from store.unavailable import raises_unavailable

Document = dict[str, Any]


def _decode(document: Document) -> ProjectionState:
    return ProjectionState(
        name=document["_id"],
        collection=document["collection"],
        generation=document["generation"],
        checkpoint=Checkpoint(document["position"], document.get("resumeToken")),
        updated_at=document.get("updatedAt"),
        feed=document.get("feed"),
        error=document.get("error"),
        stopped_at=document.get("stoppedAt"),
        skipped=tuple(document.get("skipped") or ()),
        events_per_second=document.get("eventsPerSecond"),
    )


@raises_unavailable(is_away)
class MongoProjectionState:
    """Implements both ProjectionStates and Leases."""

    def __init__(self, client: AsyncMongoClient[Document], database: str) -> None:
        self._states: AsyncCollection[Document] = client[database]["projection_state"]
        self._leases: AsyncCollection[Document] = client[database]["leases"]

    async def load(self, name: str) -> ProjectionState | None:
        document = await self._states.find_one({"_id": name})
        return _decode(document) if document else None

    async def load_all(self) -> Sequence[ProjectionState]:
        return [_decode(document) async for document in self._states.find({}, sort=[("_id", 1)])]

    async def save(self, state: ProjectionState, expected_generation: int | None) -> bool:
        document = {
            "collection": state.collection,
            "generation": state.generation,
            "position": state.checkpoint.position,
            "resumeToken": state.checkpoint.resume_token,
            "updatedAt": state.updated_at,
            "feed": state.feed,
            "error": state.error,
            "stoppedAt": state.stopped_at,
            "skipped": list(state.skipped),
            "eventsPerSecond": state.events_per_second,
        }
        if expected_generation is None:
            try:
                await self._states.insert_one({"_id": state.name, **document})
            except DuplicateKeyError:
                return False
            return True
        result = await self._states.update_one(
            {"_id": state.name, "generation": expected_generation}, {"$set": document}
        )
        return result.matched_count == 1

    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        # The database's clock ($$NOW), not this process's: a standby whose clock runs ahead would
        # otherwise take a lease its holder still renews.
        ours_or_expired = {"$or": [{"$eq": ["$owner", owner]}, {"$lt": ["$expiresAt", "$$NOW"]}]}
        try:
            # The filter matches only a lease we hold or one that expired; otherwise the upsert's
            # insert collides with the live lease on _id, which is the "no".
            await self._leases.update_one(
                {"_id": name, "$expr": ours_or_expired},
                [{"$set": {"owner": owner, "expiresAt": {"$add": ["$$NOW", round(seconds * 1000)]}}}],
                upsert=True,
            )
        except DuplicateKeyError:
            return False
        return True

    async def release(self, name: str, owner: str) -> None:
        await self._leases.delete_one({"_id": name, "owner": owner})

    async def holders(self) -> dict[str, str]:
        # The database's clock, as `acquire` uses: the projectors' own clocks may disagree.
        cursor = self._leases.find({"$expr": {"$gte": ["$expiresAt", "$$NOW"]}})
        return {document["_id"]: document["owner"] async for document in cursor}
