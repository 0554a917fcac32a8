"""`node` and `nodes` through HTTP on both backends: orders, customers and products by id alone, with
their type for normalising caches, in the order asked and null where there is none."""

import uuid

from tests.conftest import GraphQLClient
from tests.e2e.operations import place_order

FIELDS = """
  __typename id
  ... on Order { status customerId }
  ... on Customer { name }
  ... on Product { sku }
"""
NODE = f"query($id: ID!) {{ node(id: $id) {{ {FIELDS} }} }}"
NODES = f"query($ids: [ID!]!) {{ nodes(ids: $ids) {{ {FIELDS} }} }}"


async def test_each_kind_is_found_by_its_id_alone(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    found = (await graphql.data(NODE, id=order["id"]))["node"]
    assert found == {
        "__typename": "Order",
        "id": order["id"],
        "status": "PLACED",
        "customerId": order["customerId"],
    }

    customer = (await graphql.data(NODE, id=order["customerId"]))["node"]
    assert customer == {"__typename": "Customer", "id": order["customerId"], "name": "Ann Lee"}

    product_id = order["lines"][0]["productId"]
    product = (await graphql.data(NODE, id=product_id))["node"]
    assert product == {"__typename": "Product", "id": product_id, "sku": "W-1"}

    assert (await graphql.data(NODE, id=str(uuid.uuid4())))["node"] is None


async def test_nodes_answers_in_the_order_asked_with_null_where_there_is_none(graphql: GraphQLClient) -> None:
    order = await place_order(graphql)
    nobody = str(uuid.uuid4())
    ids = [order["lines"][0]["productId"], nobody, order["id"], order["customerId"], order["id"]]

    found = (await graphql.data(NODES, ids=ids))["nodes"]

    assert [node and node["__typename"] for node in found] == ["Product", None, "Order", "Customer", "Order"]
    assert [node and node["id"] for node in found] == [*ids[:1], None, *ids[2:]]
    assert (await graphql.data(NODES, ids=[]))["nodes"] == []


async def test_malformed_ids_and_too_many_are_refused(graphql: GraphQLClient) -> None:
    error = await graphql.error(NODES, ids=[str(uuid.uuid4()), "not-an-id"])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "ids[1]" in error["message"]

    error = await graphql.error(NODES, ids=[str(uuid.uuid4()) for _ in range(101)])
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "at most 100" in error["message"]
