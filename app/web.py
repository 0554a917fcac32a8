"""The composition root: `create_app(settings)` wires stores, projector, schema and HTTP routes."""

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLRequestData, GraphQLRequestProtocol
from strawberry.schema.base import BaseSchema
from strawberry.types.unset import UNSET, UnsetType

from access.api_keys import CachedApiKeys
from access.authentication import Authenticator
from app import assets, correlation
from app.authentication import auth_required, jwt_verifier
from app.body_limit import BodyLimit
from app.correlation import CorrelationId
from app.metrics import Metrics
from app.read_your_writes import ReadYourWrites
from app.settings import Settings
from app.stores import open_from, projector_for
from commands.handler import CommandHandler
from live.broadcast import Broadcaster
from projections.collections import CollectionNames
from projections.progress import Progress
from projections.read_models import ALL
from schema import build_schema
from schema.access import refusal
from schema.context import Context
from schema.limits import Limits
from store.connect import Stores
from store.events import Clock, system_clock

logger = logging.getLogger("eventfold")


class EventfoldGraphQL(GraphQL[Context, None]):
    def __init__(self, schema: BaseSchema, max_batch: int, **options: Any) -> None:
        super().__init__(schema, **options)
        self._max_batch = max_batch

    async def render_graphql_ide(self, request: Request) -> Response:
        return await assets.graphiql(request)

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
        authenticator: Authenticator = state.authenticator
        correlation_id = correlation.current.get() or str(uuid.uuid4())
        return Context(
            events=stores.events,
            commands=state.commands,
            documents=stores.documents,
            collections=state.collections,
            states=stores.states,
            progress=state.progress,
            broadcaster=state.broadcaster,
            correlation_id=correlation_id,
            api_keys=state.api_keys,
            caller=await authenticator.caller(request.headers.get("authorization")),
            authenticate=authenticator.caller,
        )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """Browsers cannot set headers on a WebSocket, so the token comes in connection_init."""
        params = context.connection_params
        if isinstance(params, dict):
            token = params.get("authorization", params.get("Authorization"))
            if isinstance(token, str):
                context.caller = await context.authenticate(token)
        if (refused := refusal(context.caller)) is not None:
            raise ConnectionRejectionError({"message": refused.message})
        unset: UnsetType = UNSET
        return unset

    def _validate_batch_request(
        self, request_data: list[GraphQLRequestData], protocol: GraphQLRequestProtocol
    ) -> None:
        # Strawberry's own refusal does not say what the limit is.
        if len(request_data) > self._max_batch:
            raise HTTPException(
                400,
                f"a batch may hold at most {self._max_batch} operations (EVENTFOLD_MAX_BATCH), "
                f"this one has {len(request_data)}",
            )
        super()._validate_batch_request(request_data, protocol)


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
        app.state.commands = CommandHandler(stores.events, on_recorded=metrics.count_appended)
        app.state.collections = CollectionNames(ALL, stores.states)
        app.state.progress = Progress((p.name for p in ALL), stores.states)
        app.state.broadcaster = Broadcaster(stores.events, stores.feed)
        app.state.api_keys = CachedApiKeys(stores.api_keys, settings.api_key_cache_seconds)
        app.state.authenticator = Authenticator(
            app.state.api_keys, jwt_verifier(settings), auth_required(settings)
        )
        if not app.state.authenticator.required:
            logger.info("authentication not required here; presented tokens are still checked")
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

    async def scrape(request: Request) -> Response:
        """Any role may read the metrics; where the API needs a token, so do they."""
        authenticator: Authenticator = request.app.state.authenticator
        caller = await authenticator.caller(request.headers.get("authorization"))
        if (refused := refusal(caller)) is not None:
            if (refused.extensions or {}).get("code") == "SERVICE_UNAVAILABLE":
                return JSONResponse({"error": refused.message}, status_code=503)
            return JSONResponse(
                {"error": refused.message}, status_code=401, headers={"WWW-Authenticate": "Bearer"}
            )
        return await metrics.exposition(request)

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

    limits = Limits(
        max_depth=settings.max_depth,
        max_aliases=settings.max_aliases,
        max_tokens=settings.max_tokens,
        max_cost=settings.max_cost,
        max_batch=settings.max_batch,
        introspection=settings.introspection,
    )
    metrics = Metrics(projection.name for projection in ALL)
    schema = build_schema(limits, [metrics.extension()])
    metrics.count_subscriptions_of(schema.multiplexer)
    graphql: Any = EventfoldGraphQL(
        schema,
        settings.max_batch,
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
            Route("/metrics", scrape),
            *assets.routes(),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan,
    )


def _middleware(settings: Settings) -> list[Middleware]:
    """Outermost first: CORS headers go on every answer, refusals of oversized bodies included."""
    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", correlation.HEADER, "x-eventfold-position"],
                expose_headers=["x-eventfold-caught-up", correlation.HEADER],
            )
        )
    return [*middleware, Middleware(CorrelationId), Middleware(BodyLimit, max_bytes=settings.max_body_bytes)]
