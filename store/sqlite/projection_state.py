"""Projection checkpoints and leases on SQLite, in the same file as the events."""

import json
import sqlite3
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Self

from store.feeds import Checkpoint
from store.projection_state import ProjectionState
from store.sqlite.connection import SqliteConnection, transaction
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS projection_state (
    name TEXT PRIMARY KEY,
    collection TEXT NOT NULL,
    generation INTEGER NOT NULL,
    position INTEGER NOT NULL,
    resume_token TEXT,
    updated_at TEXT,
    feed TEXT,
    error TEXT,
    stopped_at INTEGER,
    skipped TEXT NOT NULL DEFAULT '[]',
    events_per_second REAL
);
CREATE TABLE IF NOT EXISTS leases (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
);
"""

ADDED_COLUMNS = {
    "stopped_at": "INTEGER",
    "skipped": "TEXT NOT NULL DEFAULT '[]'",
    "events_per_second": "REAL",
}
"""Columns later releases added: a table made by an earlier release gains them when opened."""

Row = tuple[str, str, int, int, str | None, str | None, str | None, str | None, int | None, str, float | None]
COLUMNS = (
    "name, collection, generation, position, resume_token, updated_at, feed, error, stopped_at, skipped,"
    " events_per_second"
)
PLACEHOLDERS = ", ".join("?" * len(COLUMNS.split(", ")))


def _set_up(connection: sqlite3.Connection) -> None:
    connection.executescript(SCHEMA)
    present = {row[1] for row in connection.execute("PRAGMA table_info(projection_state)")}
    for column, definition in ADDED_COLUMNS.items():
        if column not in present:
            try:
                connection.execute(f"ALTER TABLE projection_state ADD COLUMN {column} {definition}")
            except sqlite3.OperationalError as error:
                # Another process opening the same file at the same moment added it first.
                if "duplicate column" not in str(error):
                    raise


def _decode(row: Row) -> ProjectionState:
    name, collection, generation, position, resume_token, updated_at, feed, error, stopped_at, skipped = row[
        :10
    ]
    return ProjectionState(
        name=name,
        collection=collection,
        generation=generation,
        checkpoint=Checkpoint(position, json.loads(resume_token) if resume_token else None),
        updated_at=datetime.fromisoformat(updated_at) if updated_at else None,
        feed=feed,
        error=error,
        stopped_at=stopped_at,
        skipped=tuple(json.loads(skipped)),
        events_per_second=row[10],
    )


@raises_unavailable(is_away)
class SqliteProjectionState:
    """Implements both ProjectionStates and Leases: each is two small statements on one table."""

    def __init__(self, path: Path, lock_seconds: float = 30.0) -> None:
        self._connection = SqliteConnection(path, "projection-state", lock_seconds)

    @classmethod
    async def open(cls, path: Path, lock_seconds: float = 30.0) -> Self:
        store = cls(path, lock_seconds)
        await store._connection.run(_set_up)
        return store

    async def load(self, name: str) -> ProjectionState | None:
        row = await self._connection.run(
            lambda connection: connection.execute(
                f"SELECT {COLUMNS} FROM projection_state WHERE name = ?", (name,)
            ).fetchone()
        )
        return _decode(row) if row else None

    async def load_all(self) -> Sequence[ProjectionState]:
        rows = await self._connection.run(
            lambda connection: connection.execute(
                f"SELECT {COLUMNS} FROM projection_state ORDER BY name"
            ).fetchall()
        )
        return [_decode(row) for row in rows]

    async def save(self, state: ProjectionState, expected_generation: int | None) -> bool:
        token = state.checkpoint.resume_token
        values = (
            state.name,
            state.collection,
            state.generation,
            state.checkpoint.position,
            json.dumps(dict(token)) if token else None,
            state.updated_at.isoformat() if state.updated_at else None,
            state.feed,
            state.error,
            state.stopped_at,
            json.dumps(list(state.skipped)),
            state.events_per_second,
        )

        def write(connection: sqlite3.Connection) -> bool:
            row = connection.execute(
                "SELECT generation FROM projection_state WHERE name = ?", (state.name,)
            ).fetchone()
            if (row[0] if row else None) != expected_generation:
                return False
            connection.execute(
                f"INSERT OR REPLACE INTO projection_state ({COLUMNS}) VALUES ({PLACEHOLDERS})", values
            )
            return True

        return await self._connection.run(transaction(write))

    async def acquire(self, name: str, owner: str, seconds: float) -> bool:
        def write(connection: sqlite3.Connection) -> bool:
            now = time.time()
            cursor = connection.execute(
                "INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at"
                " WHERE leases.owner = excluded.owner OR leases.expires_at < ?",
                (name, owner, now + seconds, now),
            )
            return cursor.rowcount == 1

        return await self._connection.run(transaction(write))

    async def release(self, name: str, owner: str) -> None:
        await self._connection.run(
            lambda connection: connection.execute(
                "DELETE FROM leases WHERE name = ? AND owner = ?", (name, owner)
            )
        )

    async def holders(self) -> dict[str, str]:
        rows = await self._connection.run(
            lambda connection: connection.execute(
                "SELECT name, owner FROM leases WHERE expires_at >= ?", (time.time(),)
            ).fetchall()
        )
        return {name: owner for name, owner in rows}

    async def close(self) -> None:
        await self._connection.close()
