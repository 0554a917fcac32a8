"""`/metrics` in Prometheus' text format: the named series exist and move as operations run."""

import asyncio
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from app.settings import Settings
from app.web import create_app
from projections.read_models import ALL
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import PLACE_ORDER, create_product, register_customer
from tests.live_server import live_server
from tests.subscriptions.test_subscriptions import ORDER_EVENTS, Subscriber

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def samples(text: str) -> Samples:
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(found: Samples, name: str, **labels: str) -> float:
    return found.get((name, frozenset(labels.items())), 0.0)


async def scrape(http: httpx.AsyncClient) -> Samples:
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return samples(response.text)


async def place_an_order(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    product = await create_product(graphql, "M-1", "2.50")
    await graphql.data(
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 2}]},
    )


async def test_the_series_exist_and_count_events_and_requests(graphql: GraphQLClient) -> None:
    before = await scrape(graphql.http)
    names = {name for name, _ in before}
    assert "eventfold_active_subscriptions" in names
    assert {("eventfold_projection_lag_events", frozenset({("projection", p.name)})) for p in ALL} <= set(
        before
    )

    await place_an_order(graphql)
    await graphql.data("{ orders(first: 5) { edges { node { id } } } }")
    after = await scrape(graphql.http)

    for event_type in ("CustomerRegistered", "ProductCreated", "OrderPlaced"):
        assert value(after, "eventfold_events_appended_total", type=event_type) == 1
    latency = "eventfold_graphql_request_duration_seconds_count"
    assert value(after, latency, operation="placeOrder", type="mutation") == 1
    assert value(after, latency, operation="orders", type="query") == 1
    assert (
        value(after, "eventfold_graphql_request_duration_seconds_sum", operation="orders", type="query") > 0
    )
    # Every read model has applied what the client read its own writes from.
    for projection in ALL:
        assert value(after, "eventfold_projection_lag_events", projection=projection.name) == 0


async def test_documents_with_several_root_fields_or_invalid_ones_get_bounded_labels(
    graphql: GraphQLClient,
) -> None:
    await graphql.data("{ products(first: 1) { edges { node { id } } } projections { name } }")
    await graphql.errors("{ nonsense }")
    after = await scrape(graphql.http)
    latency = "eventfold_graphql_request_duration_seconds_count"
    assert value(after, latency, operation="(several)", type="query") == 1
    assert value(after, latency, operation="(invalid)", type="(invalid)") == 1


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_projection_lag_counts_the_events_a_stopped_projector_has_not_applied(
    settings: Settings,
) -> None:
    app = create_app(settings.model_copy(update={"projector": False}))
    async with serving(app, read_own_writes=False) as graphql:
        await place_an_order(graphql)
        found = await scrape(graphql.http)
    for projection in ALL:
        assert value(found, "eventfold_projection_lag_events", projection=projection.name) == 3


RATES = "{ projections { name lag eventsPerSecond etaSeconds } }"


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_projection_that_caught_up_shows_its_rate_and_no_time_left(settings: Settings) -> None:
    async with serving(
        create_app(settings.model_copy(update={"projector": False})), read_own_writes=False
    ) as graphql:
        for number in range(20):
            await register_customer(graphql, f"Ann {number}")
    async with serving(create_app(settings)) as graphql:
        await register_customer(graphql, "Bob")
        statuses = (await graphql.data(RATES))["projections"]
        found = await scrape(graphql.http)

    assert len(statuses) == len(ALL)
    for status in statuses:
        assert status["lag"] == 0
        assert status["eventsPerSecond"] > 0
        assert status["etaSeconds"] is None
        assert value(found, "eventfold_projection_events_per_second", projection=status["name"]) > 0
        assert value(found, "eventfold_projection_eta_seconds", projection=status["name"]) == 0


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with live_server(create_app(settings)) as address:
        yield address


async def active_subscriptions(http: httpx.AsyncClient, expected: float) -> float:
    """The gauge once it shows `expected`, or whatever it shows after 10 s."""
    deadline = time.monotonic() + 10
    while True:
        seen = value(await scrape(http), "eventfold_active_subscriptions")
        if seen == expected or time.monotonic() > deadline:
            return seen
        await asyncio.sleep(0.05)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_active_subscriptions_rise_and_fall_with_the_subscribers(server: str) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=10) as http:
        assert await active_subscriptions(http, 0) == 0
        first = await Subscriber.open(server, ORDER_EVENTS)
        second = await Subscriber.open(server, ORDER_EVENTS, types=["OrderPlaced"])
        assert await active_subscriptions(http, 2) == 2
        await first.close()
        assert await active_subscriptions(http, 1) == 1
        await second.close()
        assert await active_subscriptions(http, 0) == 0
