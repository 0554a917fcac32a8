"""Prometheus metrics at `/metrics`: request latency per operation, events appended per type,
projection lag per projection, active subscriptions.

Each app has a registry of its own, so two apps in one process (as in the tests) never share
counts. Nothing here runs per subscription message: the number of active subscriptions is read from
the multiplexer when Prometheus scrapes, and projection lag from the stored checkpoints likewise.

Under `eventfold serve --workers N` each worker writes its counters, histograms and subscription count
to files of its own in a directory the supervisor made (`PROMETHEUS_MULTIPROC_DIR`, prometheus_client's
multiprocess mode), and whichever worker is scraped answers for all of them: counts summed over every
worker that ever ran (a dead worker's counts stay: counters never go back), subscriptions over the
workers alive. Projection lag and rate are read from the database at each scrape, as one process does,
so they are never in those files and never counted once per worker.
"""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence
from pathlib import Path

from graphql import DocumentNode, OperationType
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
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
METRICS = "metrics"
"""The subdirectory of a server's workers directory that is their PROMETHEUS_MULTIPROC_DIR."""
SUBSCRIPTIONS_SHARED_EVERY_SECONDS = 1.0
"""How often a worker writes its number of subscriptions to its file: a scrape's sum is at most that
old. Writing it at each subscribe and unsubscribe would cost a file write per subscription."""


class _ProjectionGauges:
    """Lag, rate and time left of each projection, as read from the database for this scrape."""

    def __init__(self) -> None:
        self.families: Sequence[Metric] = self._empty()

    @staticmethod
    def _empty() -> tuple[GaugeMetricFamily, GaugeMetricFamily, GaugeMetricFamily]:
        return (
            GaugeMetricFamily(
                "eventfold_projection_lag_events",
                "Events recorded that a projection has not applied yet.",
                labels=["projection"],
            ),
            GaugeMetricFamily(
                "eventfold_projection_events_per_second",
                "How fast a projection applied events over its last seconds of work.",
                labels=["projection"],
            ),
            GaugeMetricFamily(
                "eventfold_projection_eta_seconds",
                "Time a projection needs to catch up at its rate (0 when it has).",
                labels=["projection"],
            ),
        )

    def describe(self) -> Sequence[Metric]:
        return self._empty()

    def collect(self) -> Sequence[Metric]:
        return self.families

    def read(self, figures: Iterable[tuple[str, float, float, float]]) -> None:
        lag, rate, eta = families = self._empty()
        for name, lag_events, per_second, eta_seconds in figures:
            lag.add_metric([name], lag_events)
            rate.add_metric([name], per_second)
            eta.add_metric([name], eta_seconds)
        self.families = families


class Metrics:
    def __init__(self, projections: Iterable[str], shared_dir: Path | None = None) -> None:
        """`shared_dir`: the multiprocess directory of a server of several workers (its environment's
        PROMETHEUS_MULTIPROC_DIR, which prometheus_client read when imported), or None alone."""
        self._projections = tuple(projections)
        self._shared = shared_dir is not None
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
        self.active_subscriptions = Gauge(
            "eventfold_active_subscriptions",
            "GraphQL subscriptions open on this server (on its workers alive).",
            registry=self.registry,
            multiprocess_mode="livesum",
        )
        self._projection_gauges = _ProjectionGauges()
        self.registry.register(self._projection_gauges)
        self._scraped = self.registry
        if shared_dir is not None:
            self._scraped = CollectorRegistry(auto_describe=True)
            MultiProcessCollector(self._scraped, path=str(shared_dir))  # type: ignore[no-untyped-call]
            self._scraped.register(self._projection_gauges)
        self._multiplexer: SharedSubscriptions | None = None

    def count_appended(self, recorded: Sequence[RecordedEvent]) -> None:
        """The command handler's hook: each event it recorded, by type."""
        for event in recorded:
            self.events_appended.labels(event.type).inc()

    def count_subscriptions_of(self, multiplexer: SharedSubscriptions) -> None:
        self._multiplexer = multiplexer
        if not self._shared:
            self.active_subscriptions.set_function(lambda: multiplexer.subscribers)

    @contextlib.asynccontextmanager
    async def shared(self) -> AsyncIterator[None]:
        """While the app runs: a worker's subscription count kept in its file (see above)."""
        if not self._shared or self._multiplexer is None:
            yield
            return
        writer = asyncio.create_task(self._share_subscriptions(self._multiplexer))
        try:
            yield
        finally:
            writer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await writer

    async def _share_subscriptions(self, multiplexer: SharedSubscriptions) -> None:
        while True:
            self.active_subscriptions.set(multiplexer.subscribers)
            await asyncio.sleep(SUBSCRIPTIONS_SHARED_EVERY_SECONDS)

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
        figures = []
        for name in self._projections:
            state = states.get(name)
            lag = max(head - (state.checkpoint.position if state else 0), 0)
            rate = (state.events_per_second if state else None) or 0
            figures.append((name, lag, rate, lag / rate if lag and rate else 0))
        self._projection_gauges.read(figures)
        if self._shared and self._multiplexer is not None:
            # The worker scraped answers with its own count as it is now.
            self.active_subscriptions.set(self._multiplexer.subscribers)
        return Response(generate_latest(self._scraped), media_type=CONTENT_TYPE_LATEST)


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
