"""Issue 18's reads through HTTP against a real `eventfold serve` process, on both backends: the lists
and their searches page with cursors that stay put while new data arrives."""

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import highest_position
from tests.e2e.operations import CHANGE_PRODUCT_PRICE, CREATE_PRODUCT, PLACE_ORDER, REGISTER_CUSTOMER

CUSTOMERS = """query($search: String, $first: Int, $after: String) {
  customers(search: $search, first: $first, after: $after) {
    edges { node { name orders(first: 5) { edges { node { id } } } } } pageInfo { hasNextPage endCursor }
  }
}"""
PRODUCTS = """query($search: String, $asOf: DateTime) {
  products(search: $search, asOf: $asOf) { edges { node { sku price } } }
}"""
SEARCH = """query($text: String!, $first: Int, $after: String) {
  searchOrders(text: $text, first: $first, after: $after) {
    edges { node { id } } pageInfo { hasNextPage endCursor }
  }
}"""
EVENTS = """query($types: [String!]) {
  events(filter: {types: $types}) { edges { node { type } } }
}"""
NODES = "query($ids: [ID!]!) { nodes(ids: $ids) { __typename id } }"


class Client:
    """Reads its own writes, as tests.conftest.GraphQLClient does, over real HTTP."""

    def __init__(self, base: str) -> None:
        self.http = httpx.Client(base_url=base, timeout=30)
        self.position = 0

    def data(self, query: str, **variables: Any) -> dict[str, Any]:
        response = self.http.post(
            "/graphql",
            json={"query": query, "variables": variables},
            headers={"X-Eventfold-Position": str(self.position)},
        )
        body = response.json()
        assert response.status_code == 200, body
        assert "errors" not in body, body
        self.position = max(self.position, highest_position(body["data"]))
        data: dict[str, Any] = body["data"]
        return data

    def customer(self, name: str) -> str:
        email = name.lower().replace(" ", ".") + "@example.com"
        found = self.data(REGISTER_CUSTOMER, input={"name": name, "email": email})
        customer_id: str = found["registerCustomer"]["customer"]["id"]
        return customer_id

    def order(self, customer_id: str, product_id: str) -> str:
        line = {"productId": product_id, "quantity": 1}
        placed = self.data(PLACE_ORDER, input={"customerId": customer_id, "lines": [line]})
        order_id: str = placed["placeOrder"]["order"]["id"]
        return order_id


@pytest.fixture
def client(server: tuple[str, Path]) -> Iterator[Client]:
    base, _ = server
    client = Client(base)
    yield client
    client.http.close()


def names(page: dict[str, Any]) -> list[str]:
    return [edge["node"]["name"] for edge in page["edges"]]


def test_lists_searches_and_nodes_over_a_server_process(client: Client) -> None:
    lamp = client.data(CREATE_PRODUCT, input={"sku": "L-1", "name": "Desk Lamp", "price": "20.00"})
    lamp_id = lamp["createProduct"]["product"]["id"]
    client.data(CREATE_PRODUCT, input={"sku": "C-1", "name": "Desk Chair", "price": "90.00"})
    before_the_change = datetime.now(UTC).isoformat()
    client.data(CHANGE_PRODUCT_PRICE, input={"productId": lamp_id, "price": "25.00"})
    alice, bob = client.customer("Alice Smith"), client.customer("Bob Stone")
    alices = [client.order(alice, lamp_id), client.order(alice, lamp_id)]
    client.order(bob, lamp_id)

    first = client.data(CUSTOMERS, first=1)["customers"]
    assert names(first) == ["Alice Smith"]
    assert first["pageInfo"]["hasNextPage"]
    # One customer sorts before the cursor, one after: the next page holds the old one and the later.
    client.customer("Aaron Able")
    client.customer("Zoe Young")
    rest = client.data(CUSTOMERS, first=5, after=first["pageInfo"]["endCursor"])["customers"]
    assert names(rest) == ["Bob Stone", "Zoe Young"]
    assert not rest["pageInfo"]["hasNextPage"]
    found = client.data(CUSTOMERS, search="SMI")["customers"]["edges"]
    assert [edge["node"]["name"] for edge in found] == ["Alice Smith"]
    assert [edge["node"]["id"] for edge in found[0]["node"]["orders"]["edges"]] == alices[::-1]

    desks = client.data(PRODUCTS, search="desk")["products"]["edges"]
    assert [edge["node"] for edge in desks] == [
        {"sku": "C-1", "price": "90.00"},
        {"sku": "L-1", "price": "25.00"},
    ]
    then = client.data(PRODUCTS, search="lam", asOf=before_the_change)["products"]["edges"]
    assert [edge["node"] for edge in then] == [{"sku": "L-1", "price": "20.00"}]

    newest = client.data(SEARCH, text="ali", first=1)["searchOrders"]
    newer = client.order(alice, lamp_id)
    older = client.data(SEARCH, text="ali", first=5, after=newest["pageInfo"]["endCursor"])["searchOrders"]
    assert [edge["node"]["id"] for edge in newest["edges"] + older["edges"]] == alices[::-1]
    assert newer not in [edge["node"]["id"] for edge in older["edges"]]

    placed = client.data(EVENTS, types=["OrderPlaced"])["events"]["edges"]
    assert [edge["node"]["type"] for edge in placed] == ["OrderPlaced"] * 4
    nodes = client.data(NODES, ids=[alices[0], alice, lamp_id])["nodes"]
    assert [node["__typename"] for node in nodes] == ["Order", "Customer", "Product"]
