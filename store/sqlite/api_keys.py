"""API keys on SQLite, in the same file as the events."""

import sqlite3
import uuid
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Self

from store.api_keys import ApiKey, KeyNameTaken
from store.sqlite.connection import SqliteConnection, transaction
from store.sqlite.unavailable import is_away
from store.unavailable import raises_unavailable

SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    role TEXT NOT NULL,
    token_hash TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    revoked_at TEXT,
    customer_id TEXT
);
"""

COLUMNS = "id, name, role, created_at, revoked_at, customer_id"
Row = tuple[str, str, str, str, str | None, str | None]


def _decode(row: Row) -> ApiKey:
    id_, name, role, created_at, revoked_at, customer_id = row
    return ApiKey(
        id=uuid.UUID(id_),
        name=name,
        role=role,
        created_at=datetime.fromisoformat(created_at),
        revoked_at=datetime.fromisoformat(revoked_at) if revoked_at else None,
        customer_id=uuid.UUID(customer_id) if customer_id else None,
    )


def _set_up(connection: sqlite3.Connection) -> None:
    connection.executescript(SCHEMA)
    columns = {row[1] for row in connection.execute("PRAGMA table_info(api_keys)")}
    if "customer_id" not in columns:
        # A table of a release before the customer role.
        try:
            connection.execute("ALTER TABLE api_keys ADD COLUMN customer_id TEXT")
        except sqlite3.OperationalError as error:
            # Another process opening the same file at the same moment added it first.
            if "duplicate column" not in str(error):
                raise


@raises_unavailable(is_away)
class SqliteApiKeys:
    def __init__(self, path: Path, lock_seconds: float = 30.0) -> None:
        self._connection = SqliteConnection(path, "api-keys", lock_seconds)

    @classmethod
    async def open(cls, path: Path, lock_seconds: float = 30.0) -> Self:
        store = cls(path, lock_seconds)
        await store._connection.run(_set_up)
        return store

    async def close(self) -> None:
        await self._connection.close()

    async def add(self, key: ApiKey, token_hash: str) -> None:
        customer_id = str(key.customer_id) if key.customer_id else None
        values = (
            str(key.id),
            key.name,
            str(key.role),
            token_hash,
            key.created_at.isoformat(),
            None,
            customer_id,
        )
        try:
            await self._connection.run(
                lambda connection: connection.execute(
                    "INSERT INTO api_keys (id, name, role, token_hash, created_at, revoked_at, customer_id) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    values,
                )
            )
        except sqlite3.IntegrityError:
            raise KeyNameTaken(key.name) from None

    async def find(self, token_hash: str) -> ApiKey | None:
        row = await self._connection.run(
            lambda connection: connection.execute(
                f"SELECT {COLUMNS} FROM api_keys WHERE token_hash = ?", (token_hash,)
            ).fetchone()
        )
        return _decode(row) if row else None

    async def revoke(self, id_or_name: str, at: datetime) -> ApiKey | None:
        def revoke(connection: sqlite3.Connection) -> Row | None:
            where = "id = ? OR name = ?"
            connection.execute(
                f"UPDATE api_keys SET revoked_at = ? WHERE ({where}) AND revoked_at IS NULL",
                (at.isoformat(), id_or_name, id_or_name),
            )
            row: Row | None = connection.execute(
                f"SELECT {COLUMNS} FROM api_keys WHERE {where}", (id_or_name, id_or_name)
            ).fetchone()
            return row

        row = await self._connection.run(transaction(revoke))
        return _decode(row) if row else None

    async def list(self) -> Sequence[ApiKey]:
        rows = await self._connection.run(
            lambda connection: connection.execute(
                f"SELECT {COLUMNS} FROM api_keys ORDER BY created_at, name"
            ).fetchall()
        )
        return [_decode(row) for row in rows]
