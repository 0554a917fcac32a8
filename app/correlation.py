"""The correlation id of the request being served: the caller's `X-Correlation-ID`, or a new one.

It is set for the whole of a request (or a WebSocket connection), so the events a command records
and every log line written meanwhile carry the same id; HTTP answers echo it back.
"""

import uuid
from contextvars import ContextVar

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

HEADER = "x-correlation-id"
LONGEST = 100
"""A caller's id is kept (bounded) so one trace can span several services."""

current: ContextVar[str | None] = ContextVar("correlation_id", default=None)


class CorrelationId:
    """ASGI middleware that sets `current` for each request and echoes it in the answer's headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        correlation_id = Headers(scope=scope).get(HEADER, "")[:LONGEST] or str(uuid.uuid4())
        token = current.set(correlation_id)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[HEADER] = correlation_id
            await send(message)

        try:
            # A WebSocket's messages go straight through: fan-out pays nothing per message for this.
            await self.app(scope, receive, send_with_id if scope["type"] == "http" else send)
        finally:
            current.reset(token)
