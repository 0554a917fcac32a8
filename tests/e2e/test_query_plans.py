"""Every query the API sends to MongoDB is served by an index, as a real MongoDB explains it.

The app is exercised through GraphQL (queries with their filters and cursors, asOf reads, history,
the log, subscription replays, the projector) while command monitoring captures each `find` and
`aggregate` it sends; each is then explained. A blocking SORT stage fails, and so does a COLLSCAN over
`events`. mongoeco, the test server, explains in a format of its own, so the plans are checked only
against a real MongoDB (EVENTFOLD_TEST_MONGODB_URI, a replica set).

Reads of one stream must name `streamId`, the shard key `events` is laid out for (store/mongo/sharding.py).

One sort stays in memory, as the README says: a search by the start of a word (`searchOrders`,
`customers` and `products` with a search: an anchored $regex on `words`) reads a range of the words'
multikey index, which gives no order, so MongoDB sorts the matches, keeping the top `first`.
"""

import os
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import MongoClient

from app.settings import Settings
from app.web import create_app
from store.mongo.sharding import EVENTS_SHARD_KEY
from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    EVENTS,
    HISTORY,
    PLACE_ORDER,
    SHIP_ORDER,
    create_product,
    register_customer,
)
from tests.live_server import live_server
from tests.mongo_commands import CapturedQueries
from tests.subscriptions.test_subscriptions import ORDER_CHANGED, ORDER_EVENTS, WAIT, Subscriber

SESSION_FIELDS = frozenset(
    {"lsid", "$db", "$clusterTime", "$readPreference", "readConcern", "txnNumber", "autocommit"}
)
"""What a sent command carries besides its query, which `explain` does not take."""
SORTED_IN_MEMORY = frozenset(
    {"order_search", "customer_profiles", "product_catalogue", "product_catalogue_history"}
)
"""Collections whose search by the start of a word MongoDB sorts in memory (see the module's docstring)."""

ORDERS = """query($filter: OrderFilter, $after: String, $asOf: DateTime) {
  orders(filter: $filter, first: 2, after: $after, asOf: $asOf) {
    edges { node { id status } } pageInfo { endCursor }
  }
}"""
ONE_ORDER = "query($id: ID!, $asOf: DateTime) { order(id: $id, asOf: $asOf) { id status } }"
CUSTOMER = "query($id: ID!, $asOf: DateTime) { customer(id: $id, asOf: $asOf) { id name } }"
PRODUCT = "query($id: ID!, $asOf: DateTime) { product(id: $id, asOf: $asOf) { id price } }"
PRODUCTS = """query($after: String, $search: String, $asOf: DateTime) {
  products(first: 1, after: $after, search: $search, asOf: $asOf) { pageInfo { endCursor } }
}"""
CUSTOMERS = """query($after: String, $search: String) {
  customers(first: 1, after: $after, search: $search) { pageInfo { endCursor } }
}"""
SEARCH = """query($text: String!, $after: String) {
  searchOrders(text: $text, first: 1, after: $after) { pageInfo { endCursor } }
}"""
SALES = "query($asOf: DateTime) { salesReport(asOf: $asOf) { ordersPlaced } }"
READ_MODELS = "query { projections { name } apiKeys { id } }"
FILTERED_EVENTS = (
    "query($filter: EventFilter) { events(filter: $filter, first: 2) { edges { node { id } } } }"
)


def explainable(command: dict[str, Any]) -> dict[str, Any] | None:
    """The command as `explain` takes it; None for a change stream, which has no plan to check."""
    if command.get("pipeline") and "$changeStream" in command["pipeline"][0]:
        return None
    return {key: value for key, value in command.items() if key not in SESSION_FIELDS}


def _stages(node: Any) -> Iterator[dict[str, Any]]:
    """Every stage of the plans MongoDB chose (never of those it rejected), in any explain format:
    classic or slot-based, on a replica set or a sharded cluster, for find or aggregate."""
    if isinstance(node, list):
        for item in node:
            yield from _stages(item)
    elif isinstance(node, dict):
        if "stage" in node:
            yield node
        for key, value in node.items():
            if key not in ("rejectedPlans", "allPlansExecution", "slotBasedPlan"):
                yield from _stages(value)


def untargeted(query: dict[str, Any]) -> list[str]:
    """A read of `events` that is not a read of the log by position must name the shard key, so that
    on a sharded cluster it would go to one shard."""
    [(key, _)] = EVENTS_SHARD_KEY
    by_position = "position" in query.get("sort", {})
    if query.get("find") != "events" or by_position or key in query.get("filter", {}):
        return []
    return [f"events: a read that names no {key}"]


def problems(collection: str, explained: dict[str, Any], prefix_search: bool) -> list[str]:
    found: list[str] = []
    for stage in _stages(explained):
        if stage["stage"] == "SORT" and not (prefix_search and collection in SORTED_IN_MEMORY):
            found.append(f"{collection}: a blocking SORT")
        if stage["stage"] == "COLLSCAN" and collection == "events":
            found.append("events: a COLLSCAN")
    # An aggregate whose sort is not pushed down into the query sorts as a stage of its own.
    if any("$sort" in stage for stage in explained.get("stages", [])):
        found.append(f"{collection}: a blocking $sort stage")
    return found


def test_the_problems_found_in_explained_plans() -> None:
    indexed = {"queryPlanner": {"winningPlan": {"stage": "LIMIT", "inputStage": {"stage": "IXSCAN"}}}}
    merged = {"queryPlanner": {"winningPlan": {"queryPlan": {"stage": "SORT_MERGE", "inputStages": []}}}}
    sorted_ = {
        "queryPlanner": {
            "winningPlan": {"stage": "SORT", "inputStage": {"stage": "COLLSCAN"}},
            "rejectedPlans": [{"stage": "SORT"}],
        }
    }
    aggregate = {
        "stages": [{"$cursor": {"queryPlanner": {"winningPlan": {"stage": "IXSCAN"}}}}, {"$sort": {}}]
    }

    assert problems("events", indexed, prefix_search=False) == []
    assert problems("events", merged, prefix_search=False) == []
    assert problems("events", sorted_, prefix_search=False) == [
        "events: a blocking SORT",
        "events: a COLLSCAN",
    ]
    assert problems("order_search", sorted_, prefix_search=True) == []
    assert problems("order_summaries", aggregate, prefix_search=False) == [
        "order_summaries: a blocking $sort stage"
    ]


@pytest.fixture
def backend() -> str:
    if not os.environ.get("EVENTFOLD_TEST_MONGODB_URI"):
        pytest.skip("needs a real MongoDB (EVENTFOLD_TEST_MONGODB_URI): the test server explains no plans")
    return "mongodb"


@pytest.fixture
def captured() -> CapturedQueries:
    return CapturedQueries()


@pytest.fixture
def server(settings: Settings, captured: CapturedQueries) -> Iterator[str]:
    with live_server(create_app(settings, command_listeners=(captured,))) as address:
        yield address


async def exercise(server: str, graphql: GraphQLClient) -> None:
    """One of each query shape the API sends, with the cursors and asOf bounds that change its plan."""
    customer = await register_customer(graphql)
    product = await create_product(graphql, "P-1", "5.00")
    place = {"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]}
    placed = [(await graphql.data(PLACE_ORDER, input=place))["placeOrder"] for _ in range(3)]
    as_of = placed[-1]["events"][0]["recordedAt"]
    orders = [each["order"]["id"] for each in placed]
    await graphql.data(SHIP_ORDER, input={"orderId": orders[0], "carrier": "DHL", "trackingNumber": "1"})
    await graphql.data(CANCEL_ORDER, input={"orderId": orders[1], "reason": "no"})
    for filter_ in ({}, {"status": "PLACED"}, {"customerId": customer["id"]}, {"placedFrom": as_of}):
        for at in (None, as_of):
            page = await graphql.data(ORDERS, filter=filter_, asOf=at)
            await graphql.data(ORDERS, filter=filter_, asOf=at, after=page["orders"]["pageInfo"]["endCursor"])
    for query, id_ in ((ONE_ORDER, orders[0]), (CUSTOMER, customer["id"]), (PRODUCT, product["id"])):
        for at in (None, as_of):
            await graphql.data(query, id=id_, asOf=at)
    for query, field, variables in (
        (PRODUCTS, "products", {}),
        (PRODUCTS, "products", {"search": "product p"}),
        (PRODUCTS, "products", {"asOf": as_of}),
        (PRODUCTS, "products", {"search": "prod", "asOf": as_of}),
        (CUSTOMERS, "customers", {}),
        (CUSTOMERS, "customers", {"search": "an"}),
        (SEARCH, "searchOrders", {"text": "ann lee"}),
        (SEARCH, "searchOrders", {"text": "an"}),
    ):
        cursor = (await graphql.data(query, **variables))[field]["pageInfo"]["endCursor"]
        await graphql.data(query, after=cursor, **variables)
    await graphql.data(READ_MODELS)
    for at in (None, as_of):
        await graphql.data(SALES, asOf=at)
    await graphql.data(HISTORY, id=orders[0], first=1)
    await graphql.data(EVENTS, afterPosition=2, first=2)
    window = {"from": as_of, "to": as_of, "types": ["OrderPlaced"], "streamTypes": ["Order"]}
    await graphql.data(FILTERED_EVENTS, filter=window)
    await replay(server, graphql, orders)


async def replay(server: str, graphql: GraphQLClient, orders: list[str]) -> None:
    for variables, count in (
        ({"orderId": orders[0], "afterPosition": 0}, 2),
        ({"types": ["OrderShipped"], "afterPosition": 0}, 1),
        ({"afterPosition": 0}, 5),
    ):
        subscriber = await Subscriber.open(server, ORDER_EVENTS, **variables)
        await subscriber.data(count)
        await subscriber.close()
    changes = await Subscriber.open(server, ORDER_CHANGED, id=orders[2])
    await graphql.data(SHIP_ORDER, input={"orderId": orders[2], "carrier": "UPS", "trackingNumber": "2"})
    await changes.data(1)
    await changes.close()


async def test_every_query_the_api_sends_is_served_by_an_index(
    server: str, captured: CapturedQueries, mongodb_server_uri: str
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as client:
        await exercise(server, GraphQLClient(client))

    found: list[str] = []
    explained_shapes = 0
    mongo: MongoClient[dict[str, Any]]
    with MongoClient(mongodb_server_uri, uuidRepresentation="standard", tz_aware=True) as mongo:
        for command in captured.commands:
            query = explainable(command)
            if query is None:
                continue
            collection = str(query.get("find") or query.get("aggregate"))
            explained = mongo[command["$db"]].command(
                {"explain": query, "verbosity": "queryPlanner"}, codec_options=mongo.codec_options
            )
            prefix_search = "$regex" in str(query.get("filter", {}))
            shape = problems(collection, explained, prefix_search) + untargeted(query)
            found += [f"{problem} in {query}" for problem in shape]
            explained_shapes += 1
    assert explained_shapes > 0
    assert found == []
