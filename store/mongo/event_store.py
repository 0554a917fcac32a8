"""The event store on MongoDB: one immutable document per event in the `events` collection.

Grouped appends (group commit): one writer task per store writes every append waiting at that moment
in one round trip, with consecutive positions. A group of one single-event append is one `insert_one`,
atomic by itself; a larger group is one multi-document transaction (`insert` + `commitTransaction`),
so that it lands whole or not at all. That is what keeps positions dense and visible in order to a
reader tailing by position, and each command all-or-nothing: when one command of a group conflicts,
the transaction writes nothing, that command alone fails and the others are written again at once.

Positions: the writer knows the head (the last position and its recordedAt) and writes the group
right after it; the unique index on `position` turns a clash with another process into a re-read of
the head and a retry. No counter document means no gaps from crashes between "take a number" and
"insert", which a tail-by-position reader would otherwise have to wait out. recordedAt is the later
of this process's clock and the head event's recordedAt: a group commits only if it directly follows
the head it knew, so recordedAt never runs backwards along the log whatever the processes' clocks.

Durability: appends carry the configured write concern (`w: "majority"` by default), so an
acknowledged event survives a failover; what the feed reads carries `readConcern: majority`, so a
projection never applies an event that a failover could roll back.
"""

import asyncio
import json
import uuid
from collections import deque
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Self, Unpack
from uuid import UUID

from bson import json_util
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pymongo import ASCENDING, DESCENDING, AsyncMongoClient, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import BulkWriteError, DuplicateKeyError, OperationFailure
from pymongo.read_concern import ReadConcern
from pymongo.write_concern import WriteConcern

from domain.events import Event
from store.decoding import NO_KEYS, EventDecoder, Keys
from store.events import Clock, RecordedEvent, StreamBounds, recorded_event, system_clock
from store.grouping import PendingAppend, refuse_stale, take_group
from store.mongo.unavailable import is_away
from store.sealing import Payload, Sealer, Stored, sealed_subject
from store.signal import AppendSignal
from store.unavailable import StoreUnavailable, raises_unavailable

POSITION_INDEX = "position_unique"
STREAM_VERSION_INDEX = "stream_version_unique"
MAX_POSITION_RETRIES = 50
MAX_GROUP_EVENTS = 1_000
"""Events written in one round trip at most. Far above what waits at once even at hundreds of
concurrent requests, and it keeps a group's transaction short; a group over the 48 MB of one message
costs PyMongo a second insert command inside the same transaction, never correctness."""
WRITE_CONFLICT = 112

Document = dict[str, Any]


def as_json(data: Mapping[str, Any]) -> dict[str, Any]:
    """BSON values as MongoDB's relaxed Extended JSON shows them (`{"$numberDecimal": "19.90"}`)."""
    shown: dict[str, Any] = json.loads(json_util.dumps(data, json_options=json_util.RELAXED_JSON_OPTIONS))
    return shown


def decode_event(
    document: Document,
    decoder: EventDecoder,
    keys: Keys = NO_KEYS,
    ciphers: dict[bytes, AESGCM] | None = None,
) -> RecordedEvent:
    return recorded_event(
        document["_id"],
        document["streamId"],
        document["streamType"],
        document["version"],
        document["position"],
        document["recordedAt"],
        decoder.from_data(
            document["type"], document["schemaVersion"], document["data"], as_json, keys, ciphers
        ),
        document["metadata"],
    )


async def decode_page(
    documents: Sequence[Document], decoder: EventDecoder, sealer: Sealer
) -> list[RecordedEvent]:
    """A page of event documents, opened with its keys looked up in one go."""
    subjects = {
        subject
        for document in documents
        if (subject := sealed_subject(document["type"], document["schemaVersion"], document["data"]))
    }
    keys = await sealer.keys_of(subjects)
    ciphers: dict[bytes, AESGCM] = {}
    return [decode_event(document, decoder, keys, ciphers) for document in documents]


def _data(event: Event) -> Payload:
    return event.to_data()


def _clashes_on_position(error: DuplicateKeyError | BulkWriteError) -> bool:
    details: Mapping[str, Any] = error.details or {}
    if isinstance(error, BulkWriteError):
        details = (details.get("writeErrors") or [{}])[0]
    key_pattern = details.get("keyPattern")
    if key_pattern is not None:
        return "position" in key_pattern
    return POSITION_INDEX in str(details.get("errmsg", error))


def _write_conflict(error: OperationFailure) -> bool:
    """A transaction that lost a race for a document: MongoDB labels it transient (and PyMongo's
    `with_transaction` retries it); mongoeco refuses at commit any transaction that overlapped a write,
    unlabelled. Either way the head may have moved."""
    return error.code == WRITE_CONFLICT or "Write conflict" in str(error)


def _documents(
    stream_id: UUID,
    expected_version: int,
    first_position: int,
    events: Sequence[Event],
    metadata: Mapping[str, str],
    recorded_at: datetime,
    stored: Sequence[Stored | None] | None,
) -> list[Document]:
    return [
        {
            "_id": uuid.uuid4(),
            "streamId": stream_id,
            "streamType": event.stream_type,
            "version": expected_version + offset,
            "position": first_position + offset - 1,
            "type": event.type_name,
            "schemaVersion": event.schema_version if as_stored is None else as_stored[0],
            "data": event.to_data() if as_stored is None else as_stored[1],
            "metadata": dict(metadata),
            "recordedAt": recorded_at,
        }
        for (offset, event), as_stored in zip(
            enumerate(events, start=1), stored or [None] * len(events), strict=True
        )
    ]


@dataclass(frozen=True, slots=True)
class Concerns:
    """`write`: what acknowledges an append; `read`: what the feed may read (majority: nothing a
    failover could roll back)."""

    write: WriteConcern
    read: ReadConcern = field(default_factory=lambda: ReadConcern("majority"))


@dataclass(frozen=True, slots=True)
class _Head:
    position: int
    recorded_at: datetime


NO_EVENTS = _Head(0, datetime.min.replace(tzinfo=UTC))


def _failed_command(
    error: DuplicateKeyError | BulkWriteError, owners: Sequence[PendingAppend]
) -> PendingAppend:
    """The command whose document the unique (streamId, version) index refused."""
    if isinstance(error, BulkWriteError):
        index: int = (error.details.get("writeErrors") or [{}])[0].get("index", 0)
        return owners[index]
    return owners[0]


@raises_unavailable(is_away)
class MongoEventStore:
    def __init__(
        self,
        client: AsyncMongoClient[Document],
        database: str,
        appended: AppendSignal,
        decoder: EventDecoder,
        sealer: Sealer,
        clock: Clock = system_clock,
        concerns: Concerns | None = None,
    ) -> None:
        """`concerns` None leaves the client's defaults (mongoeco's in-process client, which the
        change stream tests use, takes only concern objects of its own)."""
        self._client = client
        self.decoder = decoder
        self.sealer = sealer
        self._appended = appended
        self._clock = clock
        self._write_concern = concerns.write if concerns else None
        self._events: AsyncCollection[Document] = client[database]["events"]
        self._committed = self._events
        if concerns is not None:
            self._events = self._events.with_options(write_concern=concerns.write)
            self._committed = self._committed.with_options(read_concern=concerns.read)
        self._waiting: deque[PendingAppend] = deque()
        self._writer: asyncio.Task[None] | None = None
        self._head: _Head | None = None

    @property
    def collection(self) -> AsyncCollection[Document]:
        """The events as the feed reads them: majority-committed only."""
        return self._committed

    @classmethod
    async def open(
        cls,
        client: AsyncMongoClient[Document],
        database: str,
        appended: AppendSignal,
        decoder: EventDecoder,
        sealer: Sealer,
        clock: Clock = system_clock,
        concerns: Concerns | None = None,
    ) -> Self:
        store = cls(client, database, appended, decoder, sealer, clock, concerns)
        await store._events.create_indexes(
            [
                IndexModel(
                    [("streamId", ASCENDING), ("version", ASCENDING)], unique=True, name=STREAM_VERSION_INDEX
                ),
                IndexModel([("position", ASCENDING)], unique=True, name=POSITION_INDEX),
                # `position_before`, the last event before an instant, ties in position order, and
                # every read bounded by an instant (its prefix).
                IndexModel([("recordedAt", ASCENDING), ("position", ASCENDING)], name="recorded_at_position"),
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
        answer = await PendingAppend.sealed(
            self.sealer, _data, self._queue, stream_id, expected_version, events, metadata
        )
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_waiting())
        return await answer

    def _queue(self, pending: PendingAppend) -> asyncio.Future[list[RecordedEvent]]:
        self._waiting.append(pending)
        return pending.answer

    async def _write_waiting(self) -> None:
        while group := take_group(self._waiting, MAX_GROUP_EVENTS):
            try:
                await self._write_group(group)
            except Exception as error:  # noqa: BLE001 - each waiting caller gets it, as if it wrote alone
                # Whether it landed is unknown (the driver already retried once): look again next time.
                self._head = None
                for pending in group:
                    pending.fail(error)

    async def _write_group(self, group: list[PendingAppend]) -> None:
        group = await self._drop_writers_ahead(group)
        for _ in range(MAX_POSITION_RETRIES):
            if not group:
                return
            head = await self._read_head()
            now = self._clock().astimezone(UTC)
            # BSON keeps milliseconds: truncate now so that what we return is what is read back.
            recorded_at = max(now.replace(microsecond=now.microsecond // 1000 * 1000), head.recorded_at)
            documents, owners = self._documents(group, head.position + 1, recorded_at)
            whole = len(documents) > len(group)
            try:
                await self._insert(documents, whole)
            except OperationFailure as error:
                group = self._after_refusal(error, group, documents, owners, whole)
                continue
            self._answer(documents, owners)
            return
        # Other processes' appends took every position this one tried: busy, not broken. The caller is
        # told to try again (SERVICE_UNAVAILABLE), as when the database is away, never a server error.
        raise StoreUnavailable(f"other writers took the next position {MAX_POSITION_RETRIES} times in a row")

    def _after_refusal(
        self,
        error: OperationFailure,
        group: list[PendingAppend],
        documents: Sequence[Document],
        owners: Sequence[PendingAppend],
        whole: bool,
    ) -> list[PendingAppend]:
        """What is left to write after the database refused a group, having answered what landed."""
        if not isinstance(error, DuplicateKeyError | BulkWriteError):
            if not _write_conflict(error):
                raise error
            self._head = None
            return group
        # Without a transaction an ordered insert stops at the first refusal: what came before it landed.
        landed = 0 if whole or not isinstance(error, BulkWriteError) else int(error.details["nInserted"])
        if landed:
            self._answer(documents[:landed], owners[:landed])
        rest = group[landed:]
        if _clashes_on_position(error):
            self._head = None
            return rest
        at_fault = _failed_command(error, owners)
        at_fault.conflict()
        return [pending for pending in rest if pending is not at_fault]

    async def _drop_writers_ahead(self, group: list[PendingAppend]) -> list[PendingAppend]:
        """The unique (streamId, version) index refuses a stale writer; only a writer that is ahead of
        its stream (its expected version does not exist) needs looking for: one find for the group."""
        expected = [
            {"streamId": p.stream_id, "version": p.expected_version} for p in group if p.expected_version
        ]
        if not expected:
            return group
        cursor = self._events.find({"$or": expected}, projection={"_id": 0, "streamId": 1, "version": 1})
        found = {(document["streamId"], document["version"]) async for document in cursor}
        kept = []
        for pending in group:
            if pending.expected_version and (pending.stream_id, pending.expected_version) not in found:
                pending.conflict()
            else:
                kept.append(pending)
        return kept

    def _documents(
        self, group: Sequence[PendingAppend], first_position: int, recorded_at: datetime
    ) -> tuple[list[Document], list[PendingAppend]]:
        documents: list[Document] = []
        owners: list[PendingAppend] = []
        for pending in group:
            documents += _documents(
                pending.stream_id,
                pending.expected_version,
                first_position + len(documents),
                pending.events,
                pending.metadata,
                recorded_at,
                pending.stored,
            )
            owners += [pending] * len(pending.events)
        return documents, owners

    def _answer(self, documents: Sequence[Document], owners: Sequence[PendingAppend]) -> None:
        answers: dict[int, list[RecordedEvent]] = {}
        for document, owner in zip(documents, owners, strict=True):
            recorded = answers.setdefault(id(owner), [])
            recorded.append(
                RecordedEvent(
                    id=document["_id"],
                    stream_id=owner.stream_id,
                    stream_type=document["streamType"],
                    version=document["version"],
                    position=document["position"],
                    recorded_at=document["recordedAt"],
                    event=owner.events[len(recorded)],
                    metadata=dict(owner.metadata),
                )
            )
        self._head = _Head(documents[-1]["position"], documents[-1]["recordedAt"])
        written = {owner.stream_id: owner.expected_version + len(owner.events) for owner in owners}
        for owner in owners:
            owner.succeed(answers[id(owner)])
        refuse_stale(self._waiting, written)
        self._appended.notify()

    async def _read_head(self) -> _Head:
        if self._head is None:
            self._head = await self._last()
        return self._head

    async def _last(self) -> _Head:
        last = await self._events.find_one(
            {}, projection={"position": 1, "recordedAt": 1}, sort=[("position", DESCENDING)]
        )
        return _Head(int(last["position"]), last["recordedAt"]) if last else NO_EVENTS

    async def head(self) -> int:
        return (await self._last()).position

    async def _insert(self, documents: list[Document], whole: bool) -> None:
        """`whole`: a command of several events is among them, so the group needs a transaction. Groups
        of single-event commands need none: an ordered insert lands a prefix of them, which keeps the
        positions dense, and costs one round trip where a transaction costs two."""
        if len(documents) == 1:
            await self._events.insert_one(documents[0])
            return
        if not whole:
            await self._events.insert_many(documents, ordered=True)
            return

        async def insert_all(session: AsyncClientSession) -> None:
            await self._events.insert_many(documents, session=session)

        async with self._client.start_session() as session:
            await session.with_transaction(insert_all, write_concern=self._write_concern)

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
        return await decode_page([document async for document in cursor], self.decoder, self.sealer)

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
        for recorded in await decode_page([document async for document in cursor], self.decoder, self.sealer):
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
        cursor = self._committed.find(query, sort=[("position", ASCENDING)], limit=limit)
        return await decode_page([document async for document in cursor], self.decoder, self.sealer)

    async def position_before(self, instant: datetime) -> int:
        found = await self._committed.find_one(
            {"recordedAt": {"$lt": instant}},
            projection={"position": 1, "_id": 0},
            sort=[("recordedAt", DESCENDING), ("position", DESCENDING)],
        )
        return int(found["position"]) if found else 0

    async def ping(self) -> None:
        await self._client.admin.command("ping")

    async def close(self) -> None:
        if self._writer is not None:
            # The appends already waiting get their answers before the connection goes.
            await asyncio.gather(self._writer, return_exceptions=True)
        await self._client.close()
