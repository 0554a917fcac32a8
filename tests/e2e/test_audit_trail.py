"""`history` and `events` read the event store itself: the audit trail nothing can overwrite."""

from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CHANGE_PRODUCT_PRICE,
    EVENTS,
    HISTORY,
    SHIP_ORDER,
    create_product,
    place_order,
)


async def test_history_lists_an_orders_events_in_version_order(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    await graphql.data(SHIP_ORDER, input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1"})

    data = await graphql.data(HISTORY, id=order["id"])
    nodes = [edge["node"] for edge in data["history"]["edges"]]

    assert [(n["type"], n["version"]) for n in nodes] == [("OrderPlaced", 1), ("OrderShipped", 2)]
    assert all(n["streamId"] == order["id"] and n["streamType"] == "Order" for n in nodes)
    assert nodes[0]["recordedAt"] <= nodes[1]["recordedAt"]
    assert nodes[0]["position"] < nodes[1]["position"]
    assert data["history"]["pageInfo"]["hasNextPage"] is False


async def test_history_pages_with_cursors(graphql: GraphQLClient) -> None:
    product = await create_product(graphql, "W-1", "1.00")
    for cents in range(2, 7):
        await graphql.data(CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": f"{cents}.00"})

    versions, after = [], None
    while True:
        page = (await graphql.data(HISTORY, id=product["id"], first=2, after=after))["history"]
        versions += [edge["node"]["version"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert versions == [1, 2, 3, 4, 5, 6]


async def test_history_of_an_id_with_no_events_is_empty(graphql: GraphQLClient) -> None:
    data = await graphql.data(HISTORY, id="00000000-0000-4000-8000-000000000000")
    assert data["history"] == {"edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}}


async def test_the_global_log_is_in_position_order_and_pages_by_position(graphql: GraphQLClient) -> None:
    await place_order(graphql)
    everything = (await graphql.data(EVENTS))["events"]["edges"]
    positions = [edge["node"]["position"] for edge in everything]
    assert [edge["node"]["type"] for edge in everything] == [
        "CustomerRegistered",
        "ProductCreated",
        "OrderPlaced",
    ]
    assert positions == sorted(positions)

    rest = (await graphql.data(EVENTS, afterPosition=positions[0], first=1))["events"]
    assert [edge["node"]["position"] for edge in rest["edges"]] == [positions[1]]
    assert rest["pageInfo"]["hasNextPage"] is True
