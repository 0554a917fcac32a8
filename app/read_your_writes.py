"""Read your writes: a request that names a position waits (bounded) until projections applied it.

Every mutation returns the positions of the events it recorded. A client that sends the highest one
in `X-Eventfold-Position` with its next request gets an answer that includes that write, provided the
projections catch up within the bound (about 2 s). If they do not, the request is answered anyway
from the read models as they are, and the response says so: `X-Eventfold-Caught-Up: false`.
"""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.error_response import send_error
from projections.progress import Progress

REQUEST_HEADER = b"x-eventfold-position"
RESPONSE_HEADER = b"x-eventfold-caught-up"


class ReadYourWrites:
    def __init__(self, app: ASGIApp, timeout_seconds: float) -> None:
        self._app = app
        self._timeout = timeout_seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        raw = dict(scope["headers"]).get(REQUEST_HEADER) if scope["type"] == "http" else None
        if raw is None:
            await self._app(scope, receive, send)
            return
        try:
            position = int(raw)
            if position < 0:
                raise ValueError(position)
        except ValueError:
            message = f"X-Eventfold-Position must be an event position (0 or more), got {raw!r}"
            await send_error(send, 400, message, {"code": "BAD_USER_INPUT"})
            return
        progress: Progress = scope["app"].state.progress
        caught_up = await progress.wait_for(position, self._timeout)

        async def send_saying_whether_caught_up(message: Message) -> None:
            if message["type"] == "http.response.start":
                value = b"true" if caught_up else b"false"
                message = {**message, "headers": [*message.get("headers", []), (RESPONSE_HEADER, value)]}
            await send(message)

        await self._app(scope, receive, send_saying_whether_caught_up)
