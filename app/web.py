"""The composition root: `create_app(settings)` wires stores, schema and HTTP routes."""

import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL

from app.settings import Settings
from schema import build_schema
from schema.command_handler import CommandHandler
from schema.context import Context
from store.connect import Stores, open_stores

logger = logging.getLogger("eventfold")

CORRELATION_HEADER = "x-correlation-id"


class EventfoldGraphQL(GraphQL[Context, None]):
    async def get_context(self, request: Request | WebSocket, response: Response | WebSocket) -> Context:
        stores: Stores = request.app.state.stores
        # A caller's correlation id is kept (bounded) so one trace can span several services.
        correlation_id = request.headers.get(CORRELATION_HEADER, "")[:100] or str(uuid.uuid4())
        return Context(
            events=stores.events,
            commands=request.app.state.commands,
            correlation_id=correlation_id,
        )


def create_app(settings: Settings, *, command_listeners: tuple[CommandListener, ...] = ()) -> Starlette:
    """`command_listeners` observe every MongoDB command (used to count round trips)."""

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        stores = await open_stores(
            mongodb_uri=settings.mongodb_uri,
            mongodb_database=settings.mongodb_database,
            data_dir=settings.data_dir,
            command_listeners=command_listeners,
        )
        logger.info("backend: %s at %s", stores.backend, stores.location)
        app.state.stores = stores
        app.state.commands = CommandHandler(stores.events)
        try:
            yield
        finally:
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

    graphql: Any = EventfoldGraphQL(build_schema())
    return Starlette(
        routes=[
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
        ],
        lifespan=lifespan,
    )
