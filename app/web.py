"""The composition root: `create_app(settings)` wires stores, projector, schema and HTTP routes."""

import dataclasses
from datetime import timedelta
from pathlib import Path
from typing import Any

from pymongo.monitoring import CommandListener
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, WebSocketRoute

from access.authentication import is_loopback
from app import assets, correlation, probes
from app.body_limit import BodyLimit
from app.correlation import CorrelationId
from app.graphql_http import EventfoldGraphQL
from app.hosts import AllowedHosts
from app.lifespan import lifespan_for
from app.metrics import METRICS, Metrics
from app.read_your_writes import ReadYourWrites
from app.settings import Settings
from app.wakeups import WAKEUPS
from projections.read_models import ALL
from schema import build_schema
from schema.limits import Limits
from schema.persisted import PersistedDocuments, load_manifest
from store.events import Clock, system_clock


def create_app(
    settings: Settings,
    *,
    command_listeners: tuple[CommandListener, ...] = (),
    clock: Clock = system_clock,
    workers_dir: Path | None = None,
) -> Starlette:
    """`command_listeners` observe every MongoDB command (used to count round trips); `clock` is the
    time events are recorded at; `workers_dir`, the directory where the processes of a server of
    several workers share their metrics and wake each other (app/supervisor.py)."""
    metrics = Metrics((projection.name for projection in ALL), workers_dir and workers_dir / METRICS)
    trusted = load_manifest(settings.trusted_documents) if settings.trusted_documents else None
    persisted = PersistedDocuments(trusted, settings.persisted_queries, settings.max_document_chars)
    schema = build_schema(_limits(settings), [metrics.extension()], persisted)
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
            Route("/healthz", probes.healthz),
            Route("/readyz", probes.readyz),
            Route("/metrics", probes.scrape),
            *assets.routes(),
        ],
        middleware=_middleware(settings),
        lifespan=lifespan_for(
            settings, metrics, command_listeners, clock, workers_dir and workers_dir / WAKEUPS
        ),
    )


def _limits(settings: Settings) -> Limits:
    """Each limit is the setting of the same name."""
    return Limits(**{field.name: getattr(settings, field.name) for field in dataclasses.fields(Limits)})


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
    # A server on loopback always checks the Host header: it may run open (see app/hosts.py). One
    # elsewhere checks it once names are configured, since only the operator knows its public names.
    if is_loopback(settings.host) or settings.allowed_hosts:
        middleware.append(Middleware(AllowedHosts, names=settings.allowed_hosts))
    return [*middleware, Middleware(CorrelationId), Middleware(BodyLimit, max_bytes=settings.max_body_bytes)]
