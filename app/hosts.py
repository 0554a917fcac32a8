"""Answers only requests whose `Host` header names this server: the defence against DNS rebinding.

A web page can point a name it controls at 127.0.0.1 and then call a server on loopback as its own
origin, past the browser's same-origin rule; the only trace is the `Host` header, which still
carries the page's name. An open loopback server would hand that page every right there is.
"""

from collections.abc import Iterable

from starlette.types import ASGIApp, Receive, Scope, Send

from access.authentication import is_loopback
from app.error_response import send_error


def host_name(header: str) -> str:
    """The name of a `Host` header, without its port: `[::1]:8000` -> `::1`, `Localhost:80` -> `localhost`."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1:].partition("]")[0]
    return header.rpartition(":")[0] if ":" in header else header


class AllowedHosts:
    def __init__(self, app: ASGIApp, names: Iterable[str]) -> None:
        self._app = app
        self._names = frozenset(name.lower() for name in names)

    def allows(self, header: str | None) -> bool:
        # Without a Host header (HTTP/1.0) no browser sent the request.
        if header is None or "*" in self._names:
            return True
        name = host_name(header)
        return is_loopback(name) or name in self._names

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self._app(scope, receive, send)
            return
        header = dict(scope["headers"]).get(b"host")
        host = header.decode("latin-1") if header is not None else None
        if self.allows(host):
            await self._app(scope, receive, send)
        elif scope["type"] == "websocket":
            # Closing before accepting refuses the handshake (HTTP 403).
            await send({"type": "websocket.close", "code": 1008, "reason": "host not allowed"})
        else:
            message = (
                f"this server does not answer to the host {host!r}; if it should, add the name to "
                "EVENTFOLD_ALLOWED_HOSTS"
            )
            await send_error(send, 421, message, {"code": "BAD_USER_INPUT"})
