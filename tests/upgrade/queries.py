"""The fixed GraphQL questions the upgrade fixtures were answered with, and the walk that asks them.

`tests/fixtures/v1/make_fixtures.py` walked the v1 fixtures with `record` and stored every question
(a query's name and its variables) beside the answer the server of that release gave. The upgrade
test asks exactly those questions again, from the stored list, so nothing here decides what a later
release is asked: only `QUERIES` (the documents, which must not change) and `new_fields_removed`.
"""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from tests.conftest import GraphQLClient

ADDRESS = "address { street city postalCode country }"
CUSTOMER = f"id name email emailVerified {ADDRESS} version createdAt updatedAt"
PRODUCT = "id sku name price version createdAt updatedAt"
ORDER = f"""
    id customerId
    lines {{ productId sku name quantity unitPrice lineTotal }}
    total status placedAt shippedAt carrier trackingNumber cancelledAt cancelReason version
    customer {{ {CUSTOMER} }}
"""
EVENT = "id streamId streamType type version position recordedAt data metadata"
PAGE = "pageInfo { hasNextPage endCursor }"
SALES = """
    from to ordersPlaced ordersShipped ordersCancelled revenue
    topProducts { productId name quantity revenue }
    days { day ordersPlaced ordersShipped ordersCancelled revenue }
"""

QUERIES: dict[str, str] = {
    "orders": f"""query ($after: String, $asOf: DateTime) {{
        orders(first: 5, after: $after, asOf: $asOf) {{ edges {{ cursor node {{ {ORDER} }} }} {PAGE} }}
    }}""",
    "order": f"""query ($id: ID!, $asOf: DateTime) {{ order(id: $id, asOf: $asOf) {{ {ORDER} }} }}""",
    "customer": f"""query ($id: ID!, $asOf: DateTime) {{
        customer(id: $id, asOf: $asOf) {{ {CUSTOMER} }}
    }}""",
    "product": f"""query ($id: ID!, $asOf: DateTime) {{ product(id: $id, asOf: $asOf) {{ {PRODUCT} }} }}""",
    "history": f"""query ($id: ID!, $after: String) {{
        history(id: $id, first: 20, after: $after) {{ edges {{ cursor node {{ {EVENT} }} }} {PAGE} }}
    }}""",
    "events": f"""query ($afterPosition: Int!, $first: Int!) {{
        events(afterPosition: $afterPosition, first: $first) {{
            edges {{ cursor node {{ {EVENT} }} }} {PAGE}
        }}
    }}""",
    "salesReport": f"""query ($from: DateTime, $to: DateTime) {{
        salesReport(from: $from, to: $to) {{ {SALES} }}
    }}""",
}
PROJECTIONS = "{ projections { name position lag error } }"

NEW_FIELDS = frozenset({"currency", "schemaVersion"})
"""Keys a later release adds to answers (money gets a currency): left out of every comparison."""

EVENT_PAGE_SIZE = 100
"""`orders` pages five at a time and `history` twenty (literals: a page of orders costs its size times
100 lines, and the cost limit reads a variable page size as the largest)."""


def new_fields_removed(value: Any) -> Any:
    """The answer without the keys named in NEW_FIELDS, at any depth (event `data` included)."""
    if isinstance(value, dict):
        return {key: new_fields_removed(item) for key, item in value.items() if key not in NEW_FIELDS}
    if isinstance(value, list):
        return [new_fields_removed(item) for item in value]
    return value


CATCH_UP_SECONDS = 60.0


async def caught_up(client: GraphQLClient, names: list[str]) -> None:
    """Wait until every read model in `names` is there and has applied the whole log, without error."""
    deadline = time.monotonic() + CATCH_UP_SECONDS
    while True:
        statuses = (await client.data(PROJECTIONS))["projections"]
        by_name = {status["name"]: status for status in statuses}
        errors = {name: status["error"] for name, status in by_name.items() if status["error"]}
        assert not errors, errors
        if all(name in by_name and by_name[name]["lag"] == 0 for name in names):
            return
        assert time.monotonic() < deadline, f"projections not caught up: {statuses}"
        await asyncio.sleep(0.05)


@dataclass
class Recorder:
    """Asks the questions and keeps each beside its answer."""

    client: GraphQLClient
    answers: list[dict[str, Any]] = field(default_factory=list)

    async def ask(self, query: str, **variables: Any) -> dict[str, Any]:
        data = await self.client.data(QUERIES[query], **variables)
        self.answers.append({"query": query, "variables": variables, "data": data})
        return data

    async def pages(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        """Every node of a connection, paged through with `after` (its page size is in the document)."""
        nodes, after = [], None
        while True:
            data = await self.ask(query, after=after, **variables)
            connection = data[query]
            nodes += [edge["node"] for edge in connection["edges"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return nodes
            after = connection["pageInfo"]["endCursor"]

    async def log(self) -> list[dict[str, Any]]:
        events: list[dict[str, Any]] = []
        while True:
            position = events[-1]["position"] if events else 0
            page = (await self.ask("events", afterPosition=position, first=EVENT_PAGE_SIZE))["events"]
            events += [edge["node"] for edge in page["edges"]]
            if not page["pageInfo"]["hasNextPage"]:
                return events


def instants_of(events: list[dict[str, Any]]) -> list[str]:
    """The recordedAt of the events a quarter, half and three quarters of the way through the log."""
    return [events[len(events) * share // 4]["recordedAt"] for share in (1, 2, 3)]


async def record(client: GraphQLClient) -> dict[str, Any]:
    """Every question of the v1 fixtures, walked from what the server answers: the whole log, every
    order, customer and product now and at three instants of the history, and the sales report."""
    recorder = Recorder(client)
    events = await recorder.log()
    instants = instants_of(events)
    streams: dict[str, list[str]] = {"Customer": [], "Product": [], "Order": []}
    for event in events:
        if event["version"] == 1:
            streams[event["streamType"]].append(event["streamId"])
    await recorder.pages("orders")
    for stream_id in [id_ for ids in streams.values() for id_ in ids]:
        await recorder.pages("history", id=stream_id)
    for kind in ("customer", "product", "order"):
        for stream_id in streams[kind.capitalize()]:
            await recorder.ask(kind, id=stream_id)
            await recorder.ask(kind, id=stream_id, asOf=instants[1])
    for instant in instants:
        await recorder.pages("orders", asOf=instant)
        for stream_id in streams["Order"]:
            await recorder.ask("order", id=stream_id, asOf=instant)
    await recorder.ask("salesReport")
    await recorder.ask("salesReport", **{"from": instants[0], "to": instants[2]})
    return {"instants": instants, "answers": recorder.answers}
