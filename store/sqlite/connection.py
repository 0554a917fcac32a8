"""A sqlite3 connection owned by one worker thread, so the event loop never waits on disk.

A whole transaction runs as one function on that thread: one hop per operation, not one per
statement (which is what a per-statement async wrapper would cost).
"""

import asyncio
import sqlite3
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def connect(path: Path, lock_seconds: float) -> sqlite3.Connection:
    """`lock_seconds`: how long a statement waits for another connection's lock before it fails."""
    connection = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=lock_seconds)
    connection.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode survives a crash of the process, which is what acknowledged writes need;
    # only a power loss can cost the last commits.
    connection.execute("PRAGMA synchronous=NORMAL")
    # What is deleted or overwritten is zeroed in the file, not left in free space: an erased
    # customer's data must not be readable there afterwards.
    connection.execute("PRAGMA secure_delete=ON")
    return connection


def connect_inline(path: Path, lock_seconds: float) -> sqlite3.Connection:
    """A connection for the event loop's own thread: it never waits for a lock (SQLITE_BUSY at once,
    see `read_inline_or`) and never checkpoints, which fsyncs (the owner's threads do that)."""
    connection = connect(path, lock_seconds)
    connection.execute("PRAGMA busy_timeout=0")
    connection.execute("PRAGMA wal_autocheckpoint=0")
    return connection


async def read_inline_or[T](
    inline: sqlite3.Connection, fallback: "SqliteConnection", work: Callable[[sqlite3.Connection], T]
) -> T:
    """`work` on the loop's own connection (`connect_inline`), or on `fallback`'s thread if it would
    wait for a lock there."""
    try:
        return work(inline)
    except sqlite3.OperationalError as error:
        if not is_busy(error):
            raise
        return await fallback.run(work)


def is_busy(error: Exception) -> bool:
    """Another connection holds the lock this one needs."""
    return (
        isinstance(error, sqlite3.OperationalError) and error.sqlite_errorcode & 0xFF == sqlite3.SQLITE_BUSY
    )


class SqliteConnection:
    def __init__(self, path: Path, name: str, lock_seconds: float = 30.0, checkpoints: bool = True) -> None:
        """`lock_seconds`: how long a statement waits for another process's lock before it fails.
        `checkpoints`: False when its owner checkpoints elsewhere, so that its commits never do."""
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"sqlite-{name}")
        self._connection = connect(path, lock_seconds)
        if not checkpoints:
            self._connection.execute("PRAGMA wal_autocheckpoint=0")

    async def run[T](self, work: Callable[[sqlite3.Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, work, self._connection)

    async def close(self) -> None:
        await self.run(lambda connection: connection.close())
        self._executor.shutdown(wait=True)


def transaction[T](work: Callable[[sqlite3.Connection], T]) -> Callable[[sqlite3.Connection], T]:
    """Wrap `work` in BEGIN IMMEDIATE ... COMMIT: writers queue for the lock up front, so a
    transaction never fails half-way because another process wrote in between."""

    def run(connection: sqlite3.Connection) -> T:
        connection.execute("BEGIN IMMEDIATE")
        try:
            result = work(connection)
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")
        return result

    return run


class Checkpoints:
    """PASSIVE checkpoints of the write-ahead log on `connection`'s thread, one at a time, once every
    `every` rows written through connections that do not checkpoint at their commits: copying the log
    back into the database file, and its fsync, happen beside the writes rather than inside one."""

    def __init__(self, connection: SqliteConnection, every: int) -> None:
        self._connection = connection
        self._every = every
        self._since = 0
        self._running: asyncio.Task[None] | None = None

    def wrote(self, rows: int) -> None:
        self._since += rows
        if self._since >= self._every and (self._running is None or self._running.done()):
            self._since = 0
            self._running = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        # PASSIVE copies what no reader still needs, never waiting. Read to its end: a cursor left open
        # is a statement in progress on that connection, and the next transaction there (another
        # process holding the lock) could then not commit.
        await self._connection.run(
            lambda connection: connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        )

    async def settle(self) -> None:
        """Wait for the checkpoint under way, if any (before the connection closes)."""
        if self._running is not None:
            await asyncio.gather(self._running, return_exceptions=True)
