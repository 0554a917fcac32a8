"""The event store on SQLite: an `events` table whose autoincrement key is the global position."""

import json
import sqlite3
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Self, Unpack
from uuid import UUID

from domain.events import Event
from store.decoding import EventDecoder
from store.events import Clock, RecordedEvent, StreamBounds, StreamVersionConflict, system_clock
from store.signal import AppendSignal
from store.sqlite.connection import SqliteConnection, transaction
from store.sqlite.recent_events import RecentEvents
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    stream_id TEXT NOT NULL,
    stream_type TEXT NOT NULL,
    version INTEGER NOT NULL,
    type TEXT NOT NULL,
    schema_version INTEGER NOT NULL,
    data TEXT NOT NULL,
    metadata TEXT NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (stream_id, version)
);
CREATE INDEX IF NOT EXISTS events_recorded_at ON events (recorded_at);
CREATE INDEX IF NOT EXISTS events_type_position ON events (type, position);
CREATE INDEX IF NOT EXISTS events_stream_type_position ON events (stream_type, position);
CREATE TRIGGER IF NOT EXISTS events_are_immutable_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
CREATE TRIGGER IF NOT EXISTS events_are_immutable_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are immutable'); END;
"""

COLUMNS = "position, id, stream_id, stream_type, version, type, schema_version, data, metadata, recorded_at"

Row = tuple[int, str, str, str, int, str, int, str, str, int]


def _to_micros(instant: datetime) -> int:
    delta = instant - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _from_micros(micros: int) -> datetime:
    return datetime.fromtimestamp(micros // 1_000_000, UTC).replace(microsecond=micros % 1_000_000)


def _decoding(decoder: EventDecoder) -> Callable[[Row], RecordedEvent]:
    def decode(row: Row) -> RecordedEvent:
        position, event_id, stream_id, stream_type, version, type_name, schema_version = row[:7]
        data, metadata, recorded_at = row[7:]
        return RecordedEvent(
            id=UUID(event_id),
            stream_id=UUID(stream_id),
            stream_type=stream_type,
            version=version,
            position=position,
            recorded_at=_from_micros(recorded_at),
            event=decoder.from_json(type_name, schema_version, data),
            metadata=json.loads(metadata),
        )

    return decode


def _insert(
    connection: sqlite3.Connection,
    stream_id: UUID,
    version: int,
    event: Event,
    metadata: Mapping[str, str],
    recorded_at: int,
) -> RecordedEvent:
    event_id = uuid.uuid4()
    cursor = connection.execute(
        "INSERT INTO events (id, stream_id, stream_type, version, type, schema_version,"
        " data, metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            str(event_id),
            str(stream_id),
            event.stream_type,
            version,
            event.type_name,
            event.schema_version,
            json.dumps(event.to_json_data()),
            json.dumps(dict(metadata)),
            recorded_at,
        ),
    )
    assert cursor.lastrowid is not None
    return RecordedEvent(
        id=event_id,
        stream_id=stream_id,
        stream_type=event.stream_type,
        version=version,
        position=cursor.lastrowid,
        recorded_at=_from_micros(recorded_at),
        event=event,
        metadata=dict(metadata),
    )


@raises_unavailable(is_away)
class SqliteEventStore:
    def __init__(
        self,
        path: Path,
        appended: AppendSignal,
        decoder: EventDecoder,
        clock: Clock = system_clock,
        lock_seconds: float = 30.0,
    ) -> None:
        self.path = path
        self._appended = appended
        self._clock = clock
        self._writer = SqliteConnection(path, "writer", lock_seconds)
        self._reader = SqliteConnection(path, "reader", lock_seconds)
        self._decode = _decoding(decoder)
        self._recent = RecentEvents(self._decode)

    @classmethod
    async def open(
        cls,
        path: Path,
        appended: AppendSignal,
        decoder: EventDecoder,
        clock: Clock = system_clock,
        lock_seconds: float = 30.0,
    ) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path, appended, decoder, clock, lock_seconds)
        await store._writer.run(lambda connection: connection.executescript(SCHEMA))
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

        def write(connection: sqlite3.Connection) -> list[RecordedEvent]:
            (current,) = connection.execute(
                "SELECT coalesce(max(version), 0) FROM events WHERE stream_id = ?", (str(stream_id),)
            ).fetchone()
            if current != expected_version:
                raise StreamVersionConflict(stream_id, expected_version)
            recorded_at = self._next_recorded_at(connection)
            return [
                _insert(connection, stream_id, expected_version + offset, event, metadata, recorded_at)
                for offset, event in enumerate(events, start=1)
            ]

        recorded = await self._writer.run(transaction(write))
        self._appended.notify()
        return recorded

    def _next_recorded_at(self, connection: sqlite3.Connection) -> int:
        """Now, unless the log's last event is later: recordedAt never runs backwards along the log,
        even if the clock does, so that "the events recorded at or before T" is a prefix of each stream."""
        last = connection.execute("SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1").fetchone()
        return max(_to_micros(self._clock()), last[0] if last else 0)

    async def read_stream(self, stream_id: UUID, **bounds: Unpack[StreamBounds]) -> list[RecordedEvent]:
        after_version, to_version = bounds.get("after_version", 0), bounds.get("to_version")
        as_of, limit = bounds.get("as_of"), bounds.get("limit")
        sql = f"SELECT {COLUMNS} FROM events WHERE stream_id = ? AND version > ?"
        params: list[object] = [str(stream_id), after_version]
        if after_position := bounds.get("after_position", 0):
            sql += " AND position > ?"
            params.append(after_position)
        if to_version is not None:
            sql += " AND version <= ?"
            params.append(to_version)
        if as_of is not None:
            sql += " AND recorded_at <= ?"
            params.append(_to_micros(as_of))
        sql += " ORDER BY version LIMIT ?"
        params.append(-1 if limit is None else limit)
        rows = await self._reader.run(lambda connection: connection.execute(sql, params).fetchall())
        return [self._decode(row) for row in rows]

    async def read_streams(self, stream_ids: Sequence[UUID]) -> dict[UUID, list[RecordedEvent]]:
        ids = sorted({str(stream_id) for stream_id in stream_ids})
        if not ids:
            return {}
        sql = (
            f"SELECT {COLUMNS} FROM events WHERE stream_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY stream_id, version"
        )
        rows = await self._reader.run(lambda connection: connection.execute(sql, ids).fetchall())
        streams: dict[UUID, list[RecordedEvent]] = {}
        for row in rows:
            recorded = self._decode(row)
            streams.setdefault(recorded.stream_id, []).append(recorded)
        return streams

    async def read_all(
        self,
        after_position: int = 0,
        limit: int = 100,
        types: Collection[str] | None = None,
        stream_types: Collection[str] | None = None,
    ) -> list[RecordedEvent]:
        sql = f"SELECT {COLUMNS} FROM events WHERE position > ?"
        params: list[object] = [after_position]
        for column, wanted in (("type", types), ("stream_type", stream_types)):
            if wanted is not None:
                sql += f" AND {column} IN ({', '.join('?' * len(wanted))})"
                params += sorted(wanted)
        sql += " ORDER BY position LIMIT ?"
        params.append(limit)
        rows: list[Row] = await self._reader.run(
            lambda connection: connection.execute(sql, params).fetchall()
        )
        return [self._recent.decoded(row[0], row) for row in rows]

    async def head(self) -> int:
        row = await self._reader.run(
            lambda connection: connection.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()
        )
        return int(row[0])

    async def ping(self) -> None:
        await self._reader.run(lambda connection: connection.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        await self._writer.close()
        await self._reader.close()
