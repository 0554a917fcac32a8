"""Prices in the one form the contract gives them, against a real `eventfold serve`: a string of 1 to 10
ASCII digits, optionally a point and 1 or 2 more. Any other form (a JSON number, an exponent, digit
separators, other scripts' digits, a sign, blanks) is BAD_USER_INPUT naming the field, and records
nothing."""

import asyncio
import itertools
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.operations import CHANGE_PRODUCT_PRICE, CREATE_PRODUCT, create_product
from tests.hardening.callers import caller, log_end, sqlite_server
from tests.hardening.server_process import EventfoldProcess

OTHER_FORMS: list[object] = [
    19.9,
    20,
    "1e2",
    "1E2",
    "1_000",
    "\uff11\uff19.\uff19\uff10",
    "\u0661\u0669.\u0669\u0660",
    "\u096f",
    " 19.90",
    "19.90\n",
    "+19.90",
    "19.",
    ".50",
]
"""Each of these the server took as a price before."""
SKUS = (f"M-{number}" for number in itertools.count())


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    with sqlite_server(tmp_path_factory.mktemp("money-form")) as process:
        yield process


@pytest.fixture(scope="module")
def product(server: EventfoldProcess) -> dict[str, Any]:
    async def create() -> dict[str, Any]:
        async with caller(server.base) as client:
            return await create_product(client, "PRICED-1", "19.90")

    return asyncio.run(create())


async def refusal(server: EventfoldProcess, query: str, **variables: Any) -> dict[str, Any]:
    """The one error the server answered, after checking that it recorded nothing."""
    async with caller(server.base) as client:
        end = await log_end(client)
        error = await client.error(query, **variables)
        assert await log_end(client) == end
    return error


@pytest.mark.parametrize("price", OTHER_FORMS, ids=ascii)
async def test_creating_a_product_with_a_price_in_another_form_is_refused(
    server: EventfoldProcess, price: object
) -> None:
    error = await refusal(server, CREATE_PRODUCT, input={"sku": next(SKUS), "name": "Lamp", "price": price})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "price"}
    assert '"19.90"' in error["message"]


@pytest.mark.parametrize("price", OTHER_FORMS, ids=ascii)
async def test_changing_a_price_to_another_form_is_refused(
    server: EventfoldProcess, product: dict[str, Any], price: object
) -> None:
    error = await refusal(server, CHANGE_PRODUCT_PRICE, input={"productId": product["id"], "price": price})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "price"}


@pytest.mark.parametrize("literal", ["19.9", "20", "1e2"])
async def test_a_number_written_into_the_document_is_refused(server: EventfoldProcess, literal: str) -> None:
    document = (
        f'mutation {{ createProduct(input: {{sku: "{next(SKUS)}", name: "Lamp", price: {literal}}}) '
        "{ product { id } } }"
    )
    error = await refusal(server, document)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "price"}


def nested(depth: int) -> object:
    value: object = "19.90"
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("price", [["19.90"], {"amount": "19.90"}], ids=["a list", "an object"])
async def test_a_structure_is_refused_naming_the_field(server: EventfoldProcess, price: object) -> None:
    error = await refusal(server, CREATE_PRODUCT, input={"sku": next(SKUS), "name": "Lamp", "price": price})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "price"}


async def test_a_price_nested_deeper_than_the_stack_is_bad_user_input(server: EventfoldProcess) -> None:
    # Deeper than Python's default recursion limit, which copying the input value would run into.
    error = await refusal(
        server, CREATE_PRODUCT, input={"sku": next(SKUS), "name": "Lamp", "price": nested(1200)}
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
