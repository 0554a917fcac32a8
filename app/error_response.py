"""The one JSON error answer of the ASGI layers that refuse a request before GraphQL sees it."""

import json
from typing import Any

from starlette.types import Send


async def send_error(send: Send, status: int, message: str, extensions: dict[str, Any]) -> None:
    """Answer as GraphQL would, so a client reads these refusals as it reads every other error."""
    body = json.dumps({"data": None, "errors": [{"message": message, "extensions": extensions}]}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
