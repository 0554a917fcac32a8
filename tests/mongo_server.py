"""mongoeco's MongoDB wire-protocol server, run on its own thread and event loop.

Its own loop keeps it answering whatever the tests' loops do (pytest-asyncio gives each test a new
one; a subprocess under test has none of ours).

Given a file, it keeps its data there (mongoeco's SQLite engine), so it can be taken down and brought
back up on the same port with the same data: a database outage, as clients see one.
"""

import asyncio
import sqlite3
import threading
import time
from pathlib import Path
from typing import Self

from mongoeco.engines import SQLiteEngine
from mongoeco.wire import AsyncMongoEcoProxyServer

LOCKED_ATTEMPTS = 50
LOCKED_RETRY_SECONDS = 0.2


class MongoWireServer:
    def __init__(self, path: Path | None = None) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mongoeco", daemon=True)
        self._path = path
        self._server: AsyncMongoEcoProxyServer | None = None
        self._port = 0
        self.uri = ""

    def start(self) -> Self:
        self._thread.start()
        self.up()
        return self

    def up(self) -> None:
        for attempt in range(LOCKED_ATTEMPTS):
            engine = SQLiteEngine(str(self._path)) if self._path is not None else None
            self._server = AsyncMongoEcoProxyServer(engine=engine, host="127.0.0.1", port=self._port)
            try:
                address = asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(
                    timeout=30
                )
                break
            except Exception as error:
                # Brought back up on the file of one taken down under load, mongoeco's SQLite engine may
                # find that file still locked by the old one's bookkeeping for a moment (see `down`).
                # Its start fails before it listens, so it starts again once the lock is gone.
                if not _only_locked(error) or attempt == LOCKED_ATTEMPTS - 1:
                    raise
                time.sleep(LOCKED_RETRY_SECONDS)
        self._port = address.port
        self.uri = f"mongodb://{address.host}:{address.port}/?directConnection=true"

    def down(self) -> None:
        """Close every connection and stop listening (the data stays only when kept in a file)."""
        if self._server is not None:
            try:
                asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(timeout=30)
            except ExceptionGroup as errors:
                # Under load mongoeco's own SQLite bookkeeping of a change-stream consumer may find its
                # file locked while closing; the server has stopped listening and closed its
                # connections all the same, which is all a test taking it down needs.
                _, others = errors.split(_locked)
                if others is not None:
                    raise
            self._server = None

    def stop(self) -> None:
        self.down()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()


def _locked(error: BaseException) -> bool:
    return isinstance(error, sqlite3.OperationalError) and "database is locked" in str(error)


def _only_locked(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return error.split(_locked)[1] is None
    return _locked(error)
