"""Refuses HTTP request bodies above a size before anything parses them."""

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.error_response import send_error


class BodyLimit:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self._app = app
        self._max = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self._max:
            await self._refuse(send)
            return
        # Without a declared length (chunked), read up to the limit before handing the body on.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self._max:
                await self._refuse(send)
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self._app(scope, replay, send)

    async def _refuse(self, send: Send) -> None:
        message = f"the request body is larger than the limit of {self._max} bytes (EVENTFOLD_MAX_BODY_BYTES)"
        extensions = {"code": "BAD_USER_INPUT", "limit": "max_body_bytes", "max": self._max}
        await send_error(send, 413, message, extensions)
