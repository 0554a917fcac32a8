"""schema.graphql in the repository is the contract; it must be exactly what the server serves."""

import subprocess
import sys
from pathlib import Path

from schema import build_schema

ROOT = Path(__file__).resolve().parents[2]


def test_schema_graphql_matches_the_live_schema() -> None:
    committed = (ROOT / "schema.graphql").read_text()
    assert committed == build_schema().as_str() + "\n", "run `uv run eventfold schema > schema.graphql`"


def test_the_cli_prints_the_schema() -> None:
    printed = subprocess.run(
        [sys.executable, "-m", "app", "schema"], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert printed == (ROOT / "schema.graphql").read_text()


def test_every_name_of_the_api_contract_exists() -> None:
    sdl = build_schema().as_str()
    for name in [
        "registerCustomer(input: RegisterCustomerInput!): CustomerPayload!",
        "changeCustomerAddress(input: ChangeCustomerAddressInput!): CustomerPayload!",
        "changeCustomerEmail(input: ChangeCustomerEmailInput!): CustomerPayload!",
        "verifyCustomerEmail(input: VerifyCustomerEmailInput!): CustomerPayload!",
        "createProduct(input: CreateProductInput!): ProductPayload!",
        "changeProductPrice(input: ChangeProductPriceInput!): ProductPayload!",
        "placeOrder(input: PlaceOrderInput!): OrderPayload!",
        "shipOrder(input: ShipOrderInput!): OrderPayload!",
        "cancelOrder(input: CancelOrderInput!): OrderPayload!",
        "history(id: ID!, first: Int! = 20, after: String = null): EventConnection!",
        "events(afterPosition: Int! = 0, first: Int! = 100, filter: EventFilter = null): EventConnection!",
        "scalar Decimal",
        "scalar DateTime",
        "scalar JSON",
        "enum OrderStatus",
    ]:
        assert name in sdl, name
