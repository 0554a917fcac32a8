"""`events(filter:)` through HTTP on both backends: by event type, by stream type and by a window of
recorded time, each picked in the database, and paged by position within the filter."""

from datetime import timedelta
from typing import Any

import pytest

from tests.conftest import GraphQLClient
from tests.e2e.clock import START, Clock
from tests.e2e.operations import place_order

FILTERED = """
query($filter: EventFilter, $afterPosition: Int, $first: Int) {
  events(filter: $filter, afterPosition: $afterPosition, first: $first) {
    edges { node { type streamType position recordedAt } } pageInfo { hasNextPage }
  }
}"""


async def events(client: GraphQLClient, **variables: Any) -> tuple[list[dict[str, Any]], bool]:
    found = (await client.data(FILTERED, **variables))["events"]
    return [edge["node"] for edge in found["edges"]], found["pageInfo"]["hasNextPage"]


async def test_events_are_filtered_by_type_stream_type_and_recorded_time(
    client: GraphQLClient, clock: Clock
) -> None:
    await place_order(client, sku="A-1")  # customer, product, order at START
    clock.now = START + timedelta(hours=1)
    await place_order(client, sku="B-1")  # the same an hour later

    placed, more = await events(client, filter={"types": ["OrderPlaced"]})
    assert [event["type"] for event in placed] == ["OrderPlaced", "OrderPlaced"]
    assert more is False

    products, _ = await events(client, filter={"streamTypes": ["Product"]})
    assert [event["streamType"] for event in products] == ["Product", "Product"]

    later = {
        "from": (START + timedelta(minutes=30)).isoformat(),
        "to": (START + timedelta(hours=2)).isoformat(),
    }
    window, _ = await events(client, filter=later)
    assert [event["type"] for event in window] == ["CustomerRegistered", "ProductCreated", "OrderPlaced"]
    assert {event["recordedAt"] for event in window} == {"2026-11-02T10:00:00+00:00"}

    earlier, _ = await events(client, filter={"to": (START + timedelta(minutes=30)).isoformat()})
    assert len(earlier) == 3
    both, _ = await events(client, filter={**later, "types": ["OrderPlaced"], "streamTypes": ["Order"]})
    assert [event["position"] for event in both] == [window[2]["position"]]
    nothing, more = await events(client, filter={"from": (START + timedelta(days=1)).isoformat()})
    assert (nothing, more) == ([], False)


async def test_a_filtered_log_pages_by_position(client: GraphQLClient, clock: Clock) -> None:
    for hour in range(3):
        clock.now = START + timedelta(hours=hour)
        await place_order(client, sku=f"P-{hour}")

    first, more = await events(client, filter={"types": ["OrderPlaced"]}, first=2)
    assert more is True
    rest, more = await events(
        client, filter={"types": ["OrderPlaced"]}, first=2, afterPosition=first[-1]["position"]
    )
    assert more is False
    assert len(first + rest) == 3
    bounded, more = await events(
        client,
        filter={"types": ["OrderPlaced"], "to": (START + timedelta(hours=1, minutes=1)).isoformat()},
        first=1,
    )
    assert (len(bounded), more) == (1, True)
    tail, more = await events(
        client,
        filter={"types": ["OrderPlaced"], "to": (START + timedelta(hours=1, minutes=1)).isoformat()},
        afterPosition=bounded[0]["position"],
    )
    assert (len(tail), more) == (1, False)


@pytest.mark.parametrize(
    ("filter_", "field"),
    [
        ({"types": []}, "filter.types"),
        ({"types": ["OrderPlaced"] * 51}, "filter.types"),
        ({"from": "2026-11-02T09:00:00"}, "filter.from"),
    ],
)
async def test_a_filter_that_cannot_be_met_is_refused(
    client: GraphQLClient, filter_: dict[str, Any], field: str
) -> None:
    error = await client.error(FILTERED, filter=filter_)
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert field in error["message"]
