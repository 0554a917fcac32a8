"""Holding what clients were told against the event log and the read models, through the public API."""

import asyncio
import time
from collections import defaultdict
from typing import Any

import aiohttp

from projections.read_models import ALL
from tests.hardening.workload import Tally

LOG = """query($after: Int!) {
  events(afterPosition: $after, first: 100) {
    edges { node { id streamId streamType type version position } } pageInfo { hasNextPage }
  }
}"""
# Five a page: the cost limit prices each order's lines at their longest (100).
ORDERS = """query($after: String) {
  orders(first: 5, after: $after) {
    edges { node {
      id customerId customer { id name email } total status placedAt shippedAt carrier trackingNumber
      cancelledAt cancelReason version lines { productId sku name quantity unitPrice lineTotal }
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""
REPORTS = """{
  products(first: 100) { edges { node { id sku name price version } } }
  salesReport {
    ordersPlaced ordersShipped ordersCancelled revenue topProducts { productId name quantity revenue }
  }
  projections { name position lag error }
}"""
READ_MODELS = {projection.name for projection in ALL}
STATUS_AFTER = {"OrderPlaced": "PLACED", "OrderShipped": "SHIPPED", "OrderCancelled": "CANCELLED"}


async def query(http: aiohttp.ClientSession, document: str, **variables: Any) -> dict[str, Any]:
    async with http.post("/graphql", json={"query": document, "variables": variables}) as response:
        body = await response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def read_log(http: aiohttp.ClientSession) -> list[dict[str, Any]]:
    """The whole event log, page by page, in position order."""
    log: list[dict[str, Any]] = []
    while True:
        page = (await query(http, LOG, after=log[-1]["position"] if log else 0))["events"]
        log.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            return log


def streams_of(log: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each stream's events; asserts the log's positions and every stream's versions have no gap or repeat."""
    positions = [event["position"] for event in log]
    assert positions == list(range(1, len(log) + 1)), "positions are not 1..n"
    assert len({event["id"] for event in log}) == len(log), "an event id appears twice"
    streams: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for event in log:
        streams[event["streamId"]].append(event)
    for stream_id, events in streams.items():
        versions = [event["version"] for event in events]
        assert versions == list(range(1, len(events) + 1)), f"{stream_id} has versions {versions}"
    return streams


def lost(tally: Tally, log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Events a client was told were recorded that the log does not hold as it was told."""
    recorded = {event["id"]: event for event in log}
    return [
        told
        for event_id, told in tally.acknowledged.items()
        if {key: recorded.get(event_id, {}).get(key) for key in told} != told
    ]


def applied_twice(streams: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Orders whose stream is not one placement followed by at most one shipment or cancellation."""
    return [
        stream_id
        for stream_id, events in streams.items()
        if events[0]["streamType"] == "Order"
        and not (
            events[0]["type"] == "OrderPlaced"
            and len(events) <= 2
            and all(event["type"] in ("OrderShipped", "OrderCancelled") for event in events[1:])
        )
    ]


async def read_models(http: aiohttp.ClientSession) -> dict[str, Any]:
    """What the read-model queries answer, once the projections have applied the whole log."""
    orders: list[dict[str, Any]] = []
    after = None
    while True:
        page = (await query(http, ORDERS, after=after))["orders"]
        orders.extend(edge["node"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    reports = await query(http, REPORTS)
    return {"orders": orders, "products": reports["products"], "salesReport": reports["salesReport"]}


def disagreements(models: dict[str, Any], streams: dict[str, list[dict[str, Any]]]) -> list[str]:
    """Orders the read model shows otherwise than their streams say (version, status), or not at all."""
    shown = {order["id"]: order for order in models["orders"]}
    wrong = [
        stream_id
        for stream_id, events in streams.items()
        if events[0]["streamType"] == "Order"
        and (
            (order := shown.get(stream_id)) is None
            or order["version"] != len(events)
            or order["status"] != STATUS_AFTER[events[-1]["type"]]
        )
    ]
    return wrong + sorted(set(shown) - set(streams))


async def wait_until_projected(http: aiohttp.ClientSession, head: int, seconds: float = 60) -> None:
    """Until every read model has applied the log up to `head` (bounded)."""
    deadline = time.monotonic() + seconds
    while True:
        projections = (await query(http, "{ projections { name position error } }"))["projections"]
        assert all(p["error"] is None for p in projections), projections
        # A projector still starting has saved no state yet: an empty list is not "caught up".
        if {p["name"] for p in projections} == READ_MODELS and all(
            p["position"] >= head for p in projections
        ):
            return
        assert time.monotonic() < deadline, f"projections did not reach {head}: {projections}"
        await asyncio.sleep(0.1)
