"""Fan-out to many subscribers on one server process (SQLite), measured from a second process.

    uv run python -m bench.subscriptions [--subscribers 1000 5000 10000] [--orders 40] [--rate 10]

For each count: starts `eventfold serve`, opens that many WebSocket subscriptions to `orderEvents`
(graphql-transport-ws), then places `--orders` orders over HTTP at `--rate` per second. Latency is
from each event's `recordedAt` to its receipt by each subscriber (both clocks are this machine's);
memory is the server's resident set growth per subscriber; CPU is the server's CPU time while the
orders were fanned out. The client shares the machine's two cores with the server.
"""

import argparse
import asyncio
import json
import os
import statistics
import tempfile
import time
from datetime import datetime

import httpx
import websockets
from websockets.typing import Subprotocol

from bench.report import Figures, show
from bench.servers import running_server, setup

PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"

SUBSCRIBE = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { orderEvents { recordedAt } }"},
}
TICKS = os.sysconf("SC_CLK_TCK")


def server_pid(port: int) -> int:
    """The server process listening on `port` (the one `running_server` started)."""
    inode = None
    with open("/proc/net/tcp") as table:
        for line in table.readlines()[1:]:
            fields = line.split()
            if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":
                inode = fields[9]
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if any(
                os.readlink(f"/proc/{pid}/fd/{fd}") == f"socket:[{inode}]"
                for fd in os.listdir(f"/proc/{pid}/fd")
            ):
                return int(pid)
        except OSError:
            continue
    raise RuntimeError("server process not found")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


async def subscriber(
    address: str, ready: asyncio.Event, latencies: list[float], expected: int, deadline: float
) -> None:
    async with websockets.connect(
        f"ws://{address}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")], open_timeout=60
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        await socket.recv()
        await socket.send(json.dumps(SUBSCRIBE))
        ready.set()
        received = 0
        while received < expected and time.monotonic() < deadline:
            try:
                message = json.loads(await asyncio.wait_for(socket.recv(), deadline - time.monotonic()))
            except TimeoutError:
                return
            if message["type"] == "next":
                recorded = datetime.fromisoformat(message["payload"]["data"]["orderEvents"]["recordedAt"])
                latencies.append(time.time() - recorded.timestamp())
                received += 1


async def run(address: str, count: int, orders: int, rate: float) -> Figures:
    base = f"http://{address}"
    pid = server_pid(int(address.rsplit(":", 1)[1]))
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        order = await setup(http)
        before = rss_kib(pid)
        latencies: list[float] = []
        deadline = time.monotonic() + 120 + orders / rate
        readies = [asyncio.Event() for _ in range(count)]
        tasks = []
        for start in range(0, count, 200):
            tasks += [
                asyncio.create_task(subscriber(address, ready, latencies, orders, deadline))
                for ready in readies[start : start + 200]
            ]
            await asyncio.gather(*(ready.wait() for ready in readies[start : start + 200]))
        await asyncio.sleep(1)
        memory = rss_kib(pid) - before
        cpu_before = cpu_seconds(pid)
        for _ in range(orders):
            await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})
            await asyncio.sleep(1 / rate)
        await asyncio.gather(*tasks)
        cpu = cpu_seconds(pid) - cpu_before
    latencies.sort()
    quantiles = statistics.quantiles(latencies, n=100)
    return {
        f"{count:,} subscribers: delivered": len(latencies) / (count * orders),
        f"{count:,} subscribers: p50 ms": quantiles[49] * 1000,
        f"{count:,} subscribers: p99 ms (target < 500)": quantiles[98] * 1000,
        f"{count:,} subscribers: server KiB each": memory / count,
        f"{count:,} subscribers: server CPU s": cpu,
    }


def measure(counts: list[int], orders: int, rate: float) -> Figures:
    figures: Figures = {}
    for count in counts:
        with tempfile.TemporaryDirectory() as data_dir, running_server(data_dir) as base:
            figures.update(asyncio.run(run(base.removeprefix("http://"), count, orders, rate)))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    show(measure(args.subscribers, args.orders, args.rate))


if __name__ == "__main__":
    main()
