"""The write path: `placeOrder` through the whole app on the SQLite default, with 1, 8 and 32 clients,
against a bare Strawberry mutation appending the same event row with plain SQL, in the same run.

    uv run python -m bench.write_path [--clients 1 8 32] [--seconds 6]

The ratio shows what eventfold itself costs per write: validation, loading the customer, products
and order in one read, deciding, the append with its concurrency check, and the payload.
"""

import argparse
import asyncio
import tempfile
from pathlib import Path

import httpx

from bench.load import Load, post_load
from bench.servers import running_server, running_uvicorn, setup

PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"


async def prepared(base: str) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        return await setup(http)


def measure(base: str, order: dict[str, object], clients: int, seconds: float) -> Load:
    payload = {"query": PLACE, "variables": {"input": order}}
    return asyncio.run(post_load(base, payload, clients, seconds, max_requests=100_000))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 8, 32])
    parser.add_argument("--seconds", type=float, default=6.0)
    args = parser.parse_args()
    columns = ("eventfold", "p50", "p99", "bare SQL", "p50", "p99")
    print(f"{'clients':>8}" + "".join(f"{c:>{14 if 'e' in c else 10}}" for c in columns) + f"{'ratio':>8}")
    for clients in args.clients:
        with tempfile.TemporaryDirectory() as data_dir:
            with running_server(data_dir) as ours:
                order = asyncio.run(prepared(ours))
                eventfold = measure(ours, order, clients, args.seconds)
            bare_db = str(Path(data_dir) / "bare.db")
            with running_uvicorn("bench.bare_write_app:app", {"EVENTFOLD_BENCH_DB": bare_db}) as bare:
                baseline = measure(bare, order, clients, args.seconds)
        print(
            f"{clients:>8}{eventfold.per_second:>12,.0f}/s{eventfold.quantile(50) * 1000:>7.1f} ms"
            f"{eventfold.quantile(99) * 1000:>7.1f} ms{baseline.per_second:>12,.0f}/s"
            f"{baseline.quantile(50) * 1000:>7.1f} ms{baseline.quantile(99) * 1000:>7.1f} ms"
            f"{eventfold.per_second / baseline.per_second:>8.2f}"
        )


if __name__ == "__main__":
    main()
