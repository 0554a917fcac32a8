"""Mutations per second through HTTP on the SQLite default, with N concurrent clients.

    uv run python -m bench.mutations_http [--clients 8] [--seconds 10] [--max-requests 20000]

Starts `eventfold serve` on a free loopback port with a fresh data dir, creates a customer and a
product, then has each client place orders back to back (bounded in count and time) and prints
throughput and latency percentiles.
"""

import argparse
import asyncio
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id version } } }"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def setup(http: httpx.AsyncClient) -> dict[str, object]:
    customer = await http.post(
        "/graphql",
        json={
            "query": 'mutation { registerCustomer(input: {name: "Bench", email: "b@example.com"}) '
            "{ customer { id } } }"
        },
    )
    product = await http.post(
        "/graphql",
        json={
            "query": 'mutation { createProduct(input: {sku: "BENCH-1", name: "Bench", price: "9.99"}) '
            "{ product { id } } }"
        },
    )
    return {
        "customerId": customer.json()["data"]["registerCustomer"]["customer"]["id"],
        "lines": [{"productId": product.json()["data"]["createProduct"]["product"]["id"], "quantity": 2}],
    }


async def client(base: str, order: dict[str, object], deadline: float, budget: list[int]) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        while time.monotonic() < deadline and budget[0] > 0:
            budget[0] -= 1
            started = time.perf_counter()
            response = await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})
            latencies.append(time.perf_counter() - started)
            if "errors" in response.json():
                raise RuntimeError(response.text)
    return latencies


async def run(base: str, clients: int, seconds: float, max_requests: int) -> None:
    async with httpx.AsyncClient(base_url=base) as http:
        order = await setup(http)
    budget = [max_requests]
    started = time.perf_counter()
    results = await asyncio.gather(
        *(client(base, order, time.monotonic() + seconds, budget) for _ in range(clients))
    )
    elapsed = time.perf_counter() - started
    latencies = sorted(latency for result in results for latency in result)
    quantiles = statistics.quantiles(latencies, n=100)
    print(f"clients            {clients}")
    print(f"placeOrder calls   {len(latencies)} in {elapsed:.1f} s")
    print(f"throughput         {len(latencies) / elapsed:,.0f} mutations/s")
    print(f"latency p50        {quantiles[49] * 1000:.1f} ms")
    print(f"latency p99        {quantiles[98] * 1000:.1f} ms")


@contextlib.contextmanager
def running_server(data_dir: str) -> Iterator[str]:
    """`eventfold serve` on SQLite in `data_dir`, on a free loopback port; yields its base URL."""
    port = free_port()
    env = {**os.environ, "EVENTFOLD_DATA_DIR": data_dir, "EVENTFOLD_LOG_LEVEL": "warning"}
    env.pop("EVENTFOLD_MONGODB_URI", None)
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "eventfold"), "serve", "--port", str(port)], env=env
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--max-requests", type=int, default=20_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as base:
        asyncio.run(run(base, args.clients, args.seconds, args.max_requests))


if __name__ == "__main__":
    main()
