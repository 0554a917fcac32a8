"""Every rejection carries its code and a message a frontend developer understands, and records nothing."""

import logging
import uuid
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.e2e.operations import (
    CANCEL_ORDER,
    CHANGE_CUSTOMER_EMAIL,
    CHANGE_PRODUCT_PRICE,
    CREATE_PRODUCT,
    EVENTS,
    HISTORY,
    PLACE_ORDER,
    REGISTER_CUSTOMER,
    SHIP_ORDER,
    create_product,
    place_order,
    register_customer,
)

UNKNOWN = str(uuid.uuid4())


async def log_positions(graphql: GraphQLClient) -> list[int]:
    data = await graphql.data(EVENTS, first=100)
    return [edge["node"]["position"] for edge in data["events"]["edges"]]


async def rejected(graphql: GraphQLClient, query: str, **variables: Any) -> dict[str, Any]:
    """The error, after checking that the rejection recorded nothing."""
    before = await log_positions(graphql)
    error = await graphql.error(query, **variables)
    assert await log_positions(graphql) == before
    assert "Traceback" not in error["message"]
    return error


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"name": "", "email": "ann@example.com"}, "name"),
        ({"name": "Ann", "email": "ann(at)example.com"}, "email"),
        (
            {
                "name": "Ann",
                "email": "a@example.com",
                "address": {"street": "s", "city": "c", "postalCode": "1", "country": "Narnia"},
            },
            "address.country",
        ),
    ],
)
async def test_invalid_customer_input_is_bad_user_input_naming_the_field(
    graphql: GraphQLClient, values: dict[str, Any], field: str
) -> None:
    error = await rejected(graphql, REGISTER_CUSTOMER, input=values)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}
    assert error["message"].startswith(f"{field}: ")


@pytest.mark.parametrize(
    ("price", "words"),
    [
        ("0.00", "greater than 0"),
        ("-1", '1 or 2 decimals, e.g. "19.90"'),
        ("1.999", '1 or 2 decimals, e.g. "19.90"'),
        ("abc", '1 or 2 decimals, e.g. "19.90"'),
        ("NaN", '1 or 2 decimals, e.g. "19.90"'),
    ],
)
async def test_an_invalid_price_is_bad_user_input(graphql: GraphQLClient, price: str, words: str) -> None:
    error = await rejected(graphql, CREATE_PRODUCT, input={"sku": "W-1", "name": "Widget", "price": price})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "price"}
    assert words in error["message"]


async def test_a_duplicate_sku_is_bad_user_input(graphql: GraphQLClient) -> None:
    await create_product(graphql, "W-1", "1.00")
    error = await rejected(graphql, CREATE_PRODUCT, input={"sku": "w-1", "name": "Other", "price": "2.00"})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "sku"}
    assert "already exists" in error["message"]


@pytest.mark.parametrize(
    ("lines", "field"),
    [
        ([], "lines"),
        ([{"productId": UNKNOWN, "quantity": 0}], "lines[0].quantity"),
        ([{"productId": UNKNOWN, "quantity": 1001}], "lines[0].quantity"),
        ([{"productId": "not-a-uuid", "quantity": 1}], "lines[0].productId"),
    ],
)
async def test_invalid_order_lines_are_bad_user_input(
    graphql: GraphQLClient, lines: list[dict[str, Any]], field: str
) -> None:
    customer = await register_customer(graphql)
    error = await rejected(graphql, PLACE_ORDER, input={"customerId": customer["id"], "lines": lines})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_ordering_for_an_unknown_customer_or_product_is_not_found(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    product = await create_product(graphql, "W-1", "1.00")

    no_customer = await rejected(
        graphql,
        PLACE_ORDER,
        input={"customerId": UNKNOWN, "lines": [{"productId": product["id"], "quantity": 1}]},
    )
    no_product = await rejected(
        graphql,
        PLACE_ORDER,
        input={"customerId": customer["id"], "lines": [{"productId": UNKNOWN, "quantity": 1}]},
    )

    assert no_customer["extensions"]["code"] == no_product["extensions"]["code"] == "NOT_FOUND"
    assert no_customer["message"] == f"customer {UNKNOWN} does not exist"
    assert no_product["message"] == f"product {UNKNOWN} does not exist"


@pytest.mark.parametrize(
    ("query", "values"),
    [
        (SHIP_ORDER, {"carrier": "DHL", "trackingNumber": "1"}),
        (CANCEL_ORDER, {"reason": "no"}),
    ],
)
async def test_changing_an_unknown_order_is_not_found(
    graphql: GraphQLClient, query: str, values: dict[str, Any]
) -> None:
    error = await rejected(graphql, query, input={"orderId": UNKNOWN, **values})
    assert error["extensions"]["code"] == "NOT_FOUND"


async def test_an_id_of_another_kind_of_entity_is_not_found(graphql: GraphQLClient) -> None:
    customer = await register_customer(graphql)
    product = await create_product(graphql, "W-1", "1.00")
    ship = {"orderId": customer["id"], "carrier": "DHL", "trackingNumber": "1"}
    line = [{"productId": customer["id"], "quantity": 1}]

    as_order = await rejected(graphql, SHIP_ORDER, input=ship)
    as_customer = await rejected(graphql, PLACE_ORDER, input={"customerId": product["id"], "lines": line})
    as_product = await rejected(
        graphql, CHANGE_PRODUCT_PRICE, input={"productId": customer["id"], "price": "2"}
    )
    as_of = await graphql.data(
        'query($id: ID!) { order(id: $id, asOf: "2100-01-01T00:00:00Z") { id } }', id=customer["id"]
    )

    assert as_order["message"] == f"order {customer['id']} does not exist"
    assert as_customer["message"] == f"customer {product['id']} does not exist"
    assert as_product["message"] == f"product {customer['id']} does not exist"
    assert as_of == {"order": None}


async def test_shipping_a_cancelled_order_is_invalid_state(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    await graphql.data(CANCEL_ORDER, input={"orderId": order["id"], "reason": "no"})

    error = await rejected(
        graphql, SHIP_ORDER, input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1"}
    )
    assert error["extensions"]["code"] == "INVALID_STATE"
    assert error["message"] == f"order {order['id']} is CANCELLED; only a PLACED order can be shipped"


async def test_a_stale_expected_version_is_a_conflict(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    error = await rejected(
        graphql,
        SHIP_ORDER,
        input={"orderId": order["id"], "carrier": "DHL", "trackingNumber": "1", "expectedVersion": 0},
    )
    assert error["extensions"]["code"] == "CONFLICT"
    assert "expectedVersion is 0" in error["message"]

    customer = await register_customer(graphql, "Bob Roe")
    stale = await rejected(
        graphql,
        CHANGE_CUSTOMER_EMAIL,
        input={"customerId": customer["id"], "email": "b@x.example", "expectedVersion": 7},
    )
    assert stale["extensions"]["code"] == "CONFLICT"


async def test_a_negative_expected_version_is_bad_user_input(graphql: GraphQLClient) -> None:
    product = await create_product(graphql, "W-1", "1.00")
    error = await rejected(
        graphql,
        CHANGE_PRODUCT_PRICE,
        input={"productId": product["id"], "price": "2.00", "expectedVersion": -1},
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "expectedVersion"}


@pytest.mark.parametrize(
    "document",
    [
        "{ nope }",
        "mutation { placeOrder(input: {}) { order { id } } }",
        "{ history(id: 5 { edges } }",
        'mutation { createProduct(input: {sku: "A", name: "B", price: "x"}) { product { id } } }',
    ],
)
async def test_malformed_documents_are_bad_user_input(graphql: GraphQLClient, document: str) -> None:
    before = await log_positions(graphql)
    errors = await graphql.errors(document)
    assert {error["extensions"]["code"] for error in errors} == {"BAD_USER_INPUT"}
    assert await log_positions(graphql) == before


async def test_a_variable_of_the_wrong_type_is_bad_user_input(graphql: GraphQLClient) -> None:
    errors = await graphql.errors(REGISTER_CUSTOMER, input={"name": 5, "email": ["x"]})
    assert [error["extensions"]["code"] for error in errors] == ["BAD_USER_INPUT"] * 2
    assert "name" in errors[0]["message"]


@pytest.mark.parametrize(
    ("variables", "field"),
    [({"id": "nope"}, "id"), ({"first": 0}, "first"), ({"first": 101}, "first"), ({"after": "!!"}, "after")],
)
async def test_bad_history_arguments_are_bad_user_input(
    graphql: GraphQLClient, variables: dict[str, Any], field: str
) -> None:
    error = await graphql.error(HISTORY, **{"id": UNKNOWN, **variables})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_an_unexpected_failure_is_masked_and_logged(
    graphql: GraphQLClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from dataclasses import replace

    from commands.routes import ROUTES
    from domain.commands import Command, RegisterCustomer

    def explode(*_: object) -> list[object]:
        raise RuntimeError("disk on fire at /var/secret")

    # The handler finds the customer's decider through the route of the command.
    registration: type[Command] = RegisterCustomer
    route = ROUTES[registration]
    monkeypatch.setitem(ROUTES, registration, replace(route, decider=replace(route.decider, decide=explode)))
    with caplog.at_level(logging.ERROR, logger="eventfold.errors"):
        error = await rejected(graphql, REGISTER_CUSTOMER, input={"name": "Ann", "email": "ann@example.com"})

    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR"}
    assert "disk on fire" not in error["message"]
    assert "disk on fire" in caplog.text
