"""Erasing a customer (GDPR), end to end on both backends: every answer about the customer and its
orders shows its personal data erased, the sales report and every other fact stay, a rebuild stays
erased, and no file of the SQLite data directory and no MongoDB collection holds it afterwards."""

import json
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from bson import BSON
from pymongo import MongoClient
from pymongo.database import Database

from app.settings import Settings
from app.web import create_app
from commands.handler import CommandHandler
from domain.commands import EraseCustomer
from domain.events import ERASED
from projections.read_models import ALL
from projections.rebuild import rebuild
from tests.conftest import GraphQLClient, StoreLocation, serving
from tests.e2e.operations import (
    CHANGE_CUSTOMER_EMAIL,
    CREATE_PRODUCT,
    EVENTS,
    HISTORY,
    ORDER_FIELDS,
    PLACE_ORDER,
    REGISTER_CUSTOMER,
)

NAME, EMAIL, NEW_EMAIL = "Zelda Quixotic", "zelda.quixotic@example.org", "zq.elsewhere@example.org"
STREET, CITY = "77 Xylophone Road", "Quokkaville"
SECRETS = ("quixotic", "zelda", "zq.elsewhere", "xylophone", "quokkaville")
"""What must be found nowhere afterwards, lowercase (a text index keeps words folded to lowercase)."""

ERASE = """mutation($id: ID!) {
  eraseCustomer(id: $id) {
    customer { id name email address { city } erased } events { type position }
  }
}"""
CUSTOMER = """query($id: ID!, $asOf: DateTime) {
  customer(id: $id, asOf: $asOf) {
    id name email emailVerified address { street city } erased orders { edges { node { id total } } }
  }
}"""
ORDER = f"""query($id: ID!, $asOf: DateTime) {{
  order(id: $id, asOf: $asOf) {{ {ORDER_FIELDS} customer {{ name email }} }}
}}"""
SEARCH = "query($text: String!) { searchOrders(text: $text) { edges { node { id total } } } }"
CUSTOMERS = "query($search: String!) { customers(search: $search) { edges { node { id name email } } } }"
SALES = """{
  salesReport { revenue ordersPlaced topProducts { productId name quantity revenue } days { day revenue } }
}"""
NODE = "query($id: ID!) { node(id: $id) { ... on Customer { name email address { city } } } }"


def personal(answer: Any) -> list[str]:
    """The secrets an answer still shows."""
    text = json.dumps(answer).lower()
    return [secret for secret in SECRETS if secret in text]


async def scene(graphql: GraphQLClient) -> dict[str, Any]:
    """Zelda (with an address, an email change and two orders) and Bob (one order)."""
    address = {"street": STREET, "city": CITY, "postalCode": "12345", "country": "DE"}
    zelda = (await graphql.data(REGISTER_CUSTOMER, input={"name": NAME, "email": EMAIL, "address": address}))[
        "registerCustomer"
    ]["customer"]["id"]
    await graphql.data(CHANGE_CUSTOMER_EMAIL, input={"customerId": zelda, "email": NEW_EMAIL})
    bob = (await graphql.data(REGISTER_CUSTOMER, input={"name": "Bob Ray", "email": "bob@example.com"}))[
        "registerCustomer"
    ]["customer"]["id"]
    product = (await graphql.data(CREATE_PRODUCT, input={"sku": "W-1", "name": "Widget", "price": "19.90"}))[
        "createProduct"
    ]["product"]["id"]
    orders = [
        (
            await graphql.data(
                PLACE_ORDER, input={"customerId": buyer, "lines": [{"productId": product, "quantity": n}]}
            )
        )["placeOrder"]["order"]["id"]
        for buyer, n in ((zelda, 1), (zelda, 2), (bob, 3))
    ]
    return {"zelda": zelda, "bob": bob, "orders": orders, "placed": datetime.now(UTC).isoformat()}


async def answers(graphql: GraphQLClient, ids: dict[str, Any]) -> dict[str, Any]:
    """Every answer about Zelda and her orders."""
    zelda, [first, second, _] = ids["zelda"], ids["orders"]
    return {
        "customer": (await graphql.data(CUSTOMER, id=zelda))["customer"],
        "customer then": (await graphql.data(CUSTOMER, id=zelda, asOf=ids["placed"]))["customer"],
        "node": (await graphql.data(NODE, id=zelda))["node"],
        "orders": [(await graphql.data(ORDER, id=order))["order"] for order in (first, second)],
        "order then": (await graphql.data(ORDER, id=first, asOf=ids["placed"]))["order"],
        "history": (await graphql.data(HISTORY, id=zelda, first=100))["history"],
        "order history": (await graphql.data(HISTORY, id=first, first=100))["history"],
        "events": (await graphql.data(EVENTS, first=100))["events"],
        "by name": (await graphql.data(SEARCH, text="Quixotic"))["searchOrders"]["edges"],
        "by email": (await graphql.data(SEARCH, text=NEW_EMAIL))["searchOrders"]["edges"],
        "customers by name": (await graphql.data(CUSTOMERS, search="zel"))["customers"]["edges"],
        "customers by email": (await graphql.data(CUSTOMERS, search="zq.elsewhere"))["customers"]["edges"],
        # The placeholder is no word of the customer's: an erased customer is found by nothing.
        "customers by placeholder": (await graphql.data(CUSTOMERS, search="erased"))["customers"]["edges"],
    }


def stored_secrets(location: StoreLocation) -> dict[str, list[str]]:
    """Where the secrets are stored, in any form: each file of the SQLite data directory (the WAL and
    its index included), byte for byte, or each document of each MongoDB collection, as BSON."""
    found: dict[str, list[str]] = {}
    if location.mongodb_uri is None:
        for path in Path(location.data_dir).rglob("*"):
            if path.is_file():
                content = path.read_bytes().lower()
                found[path.name] = [secret for secret in SECRETS if secret.encode() in content]
        return {where: secrets for where, secrets in found.items() if secrets}
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri, uuidRepresentation="standard") as client:
        database: Database[dict[str, Any]] = client[location.mongodb_database or "eventfold"]
        for name in database.list_collection_names():
            content = b"".join(
                BSON.encode(document, codec_options=database.codec_options)
                for document in database[name].find({})
            ).lower()
            found[name] = [secret for secret in SECRETS if secret.encode() in content]
    return {where: secrets for where, secrets in found.items() if secrets}


async def test_an_erased_customer_is_erased_from_every_answer_and_every_file(
    settings: Settings, location: StoreLocation
) -> None:
    async with serving(create_app(settings)) as graphql:
        ids = await scene(graphql)
        before = await answers(graphql, ids)
        sales = await graphql.data(SALES)
        assert personal(before) == list(SECRETS)
        assert stored_secrets(location)

        erased = (await graphql.data(ERASE, id=ids["zelda"]))["eraseCustomer"]
        after = await answers(graphql, ids)

        assert erased["customer"] == {
            "id": ids["zelda"],
            "name": ERASED,
            "email": ERASED,
            "address": None,
            "erased": True,
        }
        assert [event["type"] for event in erased["events"]] == ["CustomerErased"]
        assert personal(after) == []
        assert after["customer"]["name"] == after["customer then"]["name"] == ERASED
        assert after["customer"]["orders"] == before["customer"]["orders"]
        assert [order["customer"]["email"] for order in after["orders"]] == [ERASED, ERASED]
        assert [order["total"] for order in after["orders"]] == [order["total"] for order in before["orders"]]
        assert after["by name"] == after["by email"] == []
        found = [{"node": {"id": ids["zelda"], "name": NAME, "email": NEW_EMAIL}}]
        assert before["customers by name"] == before["customers by email"] == found
        nowhere = after["customers by name"] + after["customers by email"] + after["customers by placeholder"]
        assert nowhere == []
        assert len((await graphql.data(SEARCH, text="Widget"))["searchOrders"]["edges"]) == 3
        assert await graphql.data(SALES) == sales
        assert "bob@example.com" in json.dumps(after["events"])
        assert stored_secrets(location) == {}

        again = await graphql.error(ERASE, id=ids["zelda"])
        unknown = await graphql.error(ERASE, id="00000000-0000-4000-8000-000000000000")
        assert again["extensions"]["code"] == "INVALID_STATE"
        assert unknown["extensions"]["code"] == "NOT_FOUND"
        refused = await graphql.error(
            PLACE_ORDER,
            input={"customerId": ids["zelda"], "lines": [{"productId": ids["zelda"], "quantity": 1}]},
        )
        assert refused["extensions"]["code"] in ("INVALID_STATE", "NOT_FOUND")

    stores = await location.open()
    try:
        for projection in ALL:
            await rebuild(projection, stores.events, stores.documents, stores.states, settle_seconds=0)
    finally:
        await stores.close()

    async with serving(create_app(settings)) as graphql:
        rebuilt = await answers(graphql, ids)
        assert personal(rebuilt) == []
        assert rebuilt["customer"] == after["customer"]
        assert await graphql.data(SALES) == sales
    assert stored_secrets(location) == {}


def read_model_secrets(location: StoreLocation) -> dict[str, list[str]]:
    """Where the secrets are stored outside the log: every other table (the text indexes' included) or
    collection."""
    found: dict[str, list[str]] = {}
    if location.mongodb_uri is None:
        with sqlite3.connect(Path(location.data_dir) / "eventfold.db") as connection:
            tables = [
                name
                for (name,) in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
                if name != "events" and not name.startswith("sqlite_")
            ]
            for table in tables:
                rows = connection.execute(f'SELECT * FROM "{table}"').fetchall()
                content = repr(rows).lower()
                found[table] = [secret for secret in SECRETS if secret in content]
        return {where: secrets for where, secrets in found.items() if secrets}
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri, uuidRepresentation="standard") as client:
        database: Database[dict[str, Any]] = client[location.mongodb_database or "eventfold"]
        for name in database.list_collection_names():
            if name != "events":
                content = repr(list(database[name].find({}))).lower()
                found[name] = [secret for secret in SECRETS if secret in content]
    return {where: secrets for where, secrets in found.items() if secrets}


async def test_a_customer_recorded_before_encryption_is_erased_from_the_read_models_and_search(
    settings: Settings, location: StoreLocation
) -> None:
    """Events of a release before sealing (plaintext: version 1 of a customer's, 2 of an order's, as
    EVENTFOLD_ENCRYPT_PERSONAL_DATA=false still writes them) are read as they are; erasing their
    customer clears every read model and the search index, though not the log (README)."""
    async with serving(create_app(settings.model_copy(update={"encrypt_personal_data": False}))) as graphql:
        ids = await scene(graphql)
    stored = stored_secrets(location)
    assert stored

    async with serving(create_app(settings)) as graphql:
        before = await answers(graphql, ids)
        assert personal(before) == list(SECRETS)
        await graphql.data(ERASE, id=ids["zelda"])
        after = await answers(graphql, ids)
        assert (await graphql.data(CUSTOMER, id=ids["zelda"]))["customer"]["name"] == ERASED
        assert after["by name"] == after["by email"] == []
        assert [order["customer"]["name"] for order in after["orders"]] == [ERASED, ERASED]
        assert read_model_secrets(location) == {}
        # What the log recorded in plaintext, it still holds: the events are immutable.
        assert personal(after["history"]) == ["quixotic", "zelda", "zq.elsewhere", "xylophone", "quokkaville"]


async def test_a_server_starting_deletes_the_key_of_an_erasure_that_stopped_half_way(
    settings: Settings, location: StoreLocation
) -> None:
    async with serving(create_app(settings)) as graphql:
        ids = await scene(graphql)
    stores = await location.open()
    try:
        # What a process that stopped between recording the erasure and deleting the key leaves.
        erased = await CommandHandler(stores.events).handle(EraseCustomer(customer_id=UUID(ids["zelda"])), {})
        assert await stores.data_keys.find({UUID(ids["zelda"])})
    finally:
        await stores.close()

    async with serving(create_app(settings)) as graphql:
        graphql.position = erased.events[-1].position
        assert (await graphql.data(CUSTOMER, id=ids["zelda"]))["customer"]["name"] == ERASED
        # Read from the events, which only the key's deletion leaves unreadable.
        assert personal((await graphql.data(HISTORY, id=ids["zelda"], first=100))["history"]) == []
        assert personal((await graphql.data(ORDER, id=ids["orders"][0], asOf=ids["placed"]))["order"]) == []
