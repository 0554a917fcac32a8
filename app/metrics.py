"""Prometheus metrics at `/metrics`: request latency per operation, events appended per type,
projection lag per projection, active subscriptions.

Each app has a registry of its own, so two apps in one process (as in the tests) never share
counts. Nothing here runs per subscription message: the number of active subscriptions is read from
the multiplexer when Prometheus scrapes, and projection lag from the stored checkpoints likewise.
"""

import time
from collections.abc import Iterable, Iterator, Sequence

from graphql import DocumentNode, OperationType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from starlette.requests import Request
from starlette.responses import Response
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from access.operations import root_fields
from schema.subscriptions import SharedSubscriptions
from store.connect import Stores
from store.events import RecordedEvent

MANY_FIELDS = "(several)"
"""The operation label of a document with several root fields: naming each combination would let
clients create any number of series."""
INVALID = "(invalid)"


class Metrics:
    def __init__(self, projections: Iterable[str]) -> None:
        self._projections = tuple(projections)
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_seconds = Histogram(
            "eventfold_graphql_request_duration_seconds",
            "Time to answer a GraphQL query or mutation, by its root field.",
            ["operation", "type"],
            registry=self.registry,
        )
        self.events_appended = Counter(
            "eventfold_events_appended",
            "Events this process recorded, by event type.",
            ["type"],
            registry=self.registry,
        )
        self.projection_lag = Gauge(
            "eventfold_projection_lag_events",
            "Events recorded that a projection has not applied yet.",
            ["projection"],
            registry=self.registry,
        )
        self.projection_rate = Gauge(
            "eventfold_projection_events_per_second",
            "How fast a projection applied events over its last seconds of work.",
            ["projection"],
            registry=self.registry,
        )
        self.projection_eta = Gauge(
            "eventfold_projection_eta_seconds",
            "Time a projection needs to catch up at its rate (0 when it has).",
            ["projection"],
            registry=self.registry,
        )
        self.active_subscriptions = Gauge(
            "eventfold_active_subscriptions",
            "GraphQL subscriptions open on this process.",
            registry=self.registry,
        )

    def count_appended(self, recorded: Sequence[RecordedEvent]) -> None:
        """The command handler's hook: each event it recorded, by type."""
        for event in recorded:
            self.events_appended.labels(event.type).inc()

    def count_subscriptions_of(self, multiplexer: SharedSubscriptions) -> None:
        self.active_subscriptions.set_function(lambda: multiplexer.subscribers)

    def extension(self) -> type[SchemaExtension]:
        """A schema extension that times each query and mutation into this registry."""
        histogram = self.request_seconds

        class OperationLatency(SchemaExtension):
            def on_operation(self) -> Iterator[None]:
                started = time.perf_counter()
                yield
                elapsed = time.perf_counter() - started
                operation, kind = _label(self.execution_context)
                # A subscription lives as long as its client wants; its duration says nothing.
                if kind != OperationType.SUBSCRIPTION.value:
                    histogram.labels(operation, kind).observe(elapsed)

        return OperationLatency

    async def exposition(self, request: Request) -> Response:
        stores: Stores = request.app.state.stores
        head = await stores.events.head()
        # A projection that has never saved a checkpoint has all of the log still to apply.
        states = {state.name: state for state in await stores.states.load_all()}
        for name in self._projections:
            state = states.get(name)
            lag = max(head - (state.checkpoint.position if state else 0), 0)
            self.projection_lag.labels(name).set(lag)
            rate = state.events_per_second if state else None
            self.projection_rate.labels(name).set(rate or 0)
            self.projection_eta.labels(name).set(lag / rate if lag and rate else 0)
        return Response(generate_latest(self.registry), media_type=CONTENT_TYPE_LATEST)


def _label(execution_context: ExecutionContext) -> tuple[str, str]:
    """The operation's root field (bounded by the schema, unlike client-chosen operation names) and type."""
    document: DocumentNode | None = execution_context.graphql_document
    # A document that did not parse or validate may name any field at all.
    if document is None or execution_context.pre_execution_errors:
        return INVALID, INVALID
    # Only the root fields written out count, fragments unopened, as they always have: opening them
    # would move some operations' series to other labels.
    found = root_fields(document, execution_context.operation_name, expand_fragments=False)
    if found is None:
        return INVALID, INVALID
    operation, fields = found
    return (fields[0] if len(fields) == 1 else MANY_FIELDS), operation.value
