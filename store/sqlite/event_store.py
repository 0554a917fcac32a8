"""The event store on SQLite: an `events` table whose integer key is the global position.

Grouped appends (group commit): each append queues its command and lets the loop turn once, so the
appends other tasks make at that moment queue too; the first caller back writes every command waiting
in one transaction (BEGIN IMMEDIATE ... COMMIT), so concurrent callers share one commit. A command
whose expected version does not hold fails alone (StreamVersionConflict), nothing of it written; the
others land. The transaction first trusts the head this store last wrote or read: the primary key on
position refuses a stale head (another process wrote since) and the unique (stream, version) index a
stale command, so only a command ahead of its stream (its expected version does not exist) is looked
up. If a key refused anything, the transaction is rolled back and run again reading each stream's
version (one query for the group) and the head under the write lock. Either way positions follow the
head densely, in commit order, and recordedAt is the later of the clock and the head's, so it never
runs backwards along the log, whichever process or clock wrote before. The immutability triggers
refuse updates and deletes.

Where the work runs: a transaction that would wait for nothing runs on the event loop's thread, on a
connection whose busy timeout is 0. In WAL mode with synchronous=NORMAL a commit appends to the log
file through the OS's cache without an fsync, so it costs about what a function call does, less than
the hop to a worker thread and back that it replaces. What can wait goes to the worker threads: a
group whose write lock another connection holds (another process, or this process's document store)
runs on the writer thread, which waits up to `lock_seconds` for it; the checkpoints, which fsync, are
off on the loop's connection (wal_autocheckpoint=0) and run on the writer thread every
CHECKPOINT_EVENTS events. Reads run on the loop too (reading a page of the log takes a fraction of
the time decoding it does, which ran on the loop already), falling back to the reader thread if they
would wait.
"""

import asyncio
import sqlite3
import time
from collections import deque
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Self, Unpack
from uuid import UUID, SafeUUID

import orjson
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from domain.events import Event, UndecodedEvent
from store.decoding import EventDecoder, Keys
from store.events import Clock, RecordedEvent, StreamBounds, recorded_event, system_clock
from store.grouping import PendingAppend, refuse_stale, take_group
from store.ids import uuid4
from store.sealing import SEALED_TYPES, Payload, SealedText, Sealer, sealed_subject, sealed_text
from store.signal import AppendSignal
from store.sqlite.connection import (
    Checkpoints,
    SqliteConnection,
    connect_inline,
    is_busy,
    read_inline_or,
    transaction,
)
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

MAX_GROUP_EVENTS = 1_000
"""Events written in one transaction at most: far above what waits at once, and it keeps the write
lock short for the other connections to the file."""
CHECKPOINT_EVENTS = 125
"""Events written on the loop's connection between two checkpoints on the writer thread. An event
appended alone writes about eight pages to the log in a database made before the schema below
dropped two of them (the table, its indexes, the autoincrement counter, the header), about six in one
made since, so this is at most SQLite's own auto-checkpoint threshold of 1,000 pages: no more commits
wait in the log for an fsync than with SQLite's default."""

INLINE_READ_LIMIT = 1_000
"""Pages of the log up to this many events are read on the loop's own connection (`_read`)."""

# Every page an append dirties is written to the log at its commit, so the table keeps only the
# indexes its reads use. `position` is given by the appender and no event is ever deleted (the
# triggers), so AUTOINCREMENT's counter, one more page per commit, could never prevent a reuse. Event
# ids are random version 4 UUIDs the store makes itself, never a caller's, so a UNIQUE index on them,
# another page per commit, would only guard against 122 random bits repeating. Databases made with
# either keep them: both schemas read and write the same rows.
SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    position INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
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


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
INSERT = f"INSERT INTO events ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
HEAD = "SELECT position, recorded_at FROM events ORDER BY position DESC LIMIT 1"


def _to_micros(instant: datetime) -> int:
    delta = instant - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


_new = object.__new__
# UUID's own __setattr__ refuses every assignment: its slots are set through their descriptors.
_set_int = vars(UUID)["int"].__set__
_set_is_safe = vars(UUID)["is_safe"].__set__
_UNKNOWN = SafeUUID.unknown
STREAM_IDS_KEPT = 10_000


def _uuid(text: str) -> UUID:
    """UUID(text) without its argument checks, which cost as much as the rest of decoding a row's
    fields: the text is one this store wrote from a UUID."""
    parsed = _new(UUID)
    _set_int(parsed, int(text.replace("-", ""), 16))
    _set_is_safe(parsed, _UNKNOWN)
    return parsed


def _json_payload(event: Event) -> Payload:
    return event.model_dump(mode="json")


type Found = SealedText | Payload
"""A sealed payload as found in a page: cut into its pieces (nearly always), else parsed."""


def _parsed(row: Row) -> tuple[Payload, UUID] | None:
    """A row's sealed payload parsed, and the customer whose key opens it; None for one that is not
    JSON or holds no sealed object: the decoding step reports why it cannot be read."""
    try:
        data = orjson.loads(row[7])
    except orjson.JSONDecodeError:
        return None
    subject = sealed_subject(row[5], row[6], data)
    return None if subject is None else (data, subject)


def _sealed(rows: Sequence[Row]) -> tuple[dict[int, Found], dict[str, UUID]]:
    """A page's sealed payloads (by position), found so that decoding does not look for them again,
    and the customers whose keys open them, by their id as stored: a string hashes once and compares
    in C, where a UUID does both in Python, once per event."""
    found: dict[int, Found] = {}
    subjects: dict[str, UUID] = {}
    for row in rows:
        if SEALED_TYPES.get(row[5]) != row[6]:
            # Not sealed: in plaintext at a version before, or of a type that holds nothing personal.
            continue
        text = row[7]
        pieces = sealed_text(text) if isinstance(text, str) else None
        if pieces is not None:
            found[row[0]] = pieces
            subjects[pieces[1]] = pieces[0]
        elif parsed := _parsed(row):
            found[row[0]] = parsed[0]
            subjects[str(parsed[1])] = parsed[1]
    return found, subjects


type PageDecoder = Callable[[Sequence[Row], Keys, dict[int, Found], dict[str, UUID]], list[RecordedEvent]]


def _decoding(decoder: EventDecoder) -> PageDecoder:
    from_json = decoder.reading_json()
    from_sealed = decoder.reading_sealed()
    from_data = decoder.from_data
    # A stream's events come together (a stream, a page of the log through one burst of commands):
    # its id is parsed once.
    stream_ids: dict[str, UUID] = {}

    def reparsed(row: Row, keys: Keys, ciphers: dict[bytes, AESGCM]) -> Event | UndecodedEvent:
        """A sealed payload whose text did not say: read as it was before its text was cut."""
        _, _, _, _, _, type_name, schema_version, data, _, _ = row
        parsed = _parsed(row)
        if parsed is None:
            return from_json(type_name, schema_version, data, keys)
        return from_data(type_name, schema_version, parsed[0], keys=keys, ciphers=ciphers)

    def decode(
        rows: Sequence[Row], keys: Keys, found: dict[int, Found], subjects: dict[str, UUID]
    ) -> list[RecordedEvent]:
        keyed = {whose: keys.get(subject) for whose, subject in subjects.items()}
        ciphers: dict[bytes, AESGCM] = {}
        # The events of a group and of a command share their instant, and those of a command (or of a
        # whole seeded history) their metadata: each is decoded once while it repeats. Events share
        # the metadata mapping then, as those of one append do.
        micros, recorded_at = 0, EPOCH
        metadata_text, metadata = "", {}
        decoded = []
        for row in rows:
            position, event_id, stream_id, stream_type, version, type_name, schema_version, data, meta, at = (
                row
            )
            stream = stream_ids.get(stream_id)
            if stream is None:
                if len(stream_ids) >= STREAM_IDS_KEPT:
                    stream_ids.clear()
                stream = stream_ids[stream_id] = _uuid(stream_id)
            if micros != at:
                micros, recorded_at = at, EPOCH + timedelta(0, 0, at)
            if meta != metadata_text:
                metadata_text, metadata = meta, orjson.loads(meta)
            sealed = found.get(position)
            event: Event | UndecodedEvent | None
            if sealed is None:
                event = from_json(type_name, schema_version, data, keys)
            elif isinstance(sealed, dict):
                event = from_data(type_name, schema_version, sealed, keys=keys, ciphers=ciphers)
            else:
                event = from_sealed(type_name, sealed, keyed[sealed[1]], ciphers)
                if event is None:
                    event = reparsed(row, keys, ciphers)
            decoded.append(
                recorded_event(
                    _uuid(event_id), stream, stream_type, version, position, recorded_at, event, metadata
                )
            )
        return decoded

    return decode


type Written = list[tuple[PendingAppend, list[RecordedEvent]]]


def _versions(connection: sqlite3.Connection, group: Sequence[PendingAppend]) -> dict[str, int]:
    ids = [str(pending.stream_id) for pending in group]
    rows = connection.execute(
        f"SELECT stream_id, max(version) FROM events WHERE stream_id IN ({', '.join('?' * len(ids))})"
        " GROUP BY stream_id",
        ids,
    ).fetchall()
    return dict(rows)


def _rows(
    group: Sequence[PendingAppend], position: int, recorded_at: int
) -> tuple[list[tuple[object, ...]], Written]:
    """The rows to insert from `position` + 1 on, and what each command is answered."""
    rows: list[tuple[object, ...]] = []
    written: Written = []
    at = EPOCH + timedelta(0, 0, recorded_at)
    for pending in group:
        stream = str(pending.stream_id)
        metadata = dict(pending.metadata)
        encoded_metadata = orjson.dumps(metadata).decode()
        recorded = []
        stored = pending.stored or [None] * len(pending.events)
        for (version, event), as_stored in zip(
            enumerate(pending.events, start=pending.expected_version + 1), stored, strict=True
        ):
            position += 1
            event_id = uuid4()
            schema_version, data = (
                (event.schema_version, event.model_dump_json())
                if as_stored is None
                else (as_stored[0], orjson.dumps(as_stored[1]).decode())
            )
            rows.append(
                (
                    position,
                    str(event_id),
                    stream,
                    event.stream_type,
                    version,
                    event.type_name,
                    schema_version,
                    data,
                    encoded_metadata,
                    recorded_at,
                )
            )
            recorded.append(
                recorded_event(
                    event_id, pending.stream_id, event.stream_type, version, position, at, event, metadata
                )
            )
        written.append((pending, recorded))
    return rows, written


Head = tuple[int, int]
"""The last event's position and recordedAt (microseconds)."""
type Outcome = tuple[Written, list[PendingAppend]]
"""What landed, and the commands whose expected version did not hold (nothing of theirs did)."""
type Transaction = Callable[[sqlite3.Connection], tuple[Written, list[PendingAppend], Head]]


def _inserted(
    connection: sqlite3.Connection, group: Sequence[PendingAppend], head: Head, clock: Clock
) -> tuple[Written, Head]:
    position, last_recorded_at = head
    # The system clock read as an integer: the same instant without building and converting a datetime.
    now = time.time_ns() // 1_000 if clock is system_clock else _to_micros(clock())
    recorded_at = max(now, last_recorded_at)
    rows, written = _rows(group, position, recorded_at)
    if len(rows) == 1:
        connection.execute(INSERT, rows[0])
    else:
        connection.executemany(INSERT, rows)
    return written, (position + len(rows), recorded_at)


def _trusting(group: Sequence[PendingAppend], head: Head, clock: Clock) -> Transaction:
    """Without reading what the unique keys check anyway: a position after a stale head is taken, and
    so is the next version of a stream a stale command expects (IntegrityError, rolled back). Only a
    command ahead of its stream needs looking up."""

    def write(connection: sqlite3.Connection) -> tuple[Written, list[PendingAppend], Head]:
        stale = [p for p in group if p.expected_version and not _has(connection, p)]
        kept = [p for p in group if all(p is not s for s in stale)] if stale else group
        if not kept:
            return [], stale, head
        written, after = _inserted(connection, kept, head, clock)
        return written, stale, after

    return write


def _has(connection: sqlite3.Connection, pending: PendingAppend) -> bool:
    return (
        connection.execute(
            "SELECT 1 FROM events WHERE stream_id = ? AND version = ?",
            (str(pending.stream_id), pending.expected_version),
        ).fetchone()
        is not None
    )


def _checked(group: Sequence[PendingAppend], clock: Clock) -> Transaction:
    """Reading each stream's version (one query for the group) and the head, under the write lock."""

    def write(connection: sqlite3.Connection) -> tuple[Written, list[PendingAppend], Head]:
        versions = _versions(connection, group)
        kept = [p for p in group if versions.get(str(p.stream_id), 0) == p.expected_version]
        stale = [p for p in group if versions.get(str(p.stream_id), 0) != p.expected_version]
        head: Head = connection.execute(HEAD).fetchone() or (0, 0)
        if not kept:
            return [], stale, head
        written, after = _inserted(connection, kept, head, clock)
        return written, stale, after

    return write


@raises_unavailable(is_away)
class SqliteEventStore:
    def __init__(
        self,
        path: Path,
        appended: AppendSignal,
        decoder: EventDecoder,
        sealer: Sealer,
        clock: Clock = system_clock,
        lock_seconds: float = 30.0,
    ) -> None:
        self.path = path
        self._sealer = sealer
        self._appended = appended
        self._clock = clock
        self._writer = SqliteConnection(path, "writer", lock_seconds)
        self._reader = SqliteConnection(path, "reader", lock_seconds)
        self._inline = connect_inline(path, lock_seconds)
        self._checkpoints = Checkpoints(self._writer, CHECKPOINT_EVENTS)
        self._decode = _decoding(decoder)
        self._waiting: deque[PendingAppend] = deque()
        self._writing: asyncio.Task[None] | None = None
        self._head: Head | None = None

    @classmethod
    async def open(
        cls,
        path: Path,
        appended: AppendSignal,
        decoder: EventDecoder,
        sealer: Sealer,
        clock: Clock = system_clock,
        lock_seconds: float = 30.0,
    ) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(path, appended, decoder, sealer, clock, lock_seconds)
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
        # Without personal fields, or with the customer's key found at once, this does not wait: the
        # append still joins the group of its moment.
        answer = await PendingAppend.sealed(
            self._sealer, _json_payload, self._queue, stream_id, expected_version, events, metadata
        )
        # One turn of the loop: the appends other tasks make at this moment join this one's group and
        # share its commit. The first caller back writes the group for all, unless the writer task has
        # it (it is waiting for another connection's lock on the writer thread).
        try:
            await asyncio.sleep(0)
        except asyncio.CancelledError:
            # Not written yet, and now never: the groups leave out what is done.
            answer.cancel()
            raise
        if not answer.done() and (self._writing is None or self._writing.done()):
            self._write_now()
        return await answer

    def _queue(self, pending: PendingAppend) -> asyncio.Future[list[RecordedEvent]]:
        self._waiting.append(pending)
        return pending.answer

    def _write_now(self) -> None:
        """Write what waits on this thread; what would wait for the lock goes to the writer task. No
        await in between, so a caller cancelled meanwhile cannot leave the others unanswered."""
        while group := take_group(self._waiting, MAX_GROUP_EVENTS):
            try:
                outcome = self._write_inline(group)
            except sqlite3.OperationalError as error:
                if not is_busy(error):
                    self._fail(group, error)
                    continue
                self._waiting.extendleft(reversed(group))
                self._writing = asyncio.create_task(self._write_waiting())
                return
            except Exception as error:  # noqa: BLE001 - each waiting caller gets it, as if it wrote alone
                self._fail(group, error)
                continue
            self._answer(*outcome)

    async def _write_waiting(self) -> None:
        """The writer task: each group on this thread if it can, else on the writer thread, which waits
        up to `lock_seconds` for the lock."""
        while group := take_group(self._waiting, MAX_GROUP_EVENTS):
            try:
                try:
                    outcome = self._write_inline(group)
                except sqlite3.OperationalError as error:
                    if not is_busy(error):
                        raise
                    outcome = await self._writer.run(self._writing_group(group))
            except Exception as error:  # noqa: BLE001 - each waiting caller gets it, as if it wrote alone
                self._fail(group, error)
                continue
            self._answer(*outcome)

    @staticmethod
    def _fail(group: Sequence[PendingAppend], error: Exception) -> None:
        for pending in group:
            pending.fail(error)

    def _answer(self, written: Written, stale: Sequence[PendingAppend]) -> None:
        for pending in stale:
            pending.conflict()
        for pending, recorded in written:
            pending.succeed(recorded)
        if written:
            versions = {
                pending.stream_id: pending.expected_version + len(pending.events) for pending, _ in written
            }
            refuse_stale(self._waiting, versions)
            self._appended.notify()

    def _writing_group(self, group: Sequence[PendingAppend]) -> Callable[[sqlite3.Connection], Outcome]:
        """The group's transaction, first trusting the head this store last wrote or read; if anything
        collided (another process wrote since, or a command is stale), again, reading what it trusted."""

        def write(connection: sqlite3.Connection) -> Outcome:
            head, self._head = self._head, None
            if head is not None:
                try:
                    written, stale, self._head = transaction(_trusting(group, head, self._clock))(connection)
                    return written, stale
                except sqlite3.IntegrityError:
                    pass
            written, stale, self._head = transaction(_checked(group, self._clock))(connection)
            return written, stale

        return write

    def _write_inline(self, group: Sequence[PendingAppend]) -> Outcome:
        """The group on the loop's connection; SQLITE_BUSY at once if another connection has the lock."""
        outcome = self._writing_group(group)(self._inline)
        self._checkpoints.wrote(sum(len(pending.events) for pending, _ in outcome[0]))
        return outcome

    async def _read[T](self, work: Callable[[sqlite3.Connection], T]) -> T:
        """On the loop's connection (a page of the log takes less time to read than to decode, which
        runs on the loop anyway), or on the reader thread if it would wait for a lock."""
        return await read_inline_or(self._inline, self._reader, work)

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
        rows = await self._read(lambda connection: connection.execute(sql, params).fetchall())
        return await self._decoded(rows)

    async def _decoded(self, rows: Sequence[Row]) -> list[RecordedEvent]:
        """A page's events, opened with its keys looked up in one go."""
        found, subjects = _sealed(rows)
        keys = await self._sealer.keys_of(set(subjects.values()))
        return self._decode(rows, keys, found, subjects)

    async def read_streams(self, stream_ids: Sequence[UUID]) -> dict[UUID, list[RecordedEvent]]:
        ids = sorted({str(stream_id) for stream_id in stream_ids})
        if not ids:
            return {}
        sql = (
            f"SELECT {COLUMNS} FROM events WHERE stream_id IN ({', '.join('?' * len(ids))})"
            " ORDER BY stream_id, version"
        )
        rows = await self._read(lambda connection: connection.execute(sql, ids).fetchall())
        streams: dict[UUID, list[RecordedEvent]] = {}
        for recorded in await self._decoded(rows):
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

        def read(connection: sqlite3.Connection) -> list[Row]:
            return connection.execute(sql, params).fetchall()

        # A catch-up's page is read on the reader thread, meanwhile the loop applies the last one.
        rows = await (self._reader.run(read) if limit > INLINE_READ_LIMIT else self._read(read))
        return await self._decoded(rows)

    async def position_before(self, instant: datetime) -> int:
        # The recorded_at index holds the position too (the rowid): the first entry below the instant,
        # read backwards, is the answer.
        sql = (
            "SELECT position FROM events WHERE recorded_at < ?"
            " ORDER BY recorded_at DESC, position DESC LIMIT 1"
        )
        micros = _to_micros(instant)
        row = await self._read(lambda connection: connection.execute(sql, (micros,)).fetchone())
        return int(row[0]) if row else 0

    async def head(self) -> int:
        row = await self._read(
            lambda connection: connection.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()
        )
        return int(row[0])

    async def pragmas(self) -> tuple[str, str]:
        """The appending connection's journal mode and synchronous setting, as SQLite reports them (for
        the benchmark that states the durability it measured at)."""

        def read(connection: sqlite3.Connection) -> tuple[str, str]:
            (mode,) = connection.execute("PRAGMA journal_mode").fetchone()
            (synchronous,) = connection.execute("PRAGMA synchronous").fetchone()
            return str(mode), {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}.get(
                synchronous, str(synchronous)
            )

        return read(self._inline)

    async def ping(self) -> None:
        await self._reader.run(lambda connection: connection.execute("SELECT 1").fetchone())

    async def close(self) -> None:
        # The appends already waiting get their answers before the connections go.
        if self._writing is not None:
            await asyncio.gather(self._writing, return_exceptions=True)
        await self._checkpoints.settle()
        self._inline.close()
        await self._writer.close()
        await self._reader.close()
