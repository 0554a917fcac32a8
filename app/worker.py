"""What each worker process of `eventfold serve --workers N` runs. uvicorn's supervisor starts workers
as fresh interpreters (spawned) and hands them its configuration pickled, so the app and the HTTP
protocol are named here by import string (`app.worker:create`, `app.worker:H11`) and read their
settings from the environment the supervisor prepared (app/supervisor.py)."""

import os
from pathlib import Path

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import logs
from app.collector import collect_less_often
from app.http_server import with_header_timeout
from app.settings import Settings
from app.web import create_app

WORKERS_DIR = "EVENTFOLD_SUPERVISOR_DIR"
"""The directory the supervisor made for its processes (app/supervisor.py)."""
HEADER = b"x-eventfold-worker"

H11 = with_header_timeout(Settings().header_timeout_seconds)


class NamesItsWorker:
    """Says which worker answered (its process id) on every HTTP answer and WebSocket handshake: an
    operator (or a test) can then tell the workers apart, as `projections { owner }` tells projectors."""

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._header = (HEADER, str(os.getpid()).encode())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            await self._app(scope, receive, send)
            return

        async def named(message: Message) -> None:
            if message["type"] in ("http.response.start", "websocket.accept"):
                message = {**message, "headers": [*message.get("headers", []), self._header]}
            await send(message)

        await self._app(scope, receive, named)


def create() -> ASGIApp:
    """The app of one worker (uvicorn's `factory`)."""
    settings = Settings()
    logs.configure(settings)
    collect_less_often()
    return NamesItsWorker(create_app(settings, workers_dir=Path(os.environ[WORKERS_DIR])))
