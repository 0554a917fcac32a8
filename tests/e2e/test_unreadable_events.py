"""An event of a type this release does not know, put into the log of a running server (as a newer
release or another tool would): the audit queries show it as stored, every read model stops just
before it and says so, reads go on from the read models, and once it is skipped (by the admin
mutation or `eventfold projections skip`) every read model catches up."""

import asyncio
from collections.abc import Iterator
from typing import Any
from uuid import UUID

import httpx
import pytest

from app import cli
from app.settings import Settings
from app.web import create_app
from projections.read_models import ALL
from tests.conftest import GraphQLClient, StoreLocation
from tests.e2e.operations import EVENT_FIELDS, PLACE_ORDER, create_product, register_customer
from tests.live_server import live_server
from tests.projections.unreadable import GIFT_WRAP, UNKNOWN_TYPE, insert_unreadable
from tests.subscriptions.test_subscriptions import Subscriber

EVENTS = f"query {{ events(first: 100) {{ edges {{ node {{ {EVENT_FIELDS} schemaVersion }} }} }} }}"
HISTORY = f"query($id: ID!) {{ history(id: $id) {{ edges {{ node {{ {EVENT_FIELDS} schemaVersion }} }} }} }}"
PROJECTIONS = "{ projections { name position lag error stoppedAt skipped } }"
SKIP_EVENT = """
mutation($projection: String!, $position: Int!) {
  skipEvent(projection: $projection, position: $position) { name stoppedAt skipped }
}"""
ORDER = "query($id: ID!) { order(id: $id) { id status total } }"
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"
WAIT_SECONDS = 30.0


async def buyer_and_lines(graphql: GraphQLClient, quantity: int = 1) -> tuple[str, list[dict[str, Any]]]:
    """A customer, and the lines of an order of one product for them."""
    ann = await register_customer(graphql, "Ann Lee")
    product = await create_product(graphql, "GW-1", "3.50")
    return ann["id"], [{"productId": product["id"], "quantity": quantity}]


async def projections_once(graphql: GraphQLClient, settled: Any) -> list[dict[str, Any]]:
    """The `projections` answer once `settled(status)` holds for every read model."""
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            statuses: list[dict[str, Any]] = (await graphql.data(PROJECTIONS))["projections"]
            if len(statuses) == len(ALL) and all(settled(status) for status in statuses):
                return statuses
            await asyncio.sleep(0.05)


@pytest.fixture
def cli_settings(location: StoreLocation, monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI run in this process works on the test's database, as it would beside a server."""
    monkeypatch.setenv("EVENTFOLD_DATA_DIR", str(location.data_dir))
    if location.mongodb_uri is not None:
        monkeypatch.setenv("EVENTFOLD_MONGODB_URI", location.mongodb_uri)
        monkeypatch.setenv("EVENTFOLD_MONGODB_DATABASE", str(location.mongodb_database))
        monkeypatch.setenv("EVENTFOLD_MONGODB_TIMEOUT_SECONDS", "60")


async def eventfold(*argv: str) -> None:
    """`eventfold ARGV...`, on a thread of its own (it runs its own event loop)."""
    await asyncio.to_thread(cli.main, list(argv))


async def wrong_skips_are_refused(graphql: GraphQLClient, position: int) -> None:
    wrong = await graphql.error(SKIP_EVENT, projection="order_summaries", position=position + 1)
    assert wrong["extensions"] == {"code": "BAD_USER_INPUT", "field": "position"}
    assert f"stopped at position {position}" in wrong["message"]
    unknown = await graphql.error(SKIP_EVENT, projection="orders", position=position)
    assert unknown["extensions"] == {"code": "BAD_USER_INPUT", "field": "projection"}


async def test_an_unknown_event_type_is_shown_stops_the_read_models_and_is_skipped(
    graphql: GraphQLClient,
    location: StoreLocation,
    cli_settings: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ann_id, lines = await buyer_and_lines(graphql, quantity=2)
    placed = await graphql.data(PLACE_ORDER, input={"customerId": ann_id, "lines": lines})
    order_id = placed["placeOrder"]["order"]["id"]
    position = await insert_unreadable(location, UUID(order_id))
    bo = await register_customer(graphql, "Bo Diaz")

    # The audit queries show it as it is stored.
    events = [edge["node"] for edge in (await graphql.data(EVENTS))["events"]["edges"]]
    shown = next(event for event in events if event["position"] == position)
    assert (shown["type"], shown["schemaVersion"], shown["data"]) == (UNKNOWN_TYPE, 1, GIFT_WRAP)
    history = [edge["node"] for edge in (await graphql.data(HISTORY, id=order_id))["history"]["edges"]]
    assert [(e["type"], e["version"]) for e in history] == [("OrderPlaced", 1), (UNKNOWN_TYPE, 2)]
    assert history[0]["schemaVersion"] == 3  # this release's OrderPlaced, its personal fields sealed
    assert (history[1]["data"], history[1]["streamType"]) == (GIFT_WRAP, "Order")

    # Every read model stops just before it and says so.
    stopped = await projections_once(graphql, lambda status: status["stoppedAt"] is not None)
    for status in stopped:
        assert (status["stoppedAt"], status["position"], status["skipped"]) == (position, position - 1, [])
        assert status["lag"] >= 2
        assert f"at position {position}" in status["error"]
        assert UNKNOWN_TYPE in status["error"]
    order = (await graphql.data(ORDER, id=order_id))["order"]
    assert order == {"id": order_id, "status": "PLACED", "total": "7.00"}

    await wrong_skips_are_refused(graphql, position)

    # Half skipped by the admin mutation, half by the CLI on the same database.
    names = [status["name"] for status in stopped]
    for name in names[::2]:
        skipped = (await graphql.data(SKIP_EVENT, projection=name, position=position))["skipEvent"]
        assert skipped == {"name": name, "stoppedAt": position, "skipped": [position]}
    with pytest.raises(SystemExit) as refused:
        await eventfold("projections", "skip", names[1], str(position - 1))
    assert refused.value.code == 2
    assert f"stopped at position {position}, not {position - 1}" in capsys.readouterr().err
    for name in names[1::2]:
        await eventfold("projections", "skip", name, str(position))

    caught_up = await projections_once(graphql, lambda status: status["lag"] == 0)
    assert {(s["stoppedAt"], s["error"], tuple(s["skipped"])) for s in caught_up} == {
        (None, None, (position,))
    }
    assert (await graphql.data(CUSTOMER, id=bo["id"]))["customer"] == {"id": bo["id"], "name": "Bo Diaz"}
    capsys.readouterr()
    await eventfold("projections")
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == sorted(names)
    assert all(line.endswith(f"running  skipped {position}") for line in listed)


ORDER_EVENTS = """subscription($orderId: ID, $afterPosition: Int) {
  orderEvents(orderId: $orderId, afterPosition: $afterPosition) { type version schemaVersion data }
}"""


@pytest.fixture
def server(settings: Settings) -> Iterator[str]:
    with live_server(create_app(settings)) as address:
        yield address


async def test_order_events_delivers_an_unknown_event_type_as_stored(
    server: str, location: StoreLocation
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT_SECONDS) as http:
        graphql = GraphQLClient(http)
        ann_id, lines = await buyer_and_lines(graphql)
        placed = await graphql.data(PLACE_ORDER, input={"customerId": ann_id, "lines": lines})
    order_id = placed["placeOrder"]["order"]["id"]
    await insert_unreadable(location, UUID(order_id))
    subscriber = await Subscriber.open(server, ORDER_EVENTS, orderId=order_id, afterPosition=0)
    try:
        received = await subscriber.data(2)
    finally:
        await subscriber.close()
    assert [(e["type"], e["version"], e["schemaVersion"]) for e in received] == [
        ("OrderPlaced", 1, 3),
        (UNKNOWN_TYPE, 2, 1),
    ]
    assert received[1]["data"] == GIFT_WRAP


ORDER_CHANGED = "subscription { orderChanged { id status } }"


async def test_order_changed_passes_over_an_event_it_cannot_read(
    server: str, location: StoreLocation
) -> None:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT_SECONDS) as http:
        graphql = GraphQLClient(http)
        ann_id, lines = await buyer_and_lines(graphql)
        first = await graphql.data(PLACE_ORDER, input={"customerId": ann_id, "lines": lines})
        subscriber = await Subscriber.open(server, ORDER_CHANGED)
        try:
            await insert_unreadable(location, UUID(first["placeOrder"]["order"]["id"]))
            second = await graphql.data(PLACE_ORDER, input={"customerId": ann_id, "lines": lines})
            [changed] = await subscriber.data(1)
        finally:
            await subscriber.close()
    assert changed == {"id": second["placeOrder"]["order"]["id"], "status": "PLACED"}
