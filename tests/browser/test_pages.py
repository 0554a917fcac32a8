"""GraphiQL and the dashboard in a real browser: they load from this server alone, run queries,
and show what subscriptions deliver."""

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from playwright.async_api import Page, WebSocketRoute, expect

from tests.browser.conftest import screenshot
from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_PRODUCT_PRICE,
    PLACE_ORDER,
    create_product,
    place_order,
    register_customer,
)
from tests.observability.test_metrics import scrape, value

WAIT_MS = 15_000
DASHBOARD_SUBSCRIPTIONS = 3
"""The dashboard's: order events, and the sales report for its counts and for its chart."""


@pytest.fixture
async def graphql(server: str) -> AsyncIterator[GraphQLClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=10) as http:
        yield GraphQLClient(http)


async def subscribed(graphql: GraphQLClient, count: int) -> None:
    """Once the server holds `count` subscriptions (the page's own, opened over its WebSocket)."""
    deadline = time.monotonic() + 15
    while value(await scrape(graphql.http), "eventfold_active_subscriptions") != count:
        assert time.monotonic() < deadline, "the page did not subscribe"
        await asyncio.sleep(0.1)


async def run_in_graphiql(page: Page, document: str) -> None:
    editor = page.locator(".graphiql-query-editor .CodeMirror")
    await editor.wait_for(timeout=WAIT_MS)
    await page.evaluate(
        "text => document.querySelector('.graphiql-query-editor .CodeMirror').CodeMirror.setValue(text)",
        document,
    )
    await page.locator(".graphiql-execute-button").click()


async def test_graphiql_runs_a_query_and_shows_the_result(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    customer = await register_customer(graphql, "Grace Hopper")
    query = "query($id: ID!) { customer(id: $id) { name } }"
    assert (await graphql.data(query, id=customer["id"]))["customer"] == {"name": "Grace Hopper"}

    await page.goto(f"http://{server}/graphql")
    await run_in_graphiql(page, f'{{ customer(id: "{customer["id"]}") {{ name email }} }}')

    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text('"name": "Grace Hopper"', timeout=WAIT_MS)
    await expect(result).to_contain_text("grace.hopper@example.com")
    await screenshot(page, "graphiql-query")


async def test_graphiql_runs_a_subscription_over_the_websocket(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    await page.goto(f"http://{server}/graphql")
    await run_in_graphiql(page, "subscription { orderEvents { type streamId position } }")
    await subscribed(graphql, 1)

    order = await place_order(graphql)

    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text('"type": "OrderPlaced"', timeout=WAIT_MS)
    await expect(result).to_contain_text(order["id"])
    await screenshot(page, "graphiql-subscription")


async def test_the_dashboard_shows_an_order_placed_over_http(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    await page.goto(f"http://{server}/dashboard")
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(page.locator("#status-PLACED")).to_have_text("0", timeout=WAIT_MS)
    await subscribed(graphql, DASHBOARD_SUBSCRIPTIONS)

    order = await place_order(graphql)

    event = page.locator(f'#events li.OrderPlaced[data-stream-id="{order["id"]}"]')
    await expect(event).to_be_visible(timeout=WAIT_MS)
    await expect(page.locator("#status-PLACED")).to_have_text("1", timeout=WAIT_MS)
    revenue: list[Any] = []
    deadline = time.monotonic() + 15
    while not revenue or revenue[-1] != float(order["total"]):
        assert time.monotonic() < deadline, f"today's revenue is {revenue[-1:]}, not {order['total']}"
        await asyncio.sleep(0.1)
        revenue = await page.evaluate("Chart.getChart('revenue').data.datasets[0].data")
    assert sum(revenue) == float(order["total"])
    await expect(page.locator("#currency")).to_have_text("EUR", timeout=WAIT_MS)
    await expect(event).to_contain_text(f"total {order['total']} EUR")
    await screenshot(page, "dashboard")


async def test_a_token_given_on_the_page_is_sent_over_http_and_in_connection_init(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    created = await graphql.data('mutation { createApiKey(input: {name: "wall", role: VIEWER}) { token } }')
    token = created["createApiKey"]["token"]
    await page.goto(f"http://{server}/dashboard")
    await page.evaluate(f"localStorage.setItem('eventfold.token', '{token}')")
    authorizations: list[str | None] = []
    connection_inits: list[str] = []
    page.on(
        "request",
        lambda request: (
            authorizations.append(request.headers.get("authorization")) if request.method == "POST" else None
        ),
    )
    page.on(
        "websocket",
        lambda socket: socket.on(
            "framesent",
            lambda frame: connection_inits.append(str(frame)) if "connection_init" in str(frame) else None,
        ),
    )
    await page.reload()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(page.locator("#token")).to_have_value(token)
    # A viewer's key is enough for everything the dashboard reads.
    await expect(page.locator("#events li.empty")).to_have_text("no order events yet…", timeout=WAIT_MS)
    await expect(page.locator("#status-PLACED")).to_have_text("0", timeout=WAIT_MS)
    await expect(page.locator("#error")).to_be_hidden()

    assert authorizations
    assert set(authorizations) == {f"Bearer {token}"}
    assert len(connection_inits) == 1
    assert f'"payload":{{"authorization":"Bearer {token}"}}' in connection_inits[0]


QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
VARIABLES_EDITOR = ".graphiql-editor-tool .graphiql-editor:first-child .CodeMirror"


def editor_text(page: Page, editor: str) -> Any:
    """What one of GraphiQL's editors holds."""
    return page.evaluate("editor => document.querySelector(editor).CodeMirror.getValue()", editor)


def shared(page: Page) -> dict[str, str]:
    """The query parameters of the page's current URL."""
    return {name: values[-1] for name, values in parse_qs(urlsplit(page.url).query).items()}


async def test_a_query_link_opens_graphiql_with_it_filled_in_and_runs_it(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    customer = await register_customer(graphql, "Ada Lovelace")
    query = "query Who($id: ID!) { customer(id: $id) { name email } }"
    variables = json.dumps({"id": customer["id"]})
    await page.goto(f"http://{server}/graphql?{urlencode({'query': query, 'variables': variables})}")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for(timeout=WAIT_MS)

    assert await editor_text(page, QUERY_EDITOR) == query
    assert await editor_text(page, VARIABLES_EDITOR) == variables
    await page.locator(".graphiql-execute-button").click()
    result = page.locator(".graphiql-response")
    await expect(result).to_contain_text('"name": "Ada Lovelace"', timeout=WAIT_MS)
    await screenshot(page, "graphiql-query-link")


async def test_graphiql_keeps_what_is_edited_in_its_url_to_share(page: Page, server: str) -> None:
    await page.goto(f"http://{server}/graphql")
    document = "query Kind { __typename }"
    await run_in_graphiql(page, document)
    await page.wait_for_function(
        "text => new URLSearchParams(location.search).get('query') === text", arg=document, timeout=WAIT_MS
    )
    await page.evaluate(
        "([editor, text]) => document.querySelector(editor).CodeMirror.setValue(text)",
        [VARIABLES_EDITOR, '{"unused": 1}'],
    )
    await page.wait_for_function("new URLSearchParams(location.search).has('variables')", timeout=WAIT_MS)
    assert shared(page) == {"query": document, "variables": '{"unused": 1}', "operationName": "Kind"}
    link = page.url

    other = await page.context.new_page()
    await other.goto(link)
    await other.locator(".graphiql-query-editor .CodeMirror").wait_for(timeout=WAIT_MS)
    assert await editor_text(other, QUERY_EDITOR) == document
    assert await editor_text(other, VARIABLES_EDITOR) == '{"unused": 1}'


async def test_a_query_link_cannot_break_out_of_the_page(page: Page, server: str) -> None:
    hostile = "{ __typename } # </script><script>window.broken = true</script> \"' &amp; <b>"
    await page.goto(f"http://{server}/graphql?{urlencode({'query': hostile})}")
    await page.locator(".graphiql-query-editor .CodeMirror").wait_for(timeout=WAIT_MS)

    assert await editor_text(page, QUERY_EDITOR) == hostile
    assert await page.evaluate("window.broken") is None
    await page.locator(".graphiql-execute-button").click()
    await expect(page.locator(".graphiql-response")).to_contain_text('"__typename": "Query"', timeout=WAIT_MS)


async def test_the_explorer_builds_a_query_by_clicking(page: Page, server: str) -> None:
    await page.goto(f"http://{server}/graphql?{urlencode({'query': '{ __typename }'})}")
    await page.get_by_role("button", name="Show GraphiQL Explorer").click()
    explorer = page.locator(".graphiql-explorer-root")
    await expect(explorer).to_be_visible(timeout=WAIT_MS)
    await explorer.get_by_text("projections", exact=True).click()
    await explorer.get_by_text("lag", exact=True).click()
    await page.wait_for_function(
        "/projections\\s*{\\s*lag/.test(new URLSearchParams(location.search).get('query') || '')",
        timeout=WAIT_MS,
    )
    await screenshot(page, "graphiql-explorer")


async def revenue_shown(page: Page, expected: float) -> None:
    """Once the chart's bars add up to `expected`."""
    revenue: list[float] = []
    deadline = time.monotonic() + 15
    while sum(revenue) != expected:
        assert time.monotonic() < deadline, f"the chart shows {sum(revenue)}, not {expected}"
        await asyncio.sleep(0.1)
        revenue = await page.evaluate("Chart.getChart('revenue').data.datasets[0].data")


async def shown_positions(page: Page) -> list[int]:
    """The positions of the events the dashboard lists, top (newest) first."""
    shown = await page.locator("#events li").evaluate_all("items => items.map(item => item.dataset.position)")
    return [int(position) for position in shown]


async def order_event_positions(graphql: GraphQLClient) -> list[int]:
    """Every order event's position, newest first, as the log lists them."""
    query = """query($after: Int!) {
      events(afterPosition: $after, first: 100, filter: {streamTypes: ["Order"]}) {
        edges { node { position } } pageInfo { hasNextPage }
      }
    }"""
    positions: list[int] = []
    while True:
        page = (await graphql.data(query, after=positions[-1] if positions else 0))["events"]
        positions += [edge["node"]["position"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return positions[::-1]


async def order(graphql: GraphQLClient, customer: dict[str, Any], product: dict[str, Any]) -> dict[str, Any]:
    lines = [{"productId": product["id"], "quantity": 1}]
    placed = await graphql.data(PLACE_ORDER, input={"customerId": customer["id"], "lines": lines})
    return placed["placeOrder"]["order"]  # type: ignore[no-any-return]


async def test_the_dashboard_shows_the_last_order_events_after_a_reload_and_its_report_from_the_subscription(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    customer = await register_customer(graphql, "Edsger Dijkstra")
    # Order events are one in two of the log's: the page reads it back in more than one window.
    orders = [
        await order(graphql, customer, await create_product(graphql, f"W-{n}", "10.00")) for n in range(24)
    ]
    await graphql.data(CANCEL_ORDER, input={"orderId": orders[0]["id"], "reason": "a test"})
    before = await order_event_positions(graphql)
    assert len(before) == 25

    sent: list[str] = []
    page.on(
        "request", lambda request: sent.append(request.post_data or "") if request.method == "POST" else None
    )
    await page.goto(f"http://{server}/dashboard")
    await expect(page.locator("#events li")).to_have_count(20, timeout=WAIT_MS)
    await page.reload()
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    await expect(page.locator("#events li")).to_have_count(20, timeout=WAIT_MS)
    assert await shown_positions(page) == before[:20]
    await expect(page.locator("#status-PLACED")).to_have_text("23", timeout=WAIT_MS)
    await expect(page.locator("#status-CANCELLED")).to_have_text("1", timeout=WAIT_MS)
    await revenue_shown(page, 230.0)
    await subscribed(graphql, DASHBOARD_SUBSCRIPTIONS)
    reports = await page.evaluate("document.body.dataset.reports")

    placed = await place_order(graphql, sku="W-new")

    await expect(page.locator("#events li").first).to_have_attribute(
        "data-stream-id", placed["id"], timeout=WAIT_MS
    )
    await expect(page.locator("#status-PLACED")).to_have_text("24", timeout=WAIT_MS)
    await revenue_shown(page, 230.0 + float(placed["total"]))
    assert await page.evaluate("document.body.dataset.reports") == str(int(reports) + 1)
    assert await shown_positions(page) == (await order_event_positions(graphql))[:21]
    assert sent, "the page read the recent events over HTTP"
    assert not [body for body in sent if "salesReport" in body], (
        "the page asked for the sales report over HTTP"
    )
    await screenshot(page, "dashboard-recent")


async def test_the_dashboard_finds_the_last_order_events_behind_many_others(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    customer = await register_customer(graphql, "Barbara Liskov")
    product = await create_product(graphql, "W-1", "10.00")
    # Newest first: 5 orders, then 135 other events, then 130 orders: more than a page of order
    # events in the window the page reaches once it has widened its look back past the others.
    for _ in range(130):
        await order(graphql, customer, product)
    for cents in range(135):
        await graphql.data(
            CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": f"{11 + cents / 100:.2f}"}
        )
    for _ in range(5):
        await order(graphql, customer, product)

    await page.goto(f"http://{server}/dashboard")
    await expect(page.locator("#events li")).to_have_count(20, timeout=WAIT_MS)
    assert await shown_positions(page) == (await order_event_positions(graphql))[:20]


async def test_the_dashboard_resumes_after_the_last_event_shown_when_its_connection_drops(
    page: Page, server: str, graphql: GraphQLClient
) -> None:
    connections: list[tuple[WebSocketRoute, WebSocketRoute]] = []
    subscribes: list[dict[str, Any]] = []

    def proxy(socket: WebSocketRoute) -> None:
        server_side = socket.connect_to_server()
        connections.append((socket, server_side))

        def forward(message: str | bytes) -> None:
            sent = json.loads(message)
            if sent.get("type") == "subscribe" and "orderEvents" in sent["payload"]["query"]:
                subscribes.append(sent["payload"]["variables"])
            server_side.send(message)

        socket.on_message(forward)

    await page.route_web_socket(f"ws://{server}/graphql", proxy)
    first = await place_order(graphql, sku="W-1")
    await page.goto(f"http://{server}/dashboard")
    await expect(page.locator("#events li.OrderPlaced")).to_have_count(1, timeout=WAIT_MS)
    await subscribed(graphql, DASHBOARD_SUBSCRIPTIONS)
    second = await place_order(graphql, sku="W-2")
    await expect(page.locator("#events li")).to_have_count(2, timeout=WAIT_MS)
    last_shown = (await shown_positions(page))[0]

    page_side, server_side = connections[0]
    await server_side.close(code=1001, reason="going away")
    await page_side.close(code=1001, reason="going away")
    third = await place_order(graphql, sku="W-3")

    await expect(page.locator("#events li").first).to_have_attribute(
        "data-stream-id", third["id"], timeout=WAIT_MS
    )
    await expect(page.locator("#connection")).to_have_attribute("data-state", "open", timeout=WAIT_MS)
    assert len(connections) == 2
    assert len(subscribes) == 2
    assert subscribes[1] == {"after": last_shown}
    shown = await page.locator("#events li").evaluate_all("items => items.map(item => item.dataset.streamId)")
    assert shown == [third["id"], second["id"], first["id"]]
    assert await shown_positions(page) == (await order_event_positions(graphql))[:3]
