"""Every operation x every role, over HTTP and WebSocket, on a server that requires authentication."""

import asyncio
import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import graphql
import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from access.api_keys import issue
from access.principals import Role
from app.settings import Settings
from app.stores import open_from
from schema import build_schema

NOBODY = "00000000-0000-4000-8000-000000000000"
WAIT = 10

QUERIES = {
    "order": f'{{ order(id: "{NOBODY}") {{ id }} }}',
    "orders": "{ orders { edges { node { id } } } }",
    "searchOrders": '{ searchOrders(text: "lamp") { edges { node { id } } } }',
    "customer": f'{{ customer(id: "{NOBODY}") {{ id }} }}',
    "customers": "{ customers { edges { node { id } } } }",
    "product": f'{{ product(id: "{NOBODY}") {{ id }} }}',
    "products": "{ products { edges { node { id } } } }",
    "node": f'{{ node(id: "{NOBODY}") {{ id }} }}',
    "nodes": f'{{ nodes(ids: ["{NOBODY}"]) {{ id }} }}',
    "salesReport": "{ salesReport { ordersPlaced } }",
    "projections": "{ projections { name } }",
    "history": f'{{ history(id: "{NOBODY}") {{ edges {{ node {{ id }} }} }} }}',
    "events": "{ events { edges { node { id } } } }",
    "apiKeys": "{ apiKeys { id } }",
}
CUSTOMER = f'customerId: "{NOBODY}"'
ORDER = f'orderId: "{NOBODY}"'
ADDRESS = 'address: {street: "1 Way", city: "Oslo", postalCode: "0150", country: "NO"}'
MUTATIONS = {
    "registerCustomer": 'registerCustomer(input: {name: "Ann", email: "a@example.com"}) { customer { id } }',
    "changeCustomerAddress": (
        f"changeCustomerAddress(input: {{{CUSTOMER}, {ADDRESS}}}) {{ customer {{ id }} }}"
    ),
    "changeCustomerEmail": (
        f'changeCustomerEmail(input: {{{CUSTOMER}, email: "a@example.com"}}) {{ customer {{ id }} }}'
    ),
    "verifyCustomerEmail": f"verifyCustomerEmail(input: {{{CUSTOMER}}}) {{ customer {{ id }} }}",
    "createProduct": 'createProduct(input: {sku: "LAMP-1", name: "Lamp", price: "9.90"}) { product { id } }',
    "changeProductPrice": (
        f'changeProductPrice(input: {{productId: "{NOBODY}", price: "1.00"}}) {{ product {{ id }} }}'
    ),
    "placeOrder": (
        f'placeOrder(input: {{{CUSTOMER}, lines: [{{productId: "{NOBODY}", quantity: 1}}]}}) '
        "{ order { id } }"
    ),
    "shipOrder": f'shipOrder(input: {{{ORDER}, carrier: "DHL", trackingNumber: "1"}}) {{ order {{ id }} }}',
    "cancelOrder": f'cancelOrder(input: {{{ORDER}, reason: "no"}}) {{ order {{ id }} }}',
    "createApiKey": 'createApiKey(input: {name: "made-by-admin", role: VIEWER}) { token }',
    "revokeApiKey": 'revokeApiKey(input: {id: "nobody"}) { apiKey { id } }',
    "skipEvent": 'skipEvent(projection: "order_summaries", position: 1) { stoppedAt }',
    "eraseCustomer": f'eraseCustomer(id: "{NOBODY}") {{ customer {{ id }} }}',
}
SUBSCRIPTIONS = {
    "orderEvents": "subscription { orderEvents { type } }",
    "orderChanged": "subscription { orderChanged { status } }",
    "customerChanged": f'subscription {{ customerChanged(id: "{NOBODY}") {{ name }} }}',
    "productChanged": f'subscription {{ productChanged(id: "{NOBODY}") {{ price }} }}',
    "salesReportChanged": "subscription { salesReportChanged { ordersPlaced } }",
    "projectionsChanged": "subscription { projectionsChanged { name } }",
}
OF_EVERY_ORDER = ("orderEvents", "orderChanged", "salesReportChanged", "projectionsChanged")
"""The subscriptions that the orders placed below reach (the others are of nobody's entity)."""
ADMIN_ONLY = {"apiKeys", "createApiKey", "revokeApiKey", "skipEvent", "eraseCustomer"}
CUSTOMER_FIELDS = {
    "customer",
    "customers",
    "order",
    "orders",
    "history",
    "searchOrders",
    "product",
    "products",
    "node",
    "nodes",
}
CUSTOMER_FIELDS |= {"placeOrder", "cancelOrder", "orderEvents", "orderChanged"}
DENIED = ("FORBIDDEN", "UNAUTHENTICATED")
SOMEBODY = uuid.UUID("11111111-1111-4111-8111-111111111111")
"""The customer the customer role's key acts for (what it may see of that customer: tests/access/
test_customer_role.py)."""


def allowed(role: Role, kind: str, field: str) -> bool:
    if field in ADMIN_ONLY:
        return role is Role.ADMIN
    return {
        Role.ADMIN: True,
        Role.CLERK: kind in ("query", "mutation"),
        Role.VIEWER: kind in ("query", "subscription"),
        Role.CUSTOMER: field in CUSTOMER_FIELDS,
    }[role]


def test_the_tables_name_every_operation_of_the_schema() -> None:
    schema = graphql.build_schema(build_schema().as_str())
    assert schema.query_type is not None
    assert schema.mutation_type is not None
    assert schema.subscription_type is not None
    assert set(QUERIES) == set(schema.query_type.fields)
    assert set(MUTATIONS) == set(schema.mutation_type.fields)
    assert set(SUBSCRIPTIONS) == set(schema.subscription_type.fields)


@pytest.fixture
async def tokens(secured: Settings) -> dict[Role, str]:
    stores = await open_from(secured)
    try:
        return {
            role: (
                await issue(
                    stores.api_keys,
                    f"{role}-key",
                    role,
                    datetime.now(UTC),
                    SOMEBODY if role is Role.CUSTOMER else None,
                )
            )[1]
            for role in Role
        }
    finally:
        await stores.close()


async def post(http: httpx.AsyncClient, query: str, token: str | None) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = await http.post("/graphql", json={"query": query}, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def operations() -> Iterator[tuple[str, str, str]]:
    for field, query in QUERIES.items():
        yield "query", field, query
    for field, selection in MUTATIONS.items():
        yield "mutation", field, f"mutation {{ {selection} }}"


async def test_each_role_may_run_exactly_its_queries_and_mutations(
    http: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    for role, token in tokens.items():
        for kind, field, query in operations():
            body = await post(http, query, token)
            if allowed(role, kind, field):
                assert not set(codes(body)) & set(DENIED), (role, field, body)
            else:
                assert codes(body) == ["FORBIDDEN"], (role, field, body)
                assert body["data"] is None
                assert role in body["errors"][0]["message"] or "admin" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("token", "says"),
    [
        (None, "authentication required"),
        ("efk_not-a-key", "unknown API key"),
        ("not.a.jwt", "accepts no JWTs"),
    ],
)
async def test_no_token_or_a_bad_one_is_unauthenticated_for_every_operation(
    http: httpx.AsyncClient, token: str | None, says: str
) -> None:
    for _, field, query in operations():
        body = await post(http, query, token)
        assert codes(body) == ["UNAUTHENTICATED"], (field, body)
        assert says in body["errors"][0]["message"]


async def test_a_malformed_authorization_header_is_unauthenticated(http: httpx.AsyncClient) -> None:
    response = await http.post(
        "/graphql", json={"query": QUERIES["orders"]}, headers={"Authorization": "Basic dXNlcjpwYXNz"}
    )
    assert codes(response.json()) == ["UNAUTHENTICATED"]
    assert "Bearer" in response.json()["errors"][0]["message"]


async def test_a_revoked_key_stops_working_at_once(http: httpx.AsyncClient, tokens: dict[Role, str]) -> None:
    admin = tokens[Role.ADMIN]
    created = await post(
        http, 'mutation { createApiKey(input: {name: "temp", role: CLERK}) { token apiKey { id } } }', admin
    )
    token = created["data"]["createApiKey"]["token"]
    assert codes(await post(http, QUERIES["orders"], token)) == []

    revoked = await post(
        http, 'mutation { revokeApiKey(input: {id: "temp"}) { apiKey { name revokedAt } } }', admin
    )
    assert revoked["data"]["revokeApiKey"]["apiKey"]["revokedAt"] is not None

    body = await post(http, QUERIES["orders"], token)
    assert codes(body) == ["UNAUTHENTICATED"]
    assert "revoked" in body["errors"][0]["message"]


async def legacy_answers(server: str, token: str, queries: list[str]) -> dict[str, dict[str, Any]]:
    """The answer to each query over the legacy graphql-ws protocol, by its index: its `data` or
    `error` message (once the operation completed)."""
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-ws")]
    ) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
        for number, query in enumerate(queries):
            await socket.send(json.dumps({"id": str(number), "type": "start", "payload": {"query": query}}))
        answers: dict[str, dict[str, Any]] = {}
        completed: set[str] = set()
        while len(completed) < len(queries):
            message = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
            if message["type"] in ("data", "error"):
                answers[message["id"]] = message
            if message["type"] in ("complete", "error"):
                completed.add(message["id"])
    return answers


def legacy_codes(message: dict[str, Any]) -> list[str]:
    payload = message["payload"]
    if message["type"] == "error":
        return [payload["extensions"]["code"]]
    return [error["extensions"]["code"] for error in payload.get("errors", [])]


async def test_each_role_may_run_exactly_its_queries_and_mutations_over_the_legacy_protocol(
    server: str, tokens: dict[Role, str]
) -> None:
    listed = list(operations())
    for role, token in tokens.items():
        answers = await legacy_answers(server, token, [query for _, _, query in listed])
        for number, (kind, field, _) in enumerate(listed):
            message = answers[str(number)]
            if allowed(role, kind, field):
                assert message["type"] == "data", (role, field, message)
                assert not set(legacy_codes(message)) & set(DENIED), (role, field, message)
            else:
                assert legacy_codes(message) == ["FORBIDDEN"], (role, field, message)


async def test_events_record_who_acted(http: httpx.AsyncClient, tokens: dict[Role, str]) -> None:
    body = await post(
        http,
        'mutation { createProduct(input: {sku: "S-1", name: "Lamp", price: "9.90"}) '
        "{ events { metadata } } }",
        tokens[Role.CLERK],
    )
    assert body["data"]["createProduct"]["events"][0]["metadata"]["actor"] == "key:clerk-key"


async def open_socket(server: str, payload: dict[str, Any] | None) -> websockets.ClientConnection:
    socket = await websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    )
    await socket.send(json.dumps({"type": "connection_init", **({"payload": payload} if payload else {})}))
    return socket


async def next_message(socket: websockets.ClientConnection) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        if message["type"] not in ("ping", "pong"):
            return message


async def test_each_role_may_run_exactly_its_subscriptions(
    server: str, http: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    sockets = {}
    # A customer's subscriptions see its own orders only: tests/access/test_customer_role.py.
    for role, token in ((role, token) for role, token in tokens.items() if role is not Role.CUSTOMER):
        socket = await open_socket(server, {"authorization": f"Bearer {token}"})
        assert (await next_message(socket))["type"] == "connection_ack"
        for number, query in enumerate(SUBSCRIPTIONS.values()):
            await socket.send(
                json.dumps({"id": str(number), "type": "subscribe", "payload": {"query": query}})
            )
        sockets[role] = socket

    await post(http, "mutation { " + MUTATIONS["registerCustomer"] + " }", tokens[Role.CLERK])
    customer = (await post(http, "{ events { edges { node { streamId } } } }", tokens[Role.ADMIN]))["data"]
    customer_id = customer["events"]["edges"][0]["node"]["streamId"]
    product = await post(http, "mutation { " + MUTATIONS["createProduct"] + " }", tokens[Role.CLERK])
    product_id = product["data"]["createProduct"]["product"]["id"]
    placed = await post(
        http,
        f'mutation {{ placeOrder(input: {{customerId: "{customer_id}", '
        f'lines: [{{productId: "{product_id}", quantity: 1}}]}}) {{ order {{ id }} }} }}',
        tokens[Role.CLERK],
    )
    assert codes(placed) == []

    for role, socket in sockets.items():
        answered = [
            field
            for field in SUBSCRIPTIONS
            if field in OF_EVERY_ORDER or not allowed(role, "subscription", field)
        ]
        messages = [await next_message(socket) for _ in answered]
        by_id = {message["id"]: message for message in messages}
        for number, field in enumerate(SUBSCRIPTIONS):
            if field not in answered:
                # Allowed, and nothing it follows changed: no answer, and no refusal either.
                assert str(number) not in by_id, (role, field, by_id)
                continue
            message = by_id[str(number)]
            if allowed(role, "subscription", field):
                assert message["type"] == "next", (role, field, message)
            else:
                assert message["type"] == "error", (role, field, message)
                assert [error["extensions"]["code"] for error in message["payload"]] == ["FORBIDDEN"]
        await socket.close()


@pytest.mark.parametrize("payload", [None, {"authorization": "Bearer efk_wrong"}, {"authorization": "wrong"}])
async def test_a_websocket_without_a_valid_token_is_closed_at_connection_init(
    server: str, payload: dict[str, Any] | None
) -> None:
    socket = await open_socket(server, payload)
    with pytest.raises(websockets.ConnectionClosed) as closed:
        await next_message(socket)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4403


async def test_metrics_need_a_token_of_any_role_but_customer_where_the_api_does(
    http: httpx.AsyncClient, tokens: dict[Role, str]
) -> None:
    refused = await http.get("/metrics")
    assert refused.status_code == 401
    assert "authentication required" in refused.json()["error"]
    assert (await http.get("/metrics", headers={"Authorization": "Bearer efk_nope"})).status_code == 401
    for role, token in tokens.items():
        scraped = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
        if role is Role.CUSTOMER:
            assert scraped.status_code == 403
            assert "customer role" in scraped.json()["error"]
            continue
        assert scraped.status_code == 200
        assert "eventfold_" in scraped.text
