"""`eventfold seed`: demo histories spread over past weeks, recorded through the domain's rules."""

import asyncio
import subprocess
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.settings import Settings
from app.web import create_app
from projections.read_models import ALL
from tests.app.test_serve import EVENTFOLD, environment
from tests.conftest import GraphQLClient, serving

EVENTS_PAGE = """query($after: Int!) {
  events(afterPosition: $after, first: 100) {
    edges { node { position type recordedAt metadata } } pageInfo { hasNextPage }
  }
}"""
ORDERS_PAGE = """query($after: String, $asOf: DateTime) {
  orders(first: 100, after: $after, asOf: $asOf) {
    edges { node { id status placedAt total customer { name email } } } pageInfo { hasNextPage endCursor }
  }
}"""


def run_seed(settings: Settings, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [EVENTFOLD, "seed", *arguments],
        env=environment(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


async def caught_up(graphql: GraphQLClient) -> None:
    """Every read model has applied the whole log (one that has saved no checkpoint yet is not listed)."""
    deadline = time.monotonic() + 30
    while True:
        states = (await graphql.data("{ projections { lag } }"))["projections"]
        if len(states) == len(ALL) and not any(state["lag"] for state in states):
            return
        assert time.monotonic() < deadline, "the projector did not catch up"
        await asyncio.sleep(0.1)


async def everything(graphql: GraphQLClient, query: str, **variables: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    if query is EVENTS_PAGE:
        while True:
            page = (await graphql.data(query, after=found[-1]["position"] if found else 0, **variables))[
                "events"
            ]
            found += [edge["node"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return found
    after = None
    while True:
        page = (await graphql.data(query, after=after, **variables))["orders"]
        found += [edge["node"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return found
        after = page["pageInfo"]["endCursor"]


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def test_seed_records_histories_spread_over_the_past_weeks(settings: Settings) -> None:
    seeded = run_seed(settings, "--customers", "6", "--orders", "20", "--weeks", "3", "--random-seed", "7")
    assert seeded.returncode == 0, seeded.stderr
    assert "recorded" in seeded.stdout
    assert "commands/s" in seeded.stderr or "commands]" in seeded.stderr  # the progress bar

    now = datetime.now(UTC)
    async with serving(create_app(settings), read_own_writes=False) as graphql:
        await caught_up(graphql)
        orders = await everything(graphql, ORDERS_PAGE)
        events = await everything(graphql, EVENTS_PAGE)
        placed = sorted(instant(order["placedAt"]) for order in orders)
        middle = placed[0] + (placed[-1] - placed[0]) / 2
        back_then = await everything(graphql, ORDERS_PAGE, asOf=middle.isoformat())

    assert len(orders) == 20
    assert all(order["customer"]["email"].endswith("@example.com") for order in orders)
    assert {"SHIPPED", "PLACED"} <= {order["status"] for order in orders}
    assert now - timedelta(weeks=3) <= placed[0]
    assert placed[-1] <= now
    assert placed[-1] - placed[0] > timedelta(days=4)
    # `asOf` has something to show: fewer orders then than now.
    assert 0 < len(back_then) < len(orders)
    assert {event["type"] for event in events} >= {"CustomerRegistered", "ProductCreated", "OrderPlaced"}
    assert all(event["metadata"]["correlationId"] == "eventfold-seed" for event in events)
    recorded = [instant(event["recordedAt"]) for event in events]
    assert recorded == sorted(recorded)


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_seeding_a_store_that_holds_events_continues_after_them(settings: Settings) -> None:
    arguments = ("--customers", "3", "--orders", "5", "--weeks", "2", "--random-seed", "4")
    assert run_seed(settings, *arguments).returncode == 0
    again = run_seed(settings, *arguments)
    assert again.returncode == 0, again.stderr
    assert "already held events" in again.stdout

    async with serving(create_app(settings), read_own_writes=False) as graphql:
        await caught_up(graphql)
        orders = await everything(graphql, ORDERS_PAGE)
        events = await everything(graphql, EVENTS_PAGE)
    assert len(orders) == 10
    recorded = [instant(event["recordedAt"]) for event in events]
    assert recorded == sorted(recorded)


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    ("arguments", "complaint"),
    [
        (["--customers", "-1"], "must be 0 or more"),
        (["--orders", "1.5"], "--orders: must be a whole number, got '1.5'"),
        (["--weeks", "0"], "must be more than 0"),
        (["--weeks", "six"], "--weeks: must be a number of weeks, got 'six'"),
    ],
)
def test_seed_refuses_bad_arguments(settings: Settings, arguments: list[str], complaint: str) -> None:
    refused = run_seed(settings, *arguments)
    assert refused.returncode == 2
    assert complaint in refused.stderr
