"""mongoeco's MongoDB wire-protocol server, run on its own thread and event loop.

Its own loop keeps it answering whatever the tests' loops do (pytest-asyncio gives each test a new
one; a subprocess under test has none of ours).
"""

import asyncio
import threading
from typing import Self

from mongoeco.wire import AsyncMongoEcoProxyServer


class MongoWireServer:
    def __init__(self) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mongoeco", daemon=True)
        self._server = AsyncMongoEcoProxyServer(host="127.0.0.1", port=0)
        self.uri = ""

    def start(self) -> Self:
        self._thread.start()
        address = asyncio.run_coroutine_threadsafe(self._server.start(), self._loop).result(timeout=30)
        self.uri = f"mongodb://{address.host}:{address.port}/?directConnection=true"
        return self

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self._server.close(), self._loop).result(timeout=30)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=30)
        self._loop.close()
