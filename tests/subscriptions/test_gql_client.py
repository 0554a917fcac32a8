"""Python's `gql` client over both WebSocket protocols, as a developer would use it: it fetches the
schema, then runs a mutation and a query over the one socket. Over the legacy `graphql-ws` protocol,
queries and mutations used to be refused, so `gql` could not even fetch the schema."""

import asyncio
from collections.abc import Iterator

import pytest
from gql import Client, GraphQLRequest
from gql.transport.websockets import WebsocketsTransport

from app.settings import Settings
from app.web import create_app
from tests.e2e.operations import REGISTER_CUSTOMER
from tests.live_server import live_server

WAIT = 10
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with live_server(create_app(settings)) as address:
        yield address


@pytest.mark.parametrize("protocol", ["graphql-ws", "graphql-transport-ws"])
async def test_gql_fetches_the_schema_and_runs_every_kind_of_operation(server: str, protocol: str) -> None:
    transport = WebsocketsTransport(url=f"ws://{server}/graphql", subprotocols=[protocol])
    async with (
        asyncio.timeout(WAIT),
        Client(transport=transport, fetch_schema_from_transport=True) as session,
    ):
        assert session.client.schema is not None
        assert session.client.schema.get_type("Order") is not None

        registered = await session.execute(
            GraphQLRequest(
                REGISTER_CUSTOMER, variable_values={"input": {"name": "Ann Lee", "email": "ann@example.com"}}
            )
        )
        customer = registered["registerCustomer"]["customer"]
        for _ in range(100):
            found = await session.execute(GraphQLRequest(CUSTOMER, variable_values={"id": customer["id"]}))
            if found["customer"] is not None:
                break
            await asyncio.sleep(0.05)
        assert found["customer"] == {"id": customer["id"], "name": "Ann Lee"}
