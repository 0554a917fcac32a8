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


SERVED: dict[str, int] = {}
"""The process behind each base URL served now, so that a benchmark can read its CPU time."""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextlib.contextmanager
def serving(command: list[str], env: dict[str, str], ready_path: str, workers: int = 1) -> Iterator[str]:
    """Runs `command` (which listens on the port appended to it) until `ready_path` answers, from
    `workers` distinct workers when there are several (their `X-Eventfold-Worker`)."""
    port = free_port()
    server = subprocess.Popen([*command, str(port)], env=env)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        answered: set[str | None] = set()
        while len(answered) < workers or not answered:
            try:
                # A new connection each time: the kernel hands it to any worker that accepts.
                answered.add(httpx.get(f"{base}{ready_path}", timeout=1).headers.get("x-eventfold-worker"))
            except httpx.TransportError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.1)
            if time.monotonic() > deadline:
                raise RuntimeError(f"only {len(answered)} of {workers} workers answered")
        SERVED[base] = server.pid
        yield base
    finally:
        SERVED.pop(base, None)
        server.terminate()
        server.wait(timeout=30)


@contextlib.contextmanager
def running_server(data_dir: str, workers: int = 1) -> Iterator[str]:
    """`eventfold serve` on SQLite in `data_dir` (with `--workers` when several); yields its base URL."""
    env = {**os.environ, "EVENTFOLD_DATA_DIR": data_dir, "EVENTFOLD_LOG_LEVEL": "warning"}
    env.pop("EVENTFOLD_MONGODB_URI", None)
    command = [str(Path(sys.executable).parent / "eventfold"), "serve"]
    if workers > 1:
        command += ["--workers", str(workers)]
    with serving([*command, "--port"], env, "/healthz", workers) as base:
        yield base


@contextlib.contextmanager
def running_uvicorn(app: str, env: dict[str, str] | None = None, http: str = "auto") -> Iterator[str]:
    """A baseline ASGI app of bench/ under uvicorn; yields its base URL. `http="h11"` gives it the
    HTTP protocol `eventfold serve` runs (app/http_server.py) instead of httptools."""
    command = [sys.executable, "-m", "uvicorn", app, "--log-level", "warning", "--http", http, "--port"]
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


def tree_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and all its descendants alive now, from /proc (Linux)."""
    parents: dict[int, int] = {}
    seconds: dict[int, float] = {}
    tick = os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # ppid, utime and stime: the 4th, 14th and 15th fields, counted from after the name's ")".
        parents[int(entry.name)] = int(fields[1])
        seconds[int(entry.name)] = (int(fields[11]) + int(fields[12])) / tick

    def descends(candidate: int) -> bool:
        while candidate > 1:
            if candidate == pid:
                return True
            candidate = parents.get(candidate, 0)
        return False

    return sum(cpu for process, cpu in seconds.items() if descends(process))
