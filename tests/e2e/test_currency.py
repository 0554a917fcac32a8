"""Money has a currency: products are priced in one, orders and the sales report follow, over GraphQL."""

from typing import Any

import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient, serving
from tests.e2e.operations import PLACE_ORDER, register_customer

CREATE = """
mutation($input: CreateProductInput!) {
  createProduct(input: $input) { product { id sku price currency } events { type data } }
}"""
CHANGE_PRICE = """
mutation($input: ChangeProductPriceInput!) {
  changeProductPrice(input: $input) { product { price currency } events { type data } }
}"""
ORDER = """
query($id: ID!) { order(id: $id) { total currency } }
"""
REPORT = """
query($currency: String) {
  salesReport(currency: $currency) { currency revenue ordersPlaced topProducts { name } }
}"""


async def product(
    graphql: GraphQLClient, sku: str, price: str, currency: str | None = None
) -> dict[str, Any]:
    sent = {"sku": sku, "name": f"Product {sku}", "price": price}
    data = await graphql.data(CREATE, input=sent if currency is None else {**sent, "currency": currency})
    created: dict[str, Any] = data["createProduct"]
    return created


async def order(graphql: GraphQLClient, customer: str, *products: str) -> dict[str, Any]:
    lines = [{"productId": product_id, "quantity": 2} for product_id in products]
    return await graphql.execute(PLACE_ORDER, input={"customerId": customer, "lines": lines})


async def test_a_product_is_priced_in_the_currency_it_is_created_with_and_keeps_it(
    graphql: GraphQLClient,
) -> None:
    created = await product(graphql, "W-1", "19.90", "usd")
    assert created["product"]["currency"] == "USD"
    assert created["events"][0]["data"]["currency"] == "USD"

    data = await graphql.data(CHANGE_PRICE, input={"productId": created["product"]["id"], "price": "21.00"})

    assert data["changeProductPrice"]["product"] == {"price": "21.00", "currency": "USD"}
    assert data["changeProductPrice"]["events"][0]["data"]["currency"] == "USD"


async def test_a_product_created_without_a_currency_is_in_the_default_one(graphql: GraphQLClient) -> None:
    created = await product(graphql, "W-1", "19.90")
    assert created["product"]["currency"] == "EUR"


@pytest.mark.parametrize("currency", ["", "EURO", "XYZ", "€", "12"])
async def test_a_currency_that_is_no_iso_4217_code_is_bad_user_input(
    graphql: GraphQLClient, currency: str
) -> None:
    sent = {"sku": "W-1", "name": "Widget", "price": "1.00", "currency": currency}
    error = await graphql.error(CREATE, input=sent)
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "currency")
    assert "ISO 4217" in error["message"]


async def test_an_order_is_in_its_products_currency_and_never_mixes_them(graphql: GraphQLClient) -> None:
    customer = (await register_customer(graphql))["id"]
    widget = (await product(graphql, "W-1", "10.00", "GBP"))["product"]["id"]
    gadget = (await product(graphql, "G-1", "5.00", "GBP"))["product"]["id"]
    in_euros = (await product(graphql, "E-1", "7.00", "EUR"))["product"]["id"]

    placed = await order(graphql, customer, widget, gadget)
    mixed = await order(graphql, customer, widget, gadget, in_euros)

    assert placed["data"]["placeOrder"]["order"]["total"] == "30.00"
    assert placed["data"]["placeOrder"]["events"][0]["data"]["currency"] == "GBP"
    [error] = mixed["errors"]
    assert (error["extensions"]["code"], error["extensions"]["field"]) == (
        "BAD_USER_INPUT",
        "lines[2].productId",
    )
    assert "priced in EUR, the lines before it in GBP" in error["message"]
    read = await graphql.data(ORDER, id=placed["data"]["placeOrder"]["order"]["id"])
    assert read["order"] == {"total": "30.00", "currency": "GBP"}


async def test_the_sales_report_counts_one_currency_at_a_time(graphql: GraphQLClient) -> None:
    customer = (await register_customer(graphql))["id"]
    pounds = (await product(graphql, "W-1", "10.00", "GBP"))["product"]["id"]
    euros = (await product(graphql, "E-1", "7.00"))["product"]["id"]
    await order(graphql, customer, pounds)
    await order(graphql, customer, euros)
    await order(graphql, customer, euros)

    default, in_pounds, in_yen = [
        (await graphql.data(REPORT, currency=currency))["salesReport"] for currency in (None, "gbp", "JPY")
    ]

    assert default == {
        "currency": "EUR",
        "revenue": "28.00",
        "ordersPlaced": 2,
        "topProducts": [{"name": "Product E-1"}],
    }
    assert in_pounds == {
        "currency": "GBP",
        "revenue": "20.00",
        "ordersPlaced": 1,
        "topProducts": [{"name": "Product W-1"}],
    }
    assert in_yen == {"currency": "JPY", "revenue": "0.00", "ordersPlaced": 0, "topProducts": []}
    error = await graphql.error(REPORT, currency="pounds")
    assert (error["extensions"]["code"], error["extensions"]["field"]) == ("BAD_USER_INPUT", "currency")


async def test_the_default_currency_is_the_servers_setting(settings: Settings) -> None:
    async with serving(create_app(settings.model_copy(update={"currency": "CHF"}))) as graphql:
        created = await product(graphql, "W-1", "19.90")
        report = await graphql.data(REPORT)

    assert created["product"]["currency"] == "CHF"
    assert report["salesReport"]["currency"] == "CHF"
