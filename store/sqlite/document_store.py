"""The document store on SQLite: a table `doc_<name>` per collection, each document a JSON body.

`_id` and `_position` live in columns of their own, which are what queries and reads use; the JSON
`body` is the whole document. JSON has no Decimal or datetime, so they are tagged:
{"$decimal": "19.90"}, and {"$date": "...+00:00"} with a fixed-width UTC ISO string, so that the JSON
text of two dates sorts as the instants do. Equality, range and sort compare
json_extract(body, '$.field'), which is what the declared indexes hold, with the query value encoded
the same way. Decimals therefore compare as text: equality holds only for the same written form
("19.90" is not "19.9"), and sort or range on a Decimal field is not supported.

A collection's `words` are a table of (word, document) beside it, kept in step with the documents
by triggers, so that a write and its words commit together: a whole word is one key of its primary
key, the start of a word one range of it.

As on MongoDB, a collection that does not exist reads as empty and the first write creates it;
`ensure` adds its indexes and words table.
"""

import asyncio
import json
import logging
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Self

import orjson

from store.documents import (
    Collection,
    Document,
    Query,
    Words,
    collection_name,
    field_name,
)
from store.sqlite.connection import Checkpoints, SqliteConnection, transaction
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

COLUMNS = {"_id": "id", "_position": "position"}
IN_IDS = "id IN (SELECT value FROM json_each(?))"
"""The ids as one JSON array parameter: SQLite caps the number of parameters of a statement."""

Row = tuple[str, int, str]

logger = logging.getLogger("eventfold.store")

CHECKPOINT_DOCUMENTS = 2_000
"""Documents written between two checkpoints: about as many pages of the log as SQLite's own
auto-checkpoint threshold of 1,000."""
TRUNCATE_ATTEMPTS = 10
TRUNCATE_RETRY_SECONDS = 0.5


def _table(collection: str) -> str:
    return f"doc_{collection_name(collection)}"


def _text_table(table: str) -> str:
    """The FTS5 table that releases before words kept beside a collection searched by text."""
    return f"{table}:text"


def _words_table(table: str) -> str:
    # The colon keeps it clear of every other name.
    return f"{table}:words"


def _words_index(table: str, field: str) -> list[str]:
    """A collection's table of words, the triggers that keep it in step, and its first filling."""
    words = _words_table(table)
    path = f"'$.{field_name(field)}'"

    add = (
        f'INSERT OR IGNORE INTO "{words}" (word, seq) SELECT value, new.seq'
        f" FROM json_each(new.body, {path}) WHERE type = 'text'"
    )

    remove = (
        f'DELETE FROM "{words}" WHERE seq = old.seq'
        f" AND word IN (SELECT value FROM json_each(old.body, {path}) WHERE type = 'text')"
    )
    # Most writes leave a document's words as they were: its table is then not written at all.
    changed = f"json_extract(old.body, {path}) IS NOT json_extract(new.body, {path})"
    return [
        f'CREATE TABLE "{words}" (word TEXT NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (word, seq))'
        " WITHOUT ROWID",
        f'CREATE TRIGGER "{words}:insert" AFTER INSERT ON {table} BEGIN {add}; END',
        f'CREATE TRIGGER "{words}:update" AFTER UPDATE ON {table} WHEN {changed} BEGIN {remove}; {add}; END',
        f'CREATE TRIGGER "{words}:delete" AFTER DELETE ON {table} BEGIN {remove}; END',
        # Documents stored before the collection had words are found too.
        f'INSERT OR IGNORE INTO "{words}" (word, seq) SELECT value, seq'
        f" FROM {table}, json_each({table}.body, {path}) WHERE type = 'text'",
    ]


def _after(prefix: str) -> str:
    """The first text after every word that starts with `prefix` (SQLite compares text as UTF-8 bytes,
    which order as code points do)."""
    following = ord(prefix[-1]) + 1
    # A surrogate cannot be encoded: the next character that can be follows them.
    following = 0xE000 if 0xD800 <= following <= 0xDFFF else following
    return prefix[:-1] + chr(following)


def _word_conditions(table: str, words: Words) -> tuple[list[str], list[object]]:
    found = f'SELECT seq FROM "{_words_table(table)}" WHERE'
    conditions = [f"seq IN ({found} word = ?)" for _ in words.whole]
    conditions += [f"seq IN ({found} word >= ? AND word < ?)" for _ in words.prefixes]
    params: list[object] = [*words.whole, *(bound for p in words.prefixes for bound in (p, _after(p)))]
    return conditions, params


def _expression(field: str) -> str:
    return COLUMNS.get(field) or f"json_extract(body, '$.{field_name(field)}')"


def _create_table(table: str) -> str:
    # An explicit INTEGER PRIMARY KEY: VACUUM may renumber an implicit rowid, and the words table
    # refers to rows by it.
    return (
        f"CREATE TABLE IF NOT EXISTS {table} (seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,"
        " position INTEGER NOT NULL, body TEXT NOT NULL)"
    )


def _ending_with_id(fields: tuple[str, ...]) -> tuple[str, ...]:
    return fields if "_id" in fields else (*fields, "_id")


def _instant(value: datetime) -> str:
    if value.utcoffset() is None:
        raise ValueError(f"datetime {value} has no time zone")
    return value.astimezone(UTC).isoformat(timespec="microseconds")


def _tag(value: object) -> dict[str, str]:
    if isinstance(value, Decimal):
        return {"$decimal": str(value)}
    if isinstance(value, datetime):
        return {"$date": _instant(value)}
    raise TypeError(f"a document cannot hold a {type(value).__name__}")


INSTANTS_KEPT = 1 << 16
"""More instants than a catch-up batch holds events: a batch writes each event's instant into every
document it changes and into their history versions, for every read model."""


class _Tags(dict[object, dict[str, str]]):
    """The tagged form of each instant, by value, which orjson looks up through `dict.__getitem__`
    without a Python call: encoding is much of what a projection batch costs, and calling back into
    Python for every datetime was half of it. Equal instants have one UTC form whatever their zone."""

    def __missing__(self, value: object) -> dict[str, str]:
        tagged = _tag(value)
        # Decimals are not kept: equal ones may be written differently ("19.9" and "19.90").
        if isinstance(value, datetime):
            if len(self) >= INSTANTS_KEPT:
                self.clear()
            self[value] = tagged
        return tagged


_tagged = _Tags().__getitem__


def _untag(value: dict[str, Any]) -> Any:
    if len(value) == 1:
        if "$decimal" in value:
            return Decimal(value["$decimal"])
        if "$date" in value:
            return datetime.fromisoformat(value["$date"])
    return value


def _encode(value: object) -> str:
    # Compact, as json_extract renders a tagged value, which a query value must equal as text. orjson,
    # because encoding is much of what a projection batch costs; datetimes pass through to be tagged.
    # Text, not bytes: SQLite would take a BLOB for its binary JSONB format.
    return orjson.dumps(value, default=_tagged, option=orjson.OPT_PASSTHROUGH_DATETIME).decode()


def _param(value: object) -> object:
    return _encode(value) if isinstance(value, Decimal | datetime) else value


def _decode(row: Row) -> Document:
    document_id, position, body = row
    return {"_id": document_id, "_position": position, **json.loads(body, object_hook=_untag)}


def _upsert(table: str) -> str:
    """Insert or replace the documents of one JSON array parameter. One statement for the whole batch
    rather than a row at a time: SQLite runs it in one step, without Python's lock, so the loop goes on
    evolving the next batch meanwhile (row by row, each row's bindings took the lock back from it)."""
    # `WHERE true` tells SQLite's parser that ON CONFLICT belongs to the INSERT, not to a join.
    return (
        f"INSERT INTO {table} (id, position, body)"
        " SELECT value ->> '_id', value ->> '_position', value FROM json_each(?) WHERE true"
        " ON CONFLICT (id) DO UPDATE SET position = excluded.position, body = excluded.body"
        f" WHERE excluded.position >= {table}.position"
    )


def _exists(connection: sqlite3.Connection, table: str) -> bool:
    return connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone() is not None


def _on_collection(
    connection: sqlite3.Connection, table: str, sql: str, params: Sequence[object]
) -> list[Row]:
    """Run `sql` on a collection's table: one never created holds nothing, as on MongoDB."""
    try:
        rows: list[Row] = connection.execute(sql, params).fetchall()
    except sqlite3.OperationalError as error:
        # Asking afterwards is not enough: the projector may create the table in between.
        if str(error) == f"no such table: {table}" or not _exists(connection, table):
            return []
        raise
    return rows


@raises_unavailable(is_away)
class SqliteDocumentStore:
    def __init__(self, path: Path, lock_seconds: float = 30.0) -> None:
        self.path = path
        self._writer = SqliteConnection(path, "documents-writer", lock_seconds, checkpoints=False)
        self._reader = SqliteConnection(path, "documents-reader", lock_seconds)
        # Copying the log back into the file, and its fsync, go on while the writer writes the next batch.
        self._checkpointer = SqliteConnection(path, "documents-checkpoints", lock_seconds)
        self._checkpoints = Checkpoints(self._checkpointer, CHECKPOINT_DOCUMENTS)

    @classmethod
    async def open(cls, path: Path, lock_seconds: float = 30.0) -> Self:
        path.parent.mkdir(parents=True, exist_ok=True)
        return cls(path, lock_seconds)

    async def ensure(self, collection: Collection) -> None:
        table = _table(collection.name)
        statements = [_create_table(table)]
        for fields in collection.indexes:
            # Every query orders by (sort, _id): ending the index with id spares SQLite sorting ties.
            keys = ", ".join(_expression(field) for field in _ending_with_id(fields))
            statements.append(f'CREATE INDEX IF NOT EXISTS "{table}.{".".join(fields)}" ON {table} ({keys})')
        words = _words_table(table)
        words_index = _words_index(table, collection.words[0]) if collection.words else []

        def create(connection: sqlite3.Connection) -> None:
            for statement in statements:
                connection.execute(statement)
            if words_index and not _exists(connection, words):
                for statement in words_index:
                    connection.execute(statement)

        await self._writer.run(transaction(create))

    async def get_many(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        if not ids:
            return {}
        table = _table(collection)
        sql = f"SELECT id, position, body FROM {table} WHERE {IN_IDS}"
        encoded = json.dumps(list(ids))
        rows = await self._reader.run(lambda connection: _on_collection(connection, table, sql, [encoded]))
        return {row[0]: _decode(row) for row in rows}

    async def find(self, collection: str, query: Query) -> list[Document]:
        table = _table(collection)
        conditions: list[str] = []
        params: list[object] = []
        for field, value in query.equals.items():
            if value is None:
                conditions.append(f"{_expression(field)} IS NULL")
            else:
                conditions.append(f"{_expression(field)} = ?")
                params.append(_param(value))
        if query.range is not None:
            for bound, operator in ((query.range.gte, ">="), (query.range.lte, "<=")):
                if bound is not None:
                    conditions.append(f"{_expression(query.range.field)} {operator} ?")
                    params.append(_param(bound))
        if query.holding is not None:
            holding = query.holding
            conditions.append(f"{_expression(holding.start)} <= ? AND {_expression(holding.end)} > ?")
            params += [_param(holding.instant), _param(holding.instant)]
        sort = _expression(query.sort)
        direction, beyond, from_ = ("DESC", "<", "<=") if query.descending else ("ASC", ">", ">=")
        if query.after is not None:
            value, last_id = query.after
            if sort == "id":
                conditions.append(f"id {beyond} ?")
            else:
                # The plain bound lets the index seek to the cursor; the row value skips the ties before it.
                conditions.append(f"{sort} {from_} ? AND ({sort}, id) {beyond} (?, ?)")
                params += [_param(value), _param(value)]
            params.append(last_id)
        if query.words is not None:
            found, found_params = _word_conditions(table, query.words)
            conditions += found
            params += found_params
        order = f"id {direction}" if sort == "id" else f"{sort} {direction}, id {direction}"
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        sql = f"SELECT id, position, body FROM {table}{where} ORDER BY {order} LIMIT ?"
        params.append(query.limit)

        def read(connection: sqlite3.Connection) -> list[Row]:
            try:
                return _on_collection(connection, table, sql, params)
            except sqlite3.OperationalError:
                # Words not declared (yet: a process of an earlier release made the collection)
                # find nothing, as on MongoDB, where its documents have no words either.
                if query.words is not None and not _exists(connection, _words_table(table)):
                    return []
                raise

        return [_decode(row) for row in await self._reader.run(read)]

    async def bulk_upsert(self, collection: str, documents: Sequence[Document]) -> None:
        await self.upsert_all({collection: documents})

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        # The body holds `_id` and `_position` too, which the statement reads back out of it.
        statements = [
            (_create_table(_table(collection)), _upsert(_table(collection)), _encode(list(documents)))
            for collection, documents in writes.items()
            if documents
        ]
        if not statements:
            return

        def write(connection: sqlite3.Connection) -> None:
            for create, upsert, documents in statements:
                # The first write creates the collection, as on MongoDB.
                connection.execute(create)
                connection.execute(upsert, (documents,))

        await self._writer.run(transaction(write))
        self._checkpoints.wrote(sum(len(documents) for documents in writes.values()))

    async def delete(self, collection: str, ids: Sequence[str]) -> None:
        if not ids:
            return
        table = _table(collection)
        sql = f"DELETE FROM {table} WHERE {IN_IDS}"
        encoded = json.dumps(list(ids))
        await self._writer.run(
            transaction(lambda connection: _on_collection(connection, table, sql, [encoded]))
        )

    async def drop(self, collection: str) -> None:
        table = _table(collection)

        def drop(connection: sqlite3.Connection) -> None:
            # The table takes its indexes and triggers with it; the words table, and the text table
            # of a collection from before words, are tables of their own.
            connection.execute(f'DROP TABLE IF EXISTS "{_text_table(table)}"')
            connection.execute(f'DROP TABLE IF EXISTS "{_words_table(table)}"')
            connection.execute(f"DROP TABLE IF EXISTS {table}")

        await self._writer.run(transaction(drop))

    async def scrub(self) -> None:
        def merge(connection: sqlite3.Connection) -> None:
            texts = connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
                " AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'"
            ).fetchall()
            for (text,) in texts:
                connection.execute(f'INSERT INTO "{text}" ("{text}") VALUES (\'optimize\')')

        await self._writer.run(transaction(merge))
        for _ in range(TRUNCATE_ATTEMPTS):
            # It waits (busy timeout) for the readers still on older pages of the log, but one that
            # keeps a transaction open longer leaves it busy: then again, once that one is done.
            (busy, _, _) = await self._writer.run(
                lambda connection: connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            )
            if not busy:
                return
            await asyncio.sleep(TRUNCATE_RETRY_SECONDS)
        logger.warning(
            "the SQLite write-ahead log stayed busy %d times: an erased customer's data may stay in %s-wal "
            "until the next erasure",
            TRUNCATE_ATTEMPTS,
            self.path,
        )

    async def close(self) -> None:
        await self._checkpoints.settle()
        await self._checkpointer.close()
        await self._writer.close()
        await self._reader.close()
