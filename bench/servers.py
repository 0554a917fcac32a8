"""Servers the benchmarks measure, each its own process on a free loopback port."""

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

REGISTER = 'mutation { registerCustomer(input: {name: "Bench", email: "b@example.com"}) { customer { id } } }'
CREATE = (
    'mutation { createProduct(input: {sku: "BENCH-1", name: "Bench", price: "9.99"}) { product { id } } }'
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], ready_path: str) -> Iterator[str]:
    """Runs `command` (which listens on the port appended to it) until `ready_path` answers."""
    port = free_port()
    server = subprocess.Popen([*command, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{base}{ready_path}", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def running_server(data_dir: str) -> Iterator[str]:
    """`eventfold serve` on SQLite in `data_dir`; yields its base URL."""
    env = {**os.environ, "EVENTFOLD_DATA_DIR": data_dir, "EVENTFOLD_LOG_LEVEL": "warning"}
    env.pop("EVENTFOLD_MONGODB_URI", None)
    with serving(
        [str(Path(sys.executable).parent / "eventfold"), "serve", "--port"], env, "/healthz"
    ) as base:
        yield base


@contextlib.contextmanager
def running_uvicorn(app: str, env: dict[str, str] | None = None) -> Iterator[str]:
    """A baseline ASGI app of bench/ under uvicorn; yields its base URL."""
    command = [sys.executable, "-m", "uvicorn", app, "--log-level", "warning", "--port"]
    with serving(command, {**os.environ, **(env or {})}, "/graphql") as base:
        yield base


async def setup(http: httpx.AsyncClient) -> dict[str, object]:
    """A customer and a product; returns a PlaceOrderInput for them."""
    customer = (await http.post("/graphql", json={"query": REGISTER})).json()
    product = (await http.post("/graphql", json={"query": CREATE})).json()
    return {
        "customerId": customer["data"]["registerCustomer"]["customer"]["id"],
        "lines": [{"productId": product["data"]["createProduct"]["product"]["id"], "quantity": 2}],
    }
