"""`customers`, `products` and `searchOrders` through HTTP on both backends: found by the start of
their words as a lookup is typed, paged by keyset cursors that stay valid while new customers,
products and orders arrive before and after them, and bounded in what they take."""

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.e2e.clock import START, Clock
from tests.e2e.operations import CHANGE_PRODUCT_PRICE, PLACE_ORDER, create_product

CUSTOMERS = """query($first: Int, $after: String, $search: String) {
  customers(first: $first, after: $after, search: $search) {
    edges { cursor node { id name email } } pageInfo { hasNextPage endCursor }
  }
}"""
PRODUCTS = """query($first: Int, $after: String, $search: String, $asOf: DateTime) {
  products(first: $first, after: $after, search: $search, asOf: $asOf) {
    edges { cursor node { id sku name price } } pageInfo { hasNextPage endCursor }
  }
}"""
SEARCH = """query($text: String!, $first: Int, $after: String) {
  searchOrders(text: $text, first: $first, after: $after) {
    edges { cursor node { id customer { name } } } pageInfo { hasNextPage endCursor }
  }
}"""
REGISTER = """mutation($input: RegisterCustomerInput!) {
  registerCustomer(input: $input) { customer { id } events { position } }
}"""


async def register(client: GraphQLClient, name: str, email: str | None = None) -> str:
    email = email or name.lower().replace(" ", ".") + "@example.com"
    data = await client.data(REGISTER, input={"name": name, "email": email})
    customer_id: str = data["registerCustomer"]["customer"]["id"]
    return customer_id


async def page(
    client: GraphQLClient, query: str, **variables: Any
) -> tuple[list[dict[str, Any]], str | None]:
    """The nodes of a page and the cursor after it (None: there is no more)."""
    [connection] = (await client.data(query, **variables)).values()
    info = connection["pageInfo"]
    return [edge["node"] for edge in connection["edges"]], info["endCursor"] if info["hasNextPage"] else None


async def names(client: GraphQLClient, search: str | None = None) -> list[str]:
    found, _ = await page(client, CUSTOMERS, search=search, first=100)
    return [customer["name"] for customer in found]


async def test_customers_are_found_by_the_start_of_any_word_of_their_name_or_email(
    client: GraphQLClient,
) -> None:
    await register(client, "Alice Smith", "alice@example.com")
    await register(client, "Bob Smithers", "bob.s@mailbox.org")
    await register(client, "Zoë Ålander", "zoe_a@example.org")

    assert await names(client) == ["Alice Smith", "Bob Smithers", "Zoë Ålander"]
    assert await names(client, "ali") == ["Alice Smith"]
    assert await names(client, "smi") == ["Alice Smith", "Bob Smithers"]
    assert await names(client, "SMITHE") == ["Bob Smithers"]
    assert await names(client, "example") == ["Alice Smith", "Zoë Ålander"]
    assert await names(client, "mailb") == ["Bob Smithers"]
    assert await names(client, "alice@example.com") == ["Alice Smith"]
    assert await names(client, "smi bo") == ["Bob Smithers"]
    assert await names(client, "  ZO ålan ") == ["Zoë Ålander"]
    assert await names(client, "lice") == []
    assert await names(client, "ali bob") == []
    for syntax in ('"', "*", "q.*", "^q", "$regex", "'; DROP TABLE events; --"):
        assert await names(client, syntax) == []


@pytest.mark.parametrize("search", [None, "col", "COLE exa"])
async def test_customers_page_by_name_with_cursors_that_outlast_new_customers(
    client: GraphQLClient, search: str | None
) -> None:
    customers: list[tuple[str, str]] = []

    async def add(name: str, email: str) -> None:
        customers.append((name, await register(client, name, email)))

    for index, name in enumerate(["Bea Cole", "Dan Cole", "Fay|Cole", "Hal Cole", "Hal Cole"]):
        await add(name, f"{index}@example.com")
    await add("Max Rix", "max@mailbox.org")

    first, after = await page(client, CUSTOMERS, first=2, search=search)
    assert [customer["name"] for customer in first] == ["Bea Cole", "Dan Cole"]
    for name in ("Abe Cole", "Cal Cole", "Eve Cole", "Ivy Cole"):
        await add(name, f"{name[:3].lower()}@example.com")
    # Page 2 ends at a name holding the cursor's separator.
    second, after = await page(client, CUSTOMERS, first=2, after=after, search=search)
    third, end = await page(client, CUSTOMERS, first=100, after=after, search=search)

    # After the last one shown: every one there is, old and new, once each, in order of (name, id).
    dan = customers[1]
    expected = sorted(c for c in customers if (search is None or "Cole" in c[0]) and c > dan)
    assert [(c["name"], c["id"]) for c in second + third] == expected
    assert [c["name"] for c in second] == ["Eve Cole", "Fay|Cole"]
    assert end is None


async def skus(client: GraphQLClient, **variables: Any) -> list[str]:
    found, _ = await page(client, PRODUCTS, first=100, **variables)
    return [product["sku"] for product in found]


async def test_products_are_found_by_the_start_of_any_word_of_their_name_or_sku(
    client: GraphQLClient,
) -> None:
    await create_product(client, "LAMP-1", "9.90", "Desk Lamp")
    await create_product(client, "LAMP-2", "19.90", "Floor Lamp Deluxe")
    await create_product(client, "CHAIR-7", "49.00", "Desk Chair")

    assert await skus(client) == ["CHAIR-7", "LAMP-1", "LAMP-2"]
    assert await skus(client, search="lam") == ["LAMP-1", "LAMP-2"]
    assert await skus(client, search="DESK") == ["CHAIR-7", "LAMP-1"]
    assert await skus(client, search="de la") == ["LAMP-1", "LAMP-2"]
    assert await skus(client, search="chair-7") == ["CHAIR-7"]
    assert await skus(client, search="lamp-2") == ["LAMP-2"]
    assert await skus(client, search="amp") == []


@pytest.mark.parametrize("search", [None, "lamp", "la de"])
async def test_products_page_by_sku_with_cursors_that_outlast_new_products(
    client: GraphQLClient, search: str | None
) -> None:
    for sku in ("B-1", "D-1", "F-1", "H-1"):
        await create_product(client, sku, "5.00", "Desk Lamp")
    await create_product(client, "G-1", "5.00", "Chair")

    first, after = await page(client, PRODUCTS, first=2, search=search)
    assert [product["sku"] for product in first] == ["B-1", "D-1"]
    for sku in ("A-1", "C-1", "E-1", "I-1"):
        await create_product(client, sku, "5.00", "Desk Lamp")
    second, after = await page(client, PRODUCTS, first=2, after=after, search=search)
    third, end = await page(client, PRODUCTS, first=100, after=after, search=search)

    expected = ["E-1", "F-1", "G-1", "H-1", "I-1"] if search is None else ["E-1", "F-1", "H-1", "I-1"]
    assert [product["sku"] for product in second + third] == expected
    assert end is None


async def test_products_as_of_an_instant_are_the_catalogue_then(client: GraphQLClient, clock: Clock) -> None:
    lamp = await create_product(client, "LAMP-1", "9.90", "Desk Lamp")
    clock.now = START + timedelta(hours=1)
    await create_product(client, "LAMP-2", "19.90", "Floor Lamp")
    clock.now = START + timedelta(hours=2)
    await client.data(CHANGE_PRODUCT_PRICE, input={"productId": lamp["id"], "price": "12.50"})
    clock.now = START + timedelta(hours=3)
    await create_product(client, "CHAIR-1", "49.00", "Desk Chair")

    async def then(minutes: int, **variables: Any) -> list[tuple[str, str]]:
        instant = (START + timedelta(minutes=minutes)).isoformat()
        found, _ = await page(client, PRODUCTS, first=100, asOf=instant, **variables)
        return [(product["sku"], product["price"]) for product in found]

    assert await then(-1) == []
    assert await then(0) == [("LAMP-1", "9.90")]
    assert await then(90) == [("LAMP-1", "9.90"), ("LAMP-2", "19.90")]
    assert await then(150) == [("LAMP-1", "12.50"), ("LAMP-2", "19.90")]
    assert await then(240) == [("CHAIR-1", "49.00"), ("LAMP-1", "12.50"), ("LAMP-2", "19.90")]
    assert await then(240, search="desk") == [("CHAIR-1", "49.00"), ("LAMP-1", "12.50")]
    assert await then(150, search="desk") == [("LAMP-1", "12.50")]
    [lamp_then] = (await page(client, PRODUCTS, asOf=START.isoformat()))[0]
    assert lamp_then["id"] == lamp["id"]

    first, after = await page(client, PRODUCTS, first=1, asOf=(START + timedelta(minutes=150)).isoformat())
    rest, end = await page(
        client, PRODUCTS, first=5, after=after, asOf=(START + timedelta(minutes=150)).isoformat()
    )
    assert [p["sku"] for p in first + rest] == ["LAMP-1", "LAMP-2"]
    assert end is None


async def order_for(client: GraphQLClient, customer_id: str, product_id: str) -> str:
    line = {"productId": product_id, "quantity": 1}
    data = await client.data(PLACE_ORDER, input={"customerId": customer_id, "lines": [line]})
    order_id: str = data["placeOrder"]["order"]["id"]
    return order_id


async def test_search_orders_matches_the_start_of_the_last_word(client: GraphQLClient, clock: Clock) -> None:
    alice = await register(client, "Alice Smith", "alice@example.com")
    bob = await register(client, "Bob Alison", "bob@example.com")
    lamp = await create_product(client, "LAMP-1", "9.90", "Desk Lamp")
    alices = await order_for(client, alice, lamp["id"])
    clock.now = START + timedelta(hours=1)
    bobs = await order_for(client, bob, lamp["id"])

    async def found(text: str) -> list[str]:
        orders, _ = await page(client, SEARCH, text=text, first=100)
        return [order["id"] for order in orders]

    assert await found("ali") == [bobs, alices]
    assert await found("alice") == [alices]
    assert await found("smi") == [alices]
    assert await found("alice smi") == [alices]
    assert await found("ali smith") == []
    assert await found("lamp al") == [bobs, alices]
    assert await found("desk lam") == [bobs, alices]
    assert await found("lamp desk") == [bobs, alices]
    # Only the last word may be unfinished: the others are words as typed.
    assert await found("lam desk") == []


async def test_search_orders_pages_newest_first_with_cursors_that_outlast_new_orders(
    client: GraphQLClient, clock: Clock
) -> None:
    """New orders are recorded no earlier than the last event (the log's time never goes back), so
    they all come before a cursor; two orders recorded at one instant are told apart by id."""
    alice = await register(client, "Alice Smith", "alice@example.com")
    bob = await register(client, "Bob Jones", "bob@example.com")
    lamp = (await create_product(client, "LAMP-1", "9.90", "Desk Lamp"))["id"]

    async def at(hours: float, customer: str = alice) -> str:
        clock.now = START + timedelta(hours=hours)
        return await order_for(client, customer, lamp)

    old = [await at(hours) for hours in (1, 2, 2, 3)]
    await at(3, bob)
    newest_first = [old[3], *sorted(old[1:3], reverse=True), old[0]]

    first, after = await page(client, SEARCH, text="ali", first=2)
    assert [order["id"] for order in first] == newest_first[:2]
    newer = [await at(4), await at(5, bob), await at(5)]
    rest: list[dict[str, Any]] = []
    while after is not None:
        found, after = await page(client, SEARCH, text="ali", first=1, after=after)
        rest += found

    assert [order["id"] for order in rest] == newest_first[2:]
    everything, _ = await page(client, SEARCH, text="alice smi", first=100)
    assert [order["id"] for order in everything] == [newer[2], newer[0], *newest_first]
    assert {order["customer"]["name"] for order in everything} == {"Alice Smith"}


UNBOUNDED = [
    (CUSTOMERS, {"first": 0}, "first"),
    (CUSTOMERS, {"first": 101}, "first"),
    (CUSTOMERS, {"after": "nonsense"}, "after"),
    (CUSTOMERS, {"search": ""}, "search"),
    (CUSTOMERS, {"search": "   "}, "search"),
    (CUSTOMERS, {"search": "a" * 201}, "search"),
    (CUSTOMERS, {"search": "a b c d e f g h i j k"}, "search"),
    (PRODUCTS, {"first": 101}, "first"),
    (PRODUCTS, {"after": "bm9wZXwx"}, "after"),
    (PRODUCTS, {"search": "x" * 201}, "search"),
    (PRODUCTS, {"search": "a b c d e f g h i j k"}, "search"),
    (PRODUCTS, {"asOf": "2026-11-02T09:00:00"}, "asOf"),
    (SEARCH, {"text": "ali", "first": 101}, "first"),
    (SEARCH, {"text": "ali", "after": "nonsense"}, "after"),
    (SEARCH, {"text": ""}, "text"),
    (SEARCH, {"text": "x" * 201}, "text"),
    (SEARCH, {"text": "a b c d e f g h i j k"}, "text"),
]


@pytest.mark.parametrize(("query", "variables", "field"), UNBOUNDED)
async def test_what_a_lookup_takes_is_bounded(
    client: GraphQLClient, query: str, variables: dict[str, Any], field: str
) -> None:
    error = await client.error(query, **variables)
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}


async def test_cursors_of_one_list_are_refused_by_another(client: GraphQLClient) -> None:
    await register(client, "Alice Smith", "alice@example.com")
    await register(client, "Alan Smith", "alan@example.com")
    _, cursor = await page(client, CUSTOMERS, first=1)
    assert cursor is not None
    for query, variables in ((PRODUCTS, {}), (SEARCH, {"text": "ali"})):
        error = await client.error(query, after=cursor, **variables)
        assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "after"}
