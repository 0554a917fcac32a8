"""The composition root: `create_app(settings)` wires stores, projector, schema and HTTP routes."""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app.read_your_writes import ReadYourWrites
from app.settings import Settings
from app.stores import open_from, projector_for
from projections.broadcast import Broadcaster
from projections.catalogue import ALL
from projections.collections import CollectionNames
from projections.progress import Progress
from schema import build_schema
from schema.command_handler import CommandHandler
from schema.context import Context
from store.connect import Stores
from store.events import Clock, system_clock

logger = logging.getLogger("eventfold")

CORRELATION_HEADER = "x-correlation-id"


class EventfoldGraphQL(GraphQL[Context, None]):
    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            # JSON nested deeper than Python's recursion limit is as unreadable as malformed JSON, and
            # gets the same answer (400 over HTTP, close 4400 on a WebSocket) instead of a 500.
            raise json.JSONDecodeError("nested too deeply", str(data[:100]), 0) from None

    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        state = request.app.state
        stores: Stores = state.stores
        # A caller's correlation id is kept (bounded) so one trace can span several services.
        correlation_id = request.headers.get(CORRELATION_HEADER, "")[:100] or str(uuid.uuid4())
        return Context(
            events=stores.events,
            commands=state.commands,
            documents=stores.documents,
            collections=state.collections,
            states=stores.states,
            progress=state.progress,
            broadcaster=state.broadcaster,
            correlation_id=correlation_id,
        )


def create_app(
    settings: Settings,
    *,
    command_listeners: tuple[CommandListener, ...] = (),
    clock: Clock = system_clock,
) -> Starlette:
    """`command_listeners` observe every MongoDB command (used to count round trips); `clock` is the
    time events are recorded at."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stores = await open_from(settings, command_listeners, clock)
        logger.info(
            "backend: %s at %s; projections fed by %s", stores.backend, stores.location, stores.feed.kind
        )
        app.state.stores = stores
        app.state.commands = CommandHandler(stores.events)
        app.state.collections = CollectionNames(ALL, stores.states)
        app.state.progress = Progress((p.name for p in ALL), stores.states)
        app.state.broadcaster = Broadcaster(stores.events, stores.feed)
        projector = None
        if settings.projector:
            projector = asyncio.create_task(projector_for(settings, stores, app.state.progress).run())
        else:
            logger.info("projector not started here: run `eventfold project` beside this server")
        try:
            async with app.state.collections.kept_fresh():
                yield
        finally:
            await app.state.broadcaster.close()
            if projector is not None:
                projector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await projector
            await stores.close()

    async def healthz(request: Request) -> JSONResponse:
        return JSONResponse({"status": "ok"})

    async def readyz(request: Request) -> JSONResponse:
        stores: Stores = request.app.state.stores
        try:
            await stores.events.ping()
        except Exception as error:  # noqa: BLE001 - any failure to answer means not ready
            logger.warning("readiness check failed: %s", error)
            return JSONResponse({"status": "unavailable", "backend": stores.backend}, status_code=503)
        return JSONResponse({"status": "ok", "backend": stores.backend})

    graphql: Any = EventfoldGraphQL(
        build_schema(),
        keep_alive=True,
        keep_alive_interval=settings.keep_alive_seconds,
        connection_init_wait_timeout=timedelta(seconds=settings.connection_init_seconds),
    )
    return Starlette(
        routes=[
            Route(
                "/graphql",
                ReadYourWrites(graphql, settings.read_your_writes_seconds),
                methods=["GET", "POST"],
            ),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
