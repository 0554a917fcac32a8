"""One feed per process: the six read models and the subscriptions of a server follow the log through
one reader, so the log is read about once per append, not once per read model and subscriber."""

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from pymongo import monitoring

from app.settings import Settings
from app.web import create_app
from tests.conftest import GraphQLClient
from tests.e2e.operations import PLACE_ORDER, create_product, register_customer
from tests.live_server import live_server
from tests.subscriptions.test_subscriptions import ORDER_EVENTS, WAIT, Subscriber

ORDERS = 8


class LogReads(monitoring.CommandListener):
    """`find` commands that read the global log after a position (what a feed sends)."""

    def __init__(self) -> None:
        self.count = 0

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        command = event.command
        if event.command_name == "find" and command["find"] == "events" and "position" in command["filter"]:
            self.count += 1

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture
def backend() -> str:
    return "mongodb"


@pytest.fixture
def reads() -> LogReads:
    return LogReads()


@pytest.fixture
def server(settings: Settings, reads: LogReads) -> Iterator[str]:
    with live_server(create_app(settings, command_listeners=(reads,))) as address:
        yield address


async def test_the_read_models_and_subscribers_of_a_process_read_the_log_once(
    server: str, reads: LogReads
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as http:
        graphql = GraphQLClient(http)
        customer = (await register_customer(graphql))["id"]
        product = (await create_product(graphql, "W-1", "2.00"))["id"]
        subscribers = [await Subscriber.open(server, ORDER_EVENTS) for _ in range(3)]
        reads.count = 0
        placed: list[Any] = []
        for _ in range(ORDERS):
            lines = [{"productId": product, "quantity": 1}]
            data = await graphql.data(PLACE_ORDER, input={"customerId": customer, "lines": lines})
            placed.append(data["placeOrder"]["order"]["id"])
        for subscriber in subscribers:
            assert [event["streamId"] for event in await subscriber.data(ORDERS)] == placed
            await subscriber.close()

    # Seven readers each following the log would read it at least 7 times per append (56 here).
    assert 0 < reads.count <= 3 * ORDERS
