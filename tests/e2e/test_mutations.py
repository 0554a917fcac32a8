"""Every mutation through HTTP, on both backends: the payload is the entity and the events recorded."""

import asyncio
from datetime import datetime

from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_CUSTOMER_ADDRESS,
    CHANGE_CUSTOMER_EMAIL,
    CHANGE_PRODUCT_PRICE,
    CREATE_PRODUCT,
    EVENTS,
    HISTORY,
    PLACE_ORDER,
    REGISTER_CUSTOMER,
    SHIP_ORDER,
    VERIFY_CUSTOMER_EMAIL,
    create_product,
    place_order,
    register_customer,
)

ADDRESS = {"street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "de"}


async def test_register_a_customer(graphql: GraphQLClient) -> None:
    data = await graphql.data(
        REGISTER_CUSTOMER, input={"name": "  Ann Lee ", "email": "ann@example.com", "address": ADDRESS}
    )
    customer = data["registerCustomer"]["customer"]
    [event] = data["registerCustomer"]["events"]

    assert customer["name"] == "Ann Lee"
    assert customer["address"] == {**ADDRESS, "country": "DE"}
    assert (customer["emailVerified"], customer["version"]) == (False, 1)
    assert customer["createdAt"] == customer["updatedAt"] == event["recordedAt"]
    assert datetime.fromisoformat(event["recordedAt"]).utcoffset() is not None
    assert event["recordedAt"].endswith("+00:00")
    assert (event["type"], event["streamType"], event["streamId"], event["version"]) == (
        "CustomerRegistered",
        "Customer",
        customer["id"],
        1,
    )
    assert event["data"]["address"]["postalCode"] == "10115"
    assert {"correlationId", "causationId"} <= set(event["metadata"])


async def test_change_address_and_email_then_verify(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    moved = await graphql.data(
        CHANGE_CUSTOMER_ADDRESS, input={"customerId": customer["id"], "address": ADDRESS}
    )
    assert moved["changeCustomerAddress"]["customer"]["version"] == 2
    assert [e["type"] for e in moved["changeCustomerAddress"]["events"]] == ["CustomerAddressChanged"]

    verified = await graphql.data(VERIFY_CUSTOMER_EMAIL, input={"customerId": customer["id"]})
    assert verified["verifyCustomerEmail"]["customer"]["emailVerified"] is True

    changed = await graphql.data(
        CHANGE_CUSTOMER_EMAIL,
        input={"customerId": customer["id"], "email": "ann@work.example", "expectedVersion": 3},
    )
    assert changed["changeCustomerEmail"]["customer"] == {
        "id": customer["id"],
        "email": "ann@work.example",
        "emailVerified": False,
        "version": 4,
    }
    assert changed["changeCustomerEmail"]["events"][0]["data"]["previousEmail"] == customer["email"]


async def test_a_change_to_what_already_is_records_nothing(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    same = await graphql.data(
        CHANGE_CUSTOMER_EMAIL, input={"customerId": customer["id"], "email": customer["email"]}
    )
    assert same["changeCustomerEmail"]["events"] == []
    assert same["changeCustomerEmail"]["customer"]["version"] == 1


async def test_create_a_product_and_change_its_price(graphql: GraphQLClient) -> None:
    data = await graphql.data(CREATE_PRODUCT, input={"sku": "W-1", "name": "Widget", "price": "19.9"})
    product = data["createProduct"]["product"]
    assert (product["price"], product["version"]) == ("19.90", 1)
    assert data["createProduct"]["events"][0]["data"]["price"] == "19.90"

    repriced = await graphql.data(
        CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": "24.50", "expectedVersion": 1}
    )
    assert repriced["changeProductPrice"]["product"] == {"id": product["id"], "price": "24.50", "version": 2}


async def test_place_an_order_at_the_prices_of_the_moment(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    widget = await create_product(graphql, "W-1", "19.90", "Widget")
    gadget = await create_product(graphql, "G-1", "5.25", "Gadget")

    data = await graphql.data(
        PLACE_ORDER,
        input={
            "customerId": customer["id"],
            "lines": [{"productId": widget["id"], "quantity": 3}, {"productId": gadget["id"], "quantity": 2}],
        },
    )
    order = data["placeOrder"]["order"]
    assert order["status"] == "PLACED"
    assert order["total"] == "70.20"
    assert order["customer"] == {"id": customer["id"], "name": customer["name"]}
    assert [(line["sku"], line["unitPrice"], line["lineTotal"]) for line in order["lines"]] == [
        ("W-1", "19.90", "59.70"),
        ("G-1", "5.25", "10.50"),
    ]
    [placed] = data["placeOrder"]["events"]
    assert placed["data"]["lines"][0] == {
        "productId": widget["id"],
        "sku": "W-1",
        "name": "Widget",
        "quantity": 3,
        "unitPrice": "19.90",
    }

    await graphql.data(CHANGE_PRODUCT_PRICE, input={"productId": widget["id"], "price": "99.00"})
    history = await graphql.data(HISTORY, id=order["id"])
    assert history["history"]["edges"][0]["node"]["data"]["lines"][0]["unitPrice"] == "19.90"


async def test_ship_an_order(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    data = await graphql.data(
        SHIP_ORDER,
        input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "JD014600", "expectedVersion": 1},
    )
    shipped = data["shipOrder"]["order"]
    assert (shipped["status"], shipped["carrier"], shipped["trackingNumber"], shipped["version"]) == (
        "SHIPPED",
        "DHL",
        "JD014600",
        2,
    )
    assert shipped["shippedAt"] == data["shipOrder"]["events"][0]["recordedAt"]


async def test_cancel_an_order(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    data = await graphql.data(CANCEL_ORDER, input={"orderId": order["id"], "reason": "ordered twice"})
    cancelled = data["cancelOrder"]["order"]
    assert (cancelled["status"], cancelled["cancelReason"]) == ("CANCELLED", "ordered twice")
    assert cancelled["cancelledAt"] is not None


async def test_a_repeated_idempotency_key_returns_the_first_result_and_records_nothing(
    graphql: GraphQLClient,
) -> None:
    order = await place_order(graphql, idempotencyKey="checkout-7f3a")
    before = await graphql.data(EVENTS, first=100)

    again = await graphql.data(
        PLACE_ORDER,
        input={
            "customerId": order["customerId"],
            "lines": [{"productId": order["lines"][0]["productId"], "quantity": 3}],
            "idempotencyKey": "checkout-7f3a",
        },
    )

    assert again["placeOrder"]["order"] == order
    assert [e["version"] for e in again["placeOrder"]["events"]] == [1]
    assert await graphql.data(EVENTS, first=100) == before


async def test_racing_repeats_of_one_idempotency_key_place_one_order(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    widget = await create_product(graphql, "W-1", "19.90")
    attempt = {
        "customerId": customer["id"],
        "lines": [{"productId": widget["id"], "quantity": 1}],
        "idempotencyKey": "double-click",
    }

    results = await asyncio.gather(*(graphql.data(PLACE_ORDER, input=attempt) for _ in range(8)))

    assert len({result["placeOrder"]["order"]["id"] for result in results}) == 1
    placed = [
        e
        for e in (await graphql.data(EVENTS, first=100))["events"]["edges"]
        if e["node"]["type"] == "OrderPlaced"
    ]
    assert len(placed) == 1


async def test_racing_writers_without_expected_version_are_retried(graphql: GraphQLClient) -> None:
    product = await create_product(graphql, "W-1", "1.00")
    prices = [f"{n}.00" for n in range(2, 12)]

    await asyncio.gather(
        *(
            graphql.data(CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": price})
            for price in prices
        )
    )

    history = await graphql.data(HISTORY, id=product["id"], first=100)
    versions = [edge["node"]["version"] for edge in history["history"]["edges"]]
    assert versions == list(range(1, 12))
