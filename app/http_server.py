"""The HTTP/1.1 protocol `eventfold serve` runs: uvicorn's h11 one, with a deadline for headers.

httptools (uvicorn's default where it is installed) buffers a request's headers without limit, and
re-parses the growing buffer as each piece arrives: a header that never ends costs memory and
quadratic CPU. h11 refuses headers beyond a size (`h11_max_incomplete_event_size`). Neither cuts off a
connection that sends its headers slowly, one byte at a time: that is the deadline added here.
"""

import asyncio
from typing import Any

import h11
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.h11_impl import H11Protocol

from app.settings import Settings


class _HeaderDeadline(H11Protocol):
    header_timeout_seconds: float

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._await_headers()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        # IDLE until a request's headers are complete; a body, or a WebSocket, has no deadline here.
        if self.conn.their_state is not h11.IDLE:
            self._cancel_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # The next request on a kept-alive connection gets the same time for its headers.
        if not self.transport.is_closing():
            self._await_headers()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _await_headers(self) -> None:
        self._cancel_deadline()
        self._header_deadline = self.loop.call_later(self.header_timeout_seconds, self._headers_late)

    def _cancel_deadline(self) -> None:
        if self._header_deadline is not None:
            self._header_deadline.cancel()
            self._header_deadline = None

    def _headers_late(self) -> None:
        self._header_deadline = None
        if not self.transport.is_closing():
            self.logger.warning("Closed a connection that sent no complete request headers in time.")
            self.transport.close()


def with_header_timeout(seconds: float) -> type[H11Protocol]:
    """uvicorn builds the protocol itself, from a class: the timeout travels as a class attribute."""
    return type("H11HeaderDeadline", (_HeaderDeadline,), {"header_timeout_seconds": seconds})


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's settings of `eventfold serve`, with one process or several, but for the protocol
    class: one process passes the class, workers an import string (their configuration is pickled)."""
    return {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level,
        # In JSON, uvicorn's own records (the access log among them) go through our handler.
        "log_config": None if settings.log_format == "json" else LOGGING_CONFIG,
        "ws_per_message_deflate": settings.websocket_compression,
        "ws_max_size": settings.max_body_bytes,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "limit_concurrency": settings.max_connections,
    }
