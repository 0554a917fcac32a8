"""The HTTP/1.1 protocol `eventfold serve` runs: uvicorn's h11 one, with a deadline for headers.

httptools (uvicorn's default where it is installed) buffers a request's headers without limit, and
re-parses the growing buffer as each piece arrives: a header that never ends costs memory and
quadratic CPU. h11 refuses headers beyond a size (`h11_max_incomplete_event_size`). Neither cuts off a
connection that sends its headers slowly, one byte at a time: that is the deadline added here.
"""

import asyncio
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol


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
