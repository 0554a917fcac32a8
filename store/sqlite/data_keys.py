"""Data keys on SQLite, in the same file as the events: a `data_keys` table, the key NULL once erased.

Reads run on the caller's thread on a connection of their own that never waits for a lock (a page's
lookup costs less than the hop to a worker thread would), falling back to the worker thread if it
would; making keys runs on the worker thread, in one transaction.
"""

import sqlite3
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Self
from uuid import UUID

from store.data_keys import new_key
from store.sqlite.connection import SqliteConnection, connect_inline, read_inline_or, transaction
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

# WITHOUT ROWID: one b-tree, keyed by the subject, where a rowid table would add an index: a key made
# writes half the pages.
SCHEMA = "CREATE TABLE IF NOT EXISTS data_keys (subject TEXT PRIMARY KEY, key BLOB) WITHOUT ROWID"
IN_SUBJECTS = "subject IN (SELECT value FROM json_each(?))"


def _as_json(subjects: Collection[UUID]) -> str:
    return "[" + ",".join(f'"{subject}"' for subject in subjects) + "]"


def _rows(connection: sqlite3.Connection, subjects: Collection[UUID]) -> dict[UUID, bytes | None]:
    if len(subjects) == 1:
        # A command's lookup: the plain equality, without going through json_each.
        [subject] = subjects
        row = connection.execute("SELECT key FROM data_keys WHERE subject = ?", (str(subject),)).fetchone()
        return {} if row is None else {subject: row[0]}
    rows = connection.execute(
        f"SELECT subject, key FROM data_keys WHERE {IN_SUBJECTS}", (_as_json(subjects),)
    ).fetchall()
    return {UUID(subject): key for subject, key in rows}


@raises_unavailable(is_away)
class SqliteDataKeys:
    def __init__(self, path: Path, lock_seconds: float = 30.0) -> None:
        self._writer = SqliteConnection(path, "data-keys", lock_seconds)
        self._inline = connect_inline(path, lock_seconds)

    @classmethod
    async def open(cls, path: Path, lock_seconds: float = 30.0) -> Self:
        store = cls(path, lock_seconds)
        await store._writer.run(lambda connection: connection.execute(SCHEMA))
        return store

    async def _read[T](self, work: Callable[[sqlite3.Connection], T]) -> T:
        return await read_inline_or(self._inline, self._writer, work)

    async def keys_for(self, subjects: Collection[UUID]) -> dict[UUID, bytes | None]:
        found = await self._read(lambda connection: _rows(connection, subjects))
        missing = [subject for subject in subjects if subject not in found]
        if not missing:
            return found

        def make(connection: sqlite3.Connection) -> dict[UUID, bytes | None]:
            # OR IGNORE: another process made one meanwhile, or erased the subject; either is kept.
            connection.executemany(
                "INSERT OR IGNORE INTO data_keys (subject, key) VALUES (?, ?)",
                [(str(subject), new_key()) for subject in missing],
            )
            return _rows(connection, subjects)

        # Inline too: a transaction that would wait for nothing costs less than the hop to the thread.
        return await self._read(transaction(make))

    async def find(self, subjects: Collection[UUID]) -> dict[UUID, bytes]:
        if not subjects:
            return {}
        found = await self._read(lambda connection: _rows(connection, subjects))
        return {subject: key for subject, key in found.items() if key is not None}

    async def erase(self, subject: UUID) -> bool:
        def erase(connection: sqlite3.Connection) -> bool:
            had = connection.execute(
                "SELECT 1 FROM data_keys WHERE subject = ? AND key IS NOT NULL", (str(subject),)
            ).fetchone()
            # secure_delete (store.sqlite.connection) zeroes the key's old bytes in the page.
            connection.execute(
                "INSERT INTO data_keys (subject, key) VALUES (?, NULL)"
                " ON CONFLICT (subject) DO UPDATE SET key = NULL",
                (str(subject),),
            )
            return had is not None

        return await self._writer.run(transaction(erase))

    async def close(self) -> None:
        self._inline.close()
        await self._writer.close()
