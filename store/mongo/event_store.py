"""The event store on MongoDB: one immutable document per event in the `events` collection.

Atomicity: a single-event append is one `insert_one`, atomic by itself. An append of several events
runs in a multi-document transaction, because one document per event is what readers and indexes
want. Every command eventfold has records one event, so the common path costs one write and needs
no replica set; multi-event appends need one (as change streams do).

Positions are dense and allocated in order: this process hands out the next position under a lock,
and the unique index on `position` turns a clash with another process into a retry after re-reading
the highest position. No counter document means no gaps from crashes between "take a number" and
"insert", which a tail-by-position reader would otherwise have to wait out.
"""

import asyncio
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Self, Unpack
from uuid import UUID

from bson import json_util
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError

from domain.events import Event
from store.decoding import EventDecoder
from store.events import Clock, RecordedEvent, StreamBounds, StreamVersionConflict, system_clock
from store.mongo.unavailable import is_away
from store.signal import AppendSignal
from store.unavailable import raises_unavailable

POSITION_INDEX = "position_unique"
STREAM_VERSION_INDEX = "stream_version_unique"
MAX_POSITION_RETRIES = 50

Document = dict[str, Any]


def as_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """BSON values as MongoDB's relaxed Extended JSON shows them (`{"$numberDecimal": "19.90"}`)."""
    shown: dict[str, Any] = json.loads(json_util.dumps(data, json_options=json_util.RELAXED_JSON_OPTIONS))
    return shown


def decode_event(document: Document, decoder: EventDecoder) -> RecordedEvent:
    return RecordedEvent(
        id=document["_id"],
        stream_id=document["streamId"],
        stream_type=document["streamType"],
        version=document["version"],
        position=document["position"],
        recorded_at=document["recordedAt"],
        event=decoder.from_data(document["type"], document["schemaVersion"], document["data"], as_json),
        metadata=document["metadata"],
    )


def _clashes_on_position(error: DuplicateKeyError | BulkWriteError) -> bool:
    details: Mapping[str, Any] = error.details or {}
    if isinstance(error, BulkWriteError):
        details = (details.get("writeErrors") or [{}])[0]
    key_pattern = details.get("keyPattern")
    if key_pattern is not None:
        return "position" in key_pattern
    return POSITION_INDEX in str(details.get("errmsg", error))


def _documents(
    stream_id: UUID,
    expected_version: int,
    first_position: int,
    events: Sequence[Event],
    metadata: Mapping[str, str],
    recorded_at: datetime,
) -> list[Document]:
    return [
        {
            "_id": uuid.uuid4(),
            "streamId": stream_id,
            "streamType": event.stream_type,
            "version": expected_version + offset,
            "position": first_position + offset - 1,
            "type": event.type_name,
            "schemaVersion": event.schema_version,
            "data": event.to_data(),
            "metadata": dict(metadata),
            "recordedAt": recorded_at,
        }
        for offset, event in enumerate(events, start=1)
    ]


@raises_unavailable(is_away)
class MongoEventStore:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        appended: AppendSignal,
        decoder: EventDecoder,
        clock: Clock = system_clock,
    ) -> None:
        self._client = client
        self.decoder = decoder
        self._appended = appended
        self._clock = clock
        self._events: AsyncCollection[Document] = client[database]["events"]
        self._append_lock = asyncio.Lock()
        self._next_position: int | None = None
        self._last_recorded_at = datetime.min.replace(tzinfo=UTC)

    @property
    def collection(self) -> AsyncCollection[Document]:
        return self._events

    @classmethod
    async def open(
        cls,
        client: AsyncMongoClient[Document],
        database: str,
        appended: AppendSignal,
        decoder: EventDecoder,
        clock: Clock = system_clock,
    ) -> Self:
        store = cls(client, database, appended, decoder, clock)
        await store._events.create_indexes(
            [
                IndexModel(
                    [("streamId", ASCENDING), ("version", ASCENDING)], unique=True, name=STREAM_VERSION_INDEX
                ),
                IndexModel([("position", ASCENDING)], unique=True, name=POSITION_INDEX),
                IndexModel([("recordedAt", ASCENDING)], name="recorded_at"),
                # A filtered read of the log: equality on the type, then the position it is sorted by.
                IndexModel([("type", ASCENDING), ("position", ASCENDING)], name="type_position"),
                IndexModel([("streamType", ASCENDING), ("position", ASCENDING)], name="stream_type_position"),
            ]
        )
        return store

    async def append(
        self,
        stream_id: UUID,
        expected_version: int,
        events: Sequence[Event],
        metadata: Mapping[str, str],
    ) -> list[RecordedEvent]:
        if not events:
            return []
        # The unique (streamId, version) index refuses a stale writer; only a writer that is ahead
        # of the stream needs to be caught by looking.
        if expected_version > 0 and not await self._events.find_one(
            {"streamId": stream_id, "version": expected_version}, projection={"_id": 1}
        ):
            raise StreamVersionConflict(stream_id, expected_version)
        async with self._append_lock:
            for _ in range(MAX_POSITION_RETRIES):
                position = await self._take_next_position()
                now = self._clock().astimezone(UTC)
                # BSON keeps milliseconds: truncate now so that what we return is what is read back.
                recorded_at = max(
                    now.replace(microsecond=now.microsecond // 1000 * 1000), self._last_recorded_at
                )
                documents = _documents(stream_id, expected_version, position, events, metadata, recorded_at)
                try:
                    await self._insert(documents)
                except (DuplicateKeyError, BulkWriteError) as error:
                    if not _clashes_on_position(error):
                        raise StreamVersionConflict(stream_id, expected_version) from error
                    self._next_position = None
                    continue
                self._next_position = position + len(documents)
                self._last_recorded_at = recorded_at
                self._appended.notify()
                return [
                    RecordedEvent(
                        id=document["_id"],
                        stream_id=stream_id,
                        stream_type=document["streamType"],
                        version=document["version"],
                        position=document["position"],
                        recorded_at=recorded_at,
                        event=event,
                        metadata=dict(metadata),
                    )
                    for document, event in zip(documents, events, strict=True)
                ]
        raise RuntimeError(f"no free position after {MAX_POSITION_RETRIES} attempts")

    async def _take_next_position(self) -> int:
        if self._next_position is None:
            self._next_position = await self.head() + 1
        return self._next_position

    async def head(self) -> int:
        last = await self._events.find_one({}, projection={"position": 1}, sort=[("position", DESCENDING)])
        return int(last["position"]) if last else 0

    async def _insert(self, documents: list[Document]) -> None:
        if len(documents) == 1:
            await self._events.insert_one(documents[0])
            return

        async def insert_all(session: AsyncClientSession) -> None:
            await self._events.insert_many(documents, session=session)

        async with self._client.start_session() as session:
            await session.with_transaction(insert_all)

    async def read_stream(self, stream_id: UUID, **bounds: Unpack[StreamBounds]) -> list[RecordedEvent]:
        after_version, to_version = bounds.get("after_version", 0), bounds.get("to_version")
        as_of, limit = bounds.get("as_of"), bounds.get("limit")
        version: Document = {"$gt": after_version}
        if to_version is not None:
            version["$lte"] = to_version
        query: Document = {"streamId": stream_id, "version": version}
        if after_position := bounds.get("after_position", 0):
            # Checked on the stream's documents as (streamId, version) finds them: never a log scan.
            query["position"] = {"$gt": after_position}
        if as_of is not None:
            query["recordedAt"] = {"$lte": as_of}
        cursor = self._events.find(query, sort=[("version", ASCENDING)], limit=limit or 0)
        return [decode_event(document, self.decoder) async for document in cursor]

    async def read_streams(self, stream_ids: Sequence[UUID]) -> dict[UUID, list[RecordedEvent]]:
        ids = list(set(stream_ids))
        if not ids:
            return {}
        # One batch, so that loading everything a command needs is one round trip.
        cursor = self._events.find(
            {"streamId": {"$in": ids}},
            sort=[("streamId", ASCENDING), ("version", ASCENDING)],
            batch_size=100_000,
        )
        streams: dict[UUID, list[RecordedEvent]] = {}
        async for document in cursor:
            recorded = decode_event(document, self.decoder)
            streams.setdefault(recorded.stream_id, []).append(recorded)
        return streams

    async def read_all(
        self,
        after_position: int = 0,
        limit: int = 100,
        types: Collection[str] | None = None,
        stream_types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        query: Document = {"position": {"$gt": after_position}}
        # With $in on the index's first field and the sort on its second, MongoDB merges the ranges in
        # position order (SORT_MERGE): no blocking sort, whatever the number of types.
        if types is not None:
            query["type"] = {"$in": sorted(types)}
        if stream_types is not None:
            query["streamType"] = {"$in": sorted(stream_types)}
        cursor = self._events.find(query, sort=[("position", ASCENDING)], limit=limit)
        return [decode_event(document, self.decoder) async for document in cursor]

    async def ping(self) -> None:
        await self._client.admin.command("ping")

    async def close(self) -> None:
        await self._client.close()
