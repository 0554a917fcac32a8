"""Every query of the read side through HTTP, on both backends, after the projector applied the writes."""

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_CUSTOMER_ADDRESS,
    CHANGE_CUSTOMER_EMAIL,
    CHANGE_PRODUCT_PRICE,
    PLACE_ORDER,
    SHIP_ORDER,
    create_product,
    register_customer,
)

ORDER = """
query($id: ID!) {
  order(id: $id) {
    id customerId status total placedAt shippedAt carrier trackingNumber cancelledAt cancelReason version
    lines { productId sku name quantity unitPrice lineTotal }
    customer { id name email }
  }
}"""

ORDERS = """
query($filter: OrderFilter, $first: Int, $after: String) {
  orders(filter: $filter, first: $first, after: $after) {
    edges { cursor node { id status total customer { name } } }
    pageInfo { hasNextPage endCursor }
  }
}"""

SEARCH = "query($text: String!) { searchOrders(text: $text) { edges { node { id status } } } }"
CUSTOMER = """query($id: ID!) { customer(id: $id) {
  id name email emailVerified address { street city postalCode country } version createdAt updatedAt } }"""
PRODUCT = "query($id: ID!) { product(id: $id) { id sku name price version } }"
PRODUCTS = """query($first: Int, $after: String) {
  products(first: $first, after: $after) {
    edges { cursor node { sku price } } pageInfo { hasNextPage endCursor }
  }
}"""
SALES = """query($from: DateTime, $to: DateTime) {
  salesReport(from: $from, to: $to) {
    from to ordersPlaced ordersShipped ordersCancelled revenue topProducts { productId name quantity revenue }
    days { day ordersPlaced ordersShipped ordersCancelled revenue }
  }
}"""
PROJECTIONS = "{ projections { name position lag updatedAt feed error collection } }"


async def place(
    graphql: GraphQLClient, customer: dict[str, Any], *lines: tuple[dict[str, Any], int]
) -> dict[str, Any]:
    data = await graphql.data(
        PLACE_ORDER,
        input={
            "customerId": customer["id"],
            "lines": [{"productId": p["id"], "quantity": q} for p, q in lines],
        },
    )
    order: dict[str, Any] = data["placeOrder"]["order"]
    return order


@pytest.fixture
async def shop(graphql: GraphQLClient) -> dict[str, Any]:
    """Two customers, two products, three orders: one shipped, one cancelled, one placed."""
    ann = await register_customer(graphql, "Ann Lee")
    bob = await register_customer(graphql, "Bob Roe")
    widget = await create_product(graphql, "W-1", "19.90", "Blue Widget")
    gadget = await create_product(graphql, "G-1", "5.25", "Red Gadget")
    shipped = await place(graphql, ann, (widget, 2))
    await graphql.data(
        SHIP_ORDER, input={"orderId": shipped["id"], "carrier": "DHL", "trackingNumber": "JD014600"}
    )
    cancelled = await place(graphql, bob, (gadget, 4), (widget, 1))
    await graphql.data(CANCEL_ORDER, input={"orderId": cancelled["id"], "reason": "ordered twice"})
    placed = await place(graphql, ann, (gadget, 1))
    return {
        "ann": ann,
        "bob": bob,
        "widget": widget,
        "gadget": gadget,
        "shipped": shipped,
        "cancelled": cancelled,
        "placed": placed,
    }


async def test_order_shows_the_read_model_with_its_customer(
    graphql: GraphQLClient, shop: dict[str, Any]
) -> None:
    order = (await graphql.data(ORDER, id=shop["shipped"]["id"]))["order"]
    assert order["status"] == "SHIPPED"
    assert (order["carrier"], order["trackingNumber"], order["version"]) == ("DHL", "JD014600", 2)
    assert order["total"] == "39.80"
    assert order["lines"] == [
        {
            "productId": shop["widget"]["id"],
            "sku": "W-1",
            "name": "Blue Widget",
            "quantity": 2,
            "unitPrice": "19.90",
            "lineTotal": "39.80",
        }
    ]
    assert order["customer"] == {"id": shop["ann"]["id"], "name": "Ann Lee", "email": "ann.lee@example.com"}
    assert order["placedAt"] == shop["shipped"]["placedAt"]


async def test_an_unknown_order_is_null(graphql: GraphQLClient) -> None:
    assert (await graphql.data(ORDER, id="00000000-0000-4000-8000-000000000000"))["order"] is None


async def test_orders_filters_by_status_and_customer(graphql: GraphQLClient, shop: dict[str, Any]) -> None:
    async def ids(**filter: Any) -> list[str]:
        data = await graphql.data(ORDERS, filter=filter)
        return [edge["node"]["id"] for edge in data["orders"]["edges"]]

    assert await ids() == [shop["placed"]["id"], shop["cancelled"]["id"], shop["shipped"]["id"]]
    assert await ids(status="CANCELLED") == [shop["cancelled"]["id"]]
    assert await ids(customerId=shop["ann"]["id"]) == [shop["placed"]["id"], shop["shipped"]["id"]]
    assert await ids(customerId=shop["ann"]["id"], status="PLACED") == [shop["placed"]["id"]]
    assert await ids(customerId=shop["bob"]["id"], status="SHIPPED") == []


async def test_orders_filters_by_when_they_were_placed(graphql: GraphQLClient, shop: dict[str, Any]) -> None:
    placed_at = datetime.fromisoformat(shop["cancelled"]["placedAt"])

    async def ids(**filter: Any) -> list[str]:
        data = await graphql.data(ORDERS, filter=filter)
        return [edge["node"]["id"] for edge in data["orders"]["edges"]]

    assert await ids(placedFrom=placed_at.isoformat(), placedTo=placed_at.isoformat()) == [
        shop["cancelled"]["id"]
    ]
    assert await ids(placedTo=(placed_at - timedelta(microseconds=1)).isoformat()) == [shop["shipped"]["id"]]
    # Any offset is honoured.
    in_new_york = placed_at.astimezone(timezone(timedelta(hours=-5))).isoformat()
    assert shop["cancelled"]["id"] in await ids(placedFrom=in_new_york)


async def test_orders_pages_stay_stable_while_new_orders_arrive(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    product = await create_product(graphql, "W-1", "1.00")
    older = [await place(graphql, customer, (product, n)) for n in range(1, 6)]

    first = (await graphql.data(ORDERS, first=2))["orders"]
    newer = [await place(graphql, customer, (product, 9)) for _ in range(3)]
    seen = [edge["node"]["id"] for edge in first["edges"]]
    after = first["pageInfo"]["endCursor"]
    while after:
        page = (await graphql.data(ORDERS, first=2, after=after))["orders"]
        seen += [edge["node"]["id"] for edge in page["edges"]]
        after = page["pageInfo"]["endCursor"] if page["pageInfo"]["hasNextPage"] else None

    assert seen == [order["id"] for order in reversed(older)]
    assert len(newer) == 3


@pytest.mark.parametrize(
    ("variables", "field"),
    [
        ({"first": 0}, "first"),
        ({"first": 101}, "first"),
        ({"after": "bm9wZQ=="}, "after"),
        ({"filter": {"customerId": "x"}}, "filter.customerId"),
        ({"filter": {"placedFrom": "2026-11-26T10:00:00"}}, "filter.placedFrom"),
    ],
)
async def test_bad_orders_arguments_are_bad_user_input(
    graphql: GraphQLClient, variables: dict[str, Any], field: str
) -> None:
    error = await graphql.error(ORDERS, **variables)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_an_unknown_status_is_bad_user_input(graphql: GraphQLClient) -> None:
    errors = await graphql.errors(ORDERS, filter={"status": "LOST"})
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ann", ["placed", "shipped"]),
        ("ANN.LEE@EXAMPLE.COM", ["placed", "shipped"]),
        ("widget", ["cancelled", "shipped"]),
        ("red gadget bob", ["cancelled"]),
        ("JD014600", ["shipped"]),
        ("g-1", ["placed", "cancelled"]),
        ("nobody", []),
    ],
)
async def test_search_orders(
    graphql: GraphQLClient, shop: dict[str, Any], text: str, expected: list[str]
) -> None:
    found = (await graphql.data(SEARCH, text=text))["searchOrders"]["edges"]
    assert [edge["node"]["id"] for edge in found] == [shop[name]["id"] for name in expected]


async def test_search_finds_a_customers_orders_by_their_new_email(
    graphql: GraphQLClient, shop: dict[str, Any]
) -> None:
    await graphql.data(
        CHANGE_CUSTOMER_EMAIL, input={"customerId": shop["ann"]["id"], "email": "ann@new.example"}
    )
    found = (await graphql.data(SEARCH, text="ann@new.example"))["searchOrders"]["edges"]
    assert [edge["node"]["id"] for edge in found] == [shop["placed"]["id"], shop["shipped"]["id"]]


@pytest.mark.parametrize("text", ["", "   ", "x" * 201])
async def test_an_empty_or_huge_search_is_bad_user_input(graphql: GraphQLClient, text: str) -> None:
    error = await graphql.error(SEARCH, text=text)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "text"}


@pytest.mark.parametrize("text", ['"', "*", "OR", "NEAR(", "a AND", "'; DROP TABLE events; --"])
async def test_search_syntax_in_the_text_is_just_text(
    graphql: GraphQLClient, shop: dict[str, Any], text: str
) -> None:
    assert (await graphql.data(SEARCH, text=text))["searchOrders"]["edges"] == []


async def test_customer_profile_follows_changes(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    address = {"street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    await graphql.data(CHANGE_CUSTOMER_ADDRESS, input={"customerId": customer["id"], "address": address})

    profile = (await graphql.data(CUSTOMER, id=customer["id"]))["customer"]
    assert profile["address"] == address
    assert (profile["version"], profile["emailVerified"], profile["createdAt"]) == (
        2,
        False,
        customer["createdAt"],
    )
    assert profile["updatedAt"] > profile["createdAt"]


async def test_product_and_products_in_sku_order(graphql: GraphQLClient) -> None:
    for sku in ["C-3", "A-1", "B-2"]:
        await create_product(graphql, sku, "2.00")
    b2 = (await graphql.data(PRODUCTS, first=3))["products"]["edges"][1]["node"]
    assert b2["sku"] == "B-2"
    [created] = [await create_product(graphql, "D-4", "3.00")]
    await graphql.data(CHANGE_PRODUCT_PRICE, input={"productId": created["id"], "price": "3.50"})
    assert (await graphql.data(PRODUCT, id=created["id"]))["product"] == {
        "id": created["id"],
        "sku": "D-4",
        "name": "Product D-4",
        "price": "3.50",
        "version": 2,
    }

    skus, after = [], None
    while True:
        page = (await graphql.data(PRODUCTS, first=3, after=after))["products"]
        skus += [edge["node"]["sku"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert skus == ["A-1", "B-2", "C-3", "D-4"]


async def test_sales_report_counts_placed_minus_cancelled(
    graphql: GraphQLClient, shop: dict[str, Any]
) -> None:
    report = (await graphql.data(SALES))["salesReport"]

    assert (report["ordersPlaced"], report["ordersShipped"], report["ordersCancelled"]) == (3, 1, 1)
    # 39.80 + (21.00 + 19.90) + 5.25, minus the cancelled 40.90.
    assert report["revenue"] == "45.05"
    assert report["topProducts"] == [
        {"productId": shop["widget"]["id"], "name": "Blue Widget", "quantity": 2, "revenue": "39.80"},
        {"productId": shop["gadget"]["id"], "name": "Red Gadget", "quantity": 1, "revenue": "5.25"},
    ]
    assert report["from"] is None


async def test_sales_report_counts_whole_days_of_its_window(
    graphql: GraphQLClient, shop: dict[str, Any]
) -> None:
    today = datetime.fromisoformat(shop["placed"]["placedAt"]).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    tomorrow = today + timedelta(days=1)

    report = await graphql.data(
        SALES, **{"from": (today + timedelta(hours=1)).isoformat(), "to": tomorrow.isoformat()}
    )
    assert report["salesReport"]["from"] == today.isoformat()
    assert report["salesReport"]["to"] == tomorrow.isoformat()
    assert report["salesReport"]["ordersPlaced"] == 3
    assert report["salesReport"]["days"] == [
        {
            "day": today.isoformat(),
            "ordersPlaced": 3,
            "ordersShipped": 1,
            "ordersCancelled": 1,
            "revenue": "45.05",
        }
    ]

    empty = (await graphql.data(SALES, **{"from": tomorrow.isoformat()}))["salesReport"]
    assert (empty["ordersPlaced"], empty["revenue"], empty["topProducts"], empty["days"]) == (
        0,
        "0.00",
        [],
        [],
    )


async def test_projections_report_their_position_and_lag(
    graphql: GraphQLClient, shop: dict[str, Any], backend: str
) -> None:
    statuses = (await graphql.data(PROJECTIONS))["projections"]
    assert sorted(s["name"] for s in statuses) == [
        "customer_profiles",
        "order_open_days",
        "order_search",
        "order_summaries",
        "product_catalogue",
        "sales_report",
    ]
    for status in statuses:
        assert status["position"] == graphql.position
        assert status["lag"] == 0
        # A real replica set (EVENTFOLD_TEST_MONGODB_URI) has change streams; the test server has not.
        assert status["feed"] in ({"tail"} if backend == "sqlite" else {"tail", "change_stream"})
        assert status["error"] is None
        assert status["updatedAt"] is not None


async def test_queries_read_the_writes_that_came_before_them(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    product = await create_product(graphql, "W-1", "1.00")
    orders = await asyncio.gather(*(place(graphql, customer, (product, 1)) for _ in range(5)))
    found = (await graphql.data(ORDERS, filter={"customerId": customer["id"]}))["orders"]["edges"]
    assert {edge["node"]["id"] for edge in found} == {order["id"] for order in orders}


CUSTOMER_ORDERS = """
query($id: ID!, $first: Int, $after: String) {
  customer(id: $id) {
    orders(first: $first, after: $after) {
      edges { node { id customerId } } pageInfo { hasNextPage endCursor }
    }
  }
}"""


async def test_a_customers_orders_come_newest_first_and_page_with_stable_cursors(
    graphql: GraphQLClient,
) -> None:
    customer = await register_customer(graphql)
    other = await register_customer(graphql, "Bob Ray")
    widget = await create_product(graphql, "CO-1", "5.00")

    async def place_for(customer_id: str) -> str:
        line = {"productId": widget["id"], "quantity": 1}
        data = await graphql.data(PLACE_ORDER, input={"customerId": customer_id, "lines": [line]})
        order_id: str = data["placeOrder"]["order"]["id"]
        return order_id

    placed = [await place_for(customer["id"]) for _ in range(3)]
    await place_for(other["id"])

    first = (await graphql.data(CUSTOMER_ORDERS, id=customer["id"], first=2))["customer"]["orders"]
    assert [edge["node"]["id"] for edge in first["edges"]] == placed[::-1][:2]
    assert first["pageInfo"]["hasNextPage"] is True
    newer = await place_for(customer["id"])
    rest = await graphql.data(CUSTOMER_ORDERS, id=customer["id"], after=first["pageInfo"]["endCursor"])
    assert [edge["node"]["id"] for edge in rest["customer"]["orders"]["edges"]] == [placed[0]]
    everything = (await graphql.data(CUSTOMER_ORDERS, id=customer["id"], first=10))["customer"]["orders"]
    assert [edge["node"]["id"] for edge in everything["edges"]] == [newer, *placed[::-1]]
    assert {edge["node"]["customerId"] for edge in everything["edges"]} == {customer["id"]}

    refused = await graphql.execute(CUSTOMER_ORDERS, id=customer["id"], after="nonsense")
    assert [error["extensions"]["code"] for error in refused["errors"]] == ["BAD_USER_INPUT"]
    assert refused["errors"][0]["path"] == ["customer", "orders"]
