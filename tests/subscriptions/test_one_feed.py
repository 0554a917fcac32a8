"""One feed per process: the six read models and the subscriptions of a server follow the log through
one reader, so the log is read about once per append, not once per read model and subscriber."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient
from tests.e2e.operations import PLACE_ORDER, create_product, register_customer
from tests.live_server import live_server
from tests.mongo_commands import CapturedQueries
from tests.subscriptions.test_subscriptions import ORDER_EVENTS, WAIT, Subscriber

ORDERS = 8


def log_reads(captured: CapturedQueries, since: int = 0) -> int:
    """`find` commands that read the global log after a position (what a feed sends)."""
    return sum(
        1
        for command in captured.commands[since:]
        if command.get("find") == "events" and "position" in command["filter"]
    )


@pytest.fixture
def backend() -> str:
    return "mongodb"


@pytest.fixture
def reads() -> CapturedQueries:
    return CapturedQueries()


@pytest.fixture
def server(settings: Settings, reads: CapturedQueries) -> Iterator[str]:
    with live_server(create_app(settings, command_listeners=(reads,))) as address:
        yield address


async def test_the_read_models_and_subscribers_of_a_process_read_the_log_once(
    server: str, reads: CapturedQueries
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as http:
        graphql = GraphQLClient(http)
        customer = (await register_customer(graphql))["id"]
        product = (await create_product(graphql, "W-1", "2.00"))["id"]
        subscribers = [await Subscriber.open(server, ORDER_EVENTS) for _ in range(3)]
        before = len(reads.commands)
        placed: list[Any] = []
        for _ in range(ORDERS):
            lines = [{"productId": product, "quantity": 1}]
            data = await graphql.data(PLACE_ORDER, input={"customerId": customer, "lines": lines})
            placed.append(data["placeOrder"]["order"]["id"])
        for subscriber in subscribers:
            assert [event["streamId"] for event in await subscriber.data(ORDERS)] == placed
            await subscriber.close()

    # Seven readers each following the log would read it at least 7 times per append (56 here).
    assert 0 < log_reads(reads, before) <= 3 * ORDERS
