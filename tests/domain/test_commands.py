"""The input rules: a command that exists is well-formed."""

import uuid
from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from domain.commands import AddressInput, CreateProduct, PlaceOrder, RegisterCustomer

ID = uuid.uuid4()


def line(quantity: int = 1, product_id: uuid.UUID | None = None) -> dict[str, Any]:
    return {"product_id": product_id or uuid.uuid4(), "quantity": quantity}


def test_strings_are_trimmed_and_country_codes_upper_cased() -> None:
    command = RegisterCustomer(
        customer_id=ID,
        name="  Ann Lee ",
        email="ann@example.com",
        address=AddressInput(street=" 1 Main St ", city="Berlin", postal_code="10115", country=" de "),
    )
    assert command.name == "Ann Lee"
    assert command.address is not None
    assert (command.address.street, command.address.country) == ("1 Main St", "DE")


@pytest.mark.parametrize(
    ("field", "values"),
    [
        ("name", {"name": "   "}),
        ("name", {"name": "x" * 201}),
        ("email", {"email": "not-an-email"}),
        ("address", {"address": {"street": "s", "city": "c", "postal_code": "p", "country": "XX"}}),
        ("address", {"address": {"street": "", "city": "c", "postal_code": "p", "country": "DE"}}),
    ],
)
def test_invalid_customer_input_names_the_field(field: str, values: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as invalid:
        RegisterCustomer.model_validate(
            {"customer_id": ID, "name": "Ann", "email": "a@example.com", **values}
        )
    assert invalid.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize("price", ["0", "-1.00", "1.999", "NaN", "Infinity", "10000000000.00"])
def test_a_price_is_positive_with_at_most_two_decimals(price: str) -> None:
    with pytest.raises(ValidationError):
        CreateProduct(currency="EUR", product_id=ID, sku="W-1", name="Widget", price=Decimal(price))


@pytest.mark.parametrize("price", ["19.90", "19.9", "19", "0.01", "9999999999.99"])
def test_a_price_sent_as_a_string_of_digits_is_taken(price: str) -> None:
    command = CreateProduct.model_validate(
        {"product_id": ID, "sku": "W-1", "name": "Widget", "price": price, "currency": "EUR"}
    )
    assert command.price == Decimal(price)


@pytest.mark.parametrize(
    ("sent", "taken"), [("EUR", "EUR"), ("usd", "USD"), (" gbp ", "GBP"), ("JPY", "JPY")]
)
def test_a_currency_is_an_iso_4217_code_in_any_case(sent: str, taken: str) -> None:
    command = CreateProduct(product_id=ID, sku="W-1", name="Widget", price=Decimal(1), currency=sent)
    assert command.currency == taken


@pytest.mark.parametrize("sent", ["", "EU", "EURO", "XYZ", "€", "E1R"])
def test_a_currency_that_is_no_iso_4217_code_is_refused(sent: str) -> None:
    with pytest.raises(ValidationError) as invalid:
        CreateProduct(product_id=ID, sku="W-1", name="Widget", price=Decimal(1), currency=sent)
    assert invalid.value.errors()[0]["loc"] == ("currency",)


@pytest.mark.parametrize(
    "price",
    [
        19.9,
        20,
        True,
        None,
        "1e2",
        "1_000",
        "\uff11\uff19",
        "\u0661\u0669.\u0669\u0660",
        " 19.90",
        "19.90 ",
        "+19.90",
        "-19.90",
        "19.",
        ".5",
        "1.999",
        "12345678901",
        "NaN",
        "",
    ],
    ids=ascii,
)
def test_a_price_in_any_other_form_names_the_price(price: object) -> None:
    with pytest.raises(ValidationError) as invalid:
        CreateProduct.model_validate({"product_id": ID, "sku": "W-1", "name": "Widget", "price": price})
    assert invalid.value.errors()[0]["loc"] == ("price",)


@pytest.mark.parametrize("sku", ["", "has space", "-leading-dash", "x" * 65, "ünïcode"])
def test_a_sku_is_a_short_code(sku: str) -> None:
    with pytest.raises(ValidationError):
        CreateProduct(currency="EUR", product_id=ID, sku=sku, name="Widget", price=Decimal(1))


@pytest.mark.parametrize(
    "lines",
    [
        [],
        [line(0)],
        [line(1001)],
        [line(-5)],
        [line() for _ in range(101)],
    ],
)
def test_an_order_has_one_to_a_hundred_lines_of_one_to_a_thousand(lines: list[dict[str, Any]]) -> None:
    with pytest.raises(ValidationError):
        PlaceOrder.model_validate({"order_id": ID, "customer_id": ID, "lines": lines})


def test_the_limits_themselves_are_allowed() -> None:
    PlaceOrder.model_validate({"order_id": ID, "customer_id": ID, "lines": [line(1000)]})
    PlaceOrder.model_validate({"order_id": ID, "customer_id": ID, "lines": [line(1) for _ in range(100)]})


def test_a_product_may_appear_in_one_line_only() -> None:
    product = uuid.uuid4()
    with pytest.raises(ValidationError, match="more than one line"):
        PlaceOrder.model_validate(
            {"order_id": ID, "customer_id": ID, "lines": [line(1, product), line(2, product)]}
        )
