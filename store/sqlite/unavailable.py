"""Which SQLite errors mean the database file cannot be used right now rather than a bug."""

import sqlite3

AWAY = frozenset(
    {
        sqlite3.SQLITE_BUSY,
        sqlite3.SQLITE_LOCKED,
        sqlite3.SQLITE_CANTOPEN,
        sqlite3.SQLITE_IOERR,
        sqlite3.SQLITE_FULL,
        sqlite3.SQLITE_READONLY,
    }
)


def is_away(error: Exception) -> bool:
    # The low byte is the primary result code; the rest says which variant (SQLITE_BUSY_SNAPSHOT, ...).
    return isinstance(error, sqlite3.OperationalError) and error.sqlite_errorcode & 0xFF in AWAY
