"""The write path: `placeOrder` through the whole app on the SQLite default, with 1, 8 and 32 clients,
against a bare Strawberry mutation appending the same event row with plain SQL, in the same run.

    uv run python -m bench.write_path [--clients 1 8 32] [--seconds 6]

The ratio shows what eventfold itself costs per write: validation, loading the customer, products
and order in one read, deciding, the append with its concurrency check, and the payload.
"""

import asyncio
import tempfile
from pathlib import Path

import httpx

from bench.load import Load, post_load
from bench.report import Figures, arguments, show
from bench.servers import running_server, running_uvicorn, setup

PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"


async def prepared(base: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        return await setup(http)


def measure(base: str, order: dict[str, object], clients: int, seconds: float) -> Load:
    payload = {"query": PLACE, "variables": {"input": order}}
    return asyncio.run(post_load(base, payload, clients, seconds, max_requests=100_000))


def compare(clients: list[int], seconds: float) -> Figures:
    figures: Figures = {}
    for count in clients:
        with tempfile.TemporaryDirectory() as data_dir:
            with running_server(data_dir) as ours:
                order = asyncio.run(prepared(ours))
                eventfold = measure(ours, order, count, seconds)
            bare_db = str(Path(data_dir) / "bare.db")
            with running_uvicorn("bench.bare_write_app:app", {"EVENTFOLD_BENCH_DB": bare_db}) as bare:
                baseline = measure(bare, order, count, seconds)
        figures |= {
            f"placeOrder, {count} clients: eventfold per s": eventfold.per_second,
            f"placeOrder, {count} clients: eventfold p99 ms": eventfold.quantile(99) * 1000,
            f"placeOrder, {count} clients: bare SQL per s": baseline.per_second,
            f"placeOrder, {count} clients: ratio eventfold / bare": eventfold.per_second
            / baseline.per_second,
        }
    return figures


if __name__ == "__main__":
    parser = arguments(__doc__)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    show(compare(args.clients, args.seconds))
