"""End-to-end lag from mutation to query on the SQLite default, under a steady write load.

    uv run python -m bench.projection_lag [--rate 100] [--seconds 10] [--workers 1]

Starts `eventfold serve`; background clients place orders at `--rate` per second in total, while a
probe places an order and at once asks for it with `X-Eventfold-Position` (read your writes): the
time that query takes is how long the projections needed to apply the write. Prints percentiles.
With `--workers 2` the projector is a process of its own, which the workers' appends wake, and the
probe's worker waits by reading the stored checkpoints (README, Workers).
"""

import asyncio
import tempfile
import time

import httpx

from bench.report import Figures, arguments, percentile, show
from bench.servers import running_server, setup

PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"

ORDER = "query($id: ID!) { order(id: $id) { id status } }"
PLACE_WITH_POSITIONS = """mutation($input: PlaceOrderInput!) {
  placeOrder(input: $input) { order { id } events { position } }
}"""


async def load(base: str, order: dict[str, object], rate: float, deadline: float) -> int:
    sent = 0
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            started = time.monotonic()
            await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})
            sent += 1
            await asyncio.sleep(max(0.0, 1 / rate - (time.monotonic() - started)))
    return sent


async def probe(base: str, order: dict[str, object], deadline: float) -> list[float]:
    lags = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline:
            placed = (
                await http.post(
                    "/graphql", json={"query": PLACE_WITH_POSITIONS, "variables": {"input": order}}
                )
            ).json()
            payload = placed["data"]["placeOrder"]
            position = max(event["position"] for event in payload["events"])
            started = time.perf_counter()
            answer = await http.post(
                "/graphql",
                json={"query": ORDER, "variables": {"id": payload["order"]["id"]}},
                headers={"X-Eventfold-Position": str(position)},
            )
            lags.append(time.perf_counter() - started)
            if answer.json()["data"]["order"] is None:
                raise RuntimeError("the order was not visible after read-your-writes")
            await asyncio.sleep(0.05)
    return lags


async def run(base: str, rate: float, seconds: float) -> Figures:
    async with httpx.AsyncClient(base_url=base) as http:
        order = await setup(http)
    deadline = time.monotonic() + seconds
    clients = 4
    probing = asyncio.create_task(probe(base, order, deadline))
    sent = await asyncio.gather(*(load(base, order, rate / clients, deadline) for _ in range(clients)))
    lags = sorted(await probing)
    return {
        "background placeOrder/s": sum(sent) / seconds,
        "probes": len(lags),
        "lag p50 ms": percentile(lags, 50) * 1000,
        "lag p99 ms": percentile(lags, 99) * 1000,
        "lag max ms": lags[-1] * 1000,
    }


def measure(rate: float, seconds: float, workers: int = 1) -> Figures:
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir, workers) as base:
        return asyncio.run(run(base, rate, seconds))


def main() -> None:
    parser = arguments(__doc__)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    show(measure(args.rate, args.seconds, args.workers))


if __name__ == "__main__":
    main()
