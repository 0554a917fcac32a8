"""GraphQL overhead: a typical `order(id)` through the whole app, against a bare Strawberry schema that
answers the same query with a constant, under the same load generator in the same run.

    uv run python -m bench.graphql_overhead [--clients 8] [--seconds 8]

Both servers run as their own processes on loopback ports; the ratio of their throughputs is the
figure (target >= 0.6). The load generator shares the machine's cores with the server under test.
"""

import asyncio
import tempfile

import httpx

from bench.load import post_load
from bench.report import Figures, arguments, show
from bench.servers import running_server, running_uvicorn, setup

ORDER = """query($id: ID!) {
  order(id: $id) { id status total placedAt lines { sku quantity unitPrice } customer { id name } }
}"""
PLACE = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } events { position } } }"
)


async def order_id(base: str) -> str:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        order = await setup(http)
        placed = (await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})).json()
        identifier: str = placed["data"]["placeOrder"]["order"]["id"]
        # Read our write once, so that the load measures answers, not misses.
        position = str(placed["data"]["placeOrder"]["events"][0]["position"])
        await http.post(
            "/graphql",
            json={"query": ORDER, "variables": {"id": identifier}},
            headers={"X-Eventfold-Position": position},
        )
        return identifier


def measure(clients: int, seconds: float, max_requests: int = 50_000) -> Figures:
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as ours:
        identifier = asyncio.run(order_id(ours))
        payload = {"query": ORDER, "variables": {"id": identifier}}
        eventfold = asyncio.run(post_load(ours, payload, clients, seconds, max_requests))
    with running_uvicorn("bench.bare_app:app") as bare:
        baseline = asyncio.run(post_load(bare, payload, clients, seconds, max_requests))
    return {
        "order(id) eventfold requests/s": eventfold.per_second,
        "order(id) eventfold p50 ms": eventfold.quantile(50) * 1000,
        "order(id) eventfold p99 ms": eventfold.quantile(99) * 1000,
        "order(id) bare Strawberry requests/s": baseline.per_second,
        "order(id) bare Strawberry p50 ms": baseline.quantile(50) * 1000,
        "order(id) bare Strawberry p99 ms": baseline.quantile(99) * 1000,
        "order(id) ratio eventfold / bare (target >= 0.6)": eventfold.per_second / baseline.per_second,
    }


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=8.0)
    args = parser.parse_args()
    show(measure(args.clients, args.seconds))
