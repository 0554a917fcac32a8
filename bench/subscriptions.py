"""Fan-out to many subscribers on one server process (SQLite), measured from a second process.

    uv run python -m bench.subscriptions [--subscribers 1000 5000 10000] [--orders 40] [--rate 10]

For each count: starts `eventfold serve`, opens that many WebSocket subscriptions to `orderEvents`
(graphql-transport-ws), then places `--orders` orders over HTTP at `--rate` per second. Latency is
from each event's `recordedAt` to its receipt by each subscriber (both clocks are this machine's);
memory is the server's resident set growth per subscriber; CPU is the server's CPU time while the
orders were fanned out. The client shares the machine's two cores with the server.
"""

import asyncio
import functools
import json
import os
import tempfile
import time
from datetime import datetime
from typing import Any

import httpx
from websockets.client import ClientProtocol
from websockets.frames import Frame, Opcode
from websockets.http11 import Response
from websockets.typing import Subprotocol
from websockets.uri import parse_uri

from bench.report import Figures, arguments, percentile, show
from bench.servers import running_server, setup

PLACE = "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"

PROTOCOL = "graphql-transport-ws"
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


class Subscriber(asyncio.Protocol):
    """One `orderEvents` subscription over graphql-transport-ws, on websockets' sans-I/O client.

    No task per connection and no per-message coroutine: the client shares the two cores with the
    server, so the less it costs, the more the figures say about the server."""

    def __init__(self, address: str, latencies: list[float], expected: int) -> None:
        self._ws = ClientProtocol(parse_uri(f"ws://{address}/graphql"), subprotocols=[Subprotocol(PROTOCOL)])
        self._latencies = latencies
        self._expected = expected
        self._received = 0
        self._transport: asyncio.Transport | None = None
        loop = asyncio.get_running_loop()
        self.subscribed: asyncio.Future[None] = loop.create_future()
        self.finished: asyncio.Future[None] = loop.create_future()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._ws.send_request(self._ws.connect())
        self._flush()

    def data_received(self, data: bytes) -> None:
        self._ws.receive_data(data)
        for event in self._ws.events_received():
            if isinstance(event, Response):
                if event.status_code != 101:
                    self._fail(f"handshake refused: {event.status_code}")
                self._ws.send_text(json.dumps({"type": "connection_init"}).encode())
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                self._on_message(json.loads(bytes(event.data)))
        self._flush()

    def _on_message(self, message: dict[str, Any]) -> None:
        if message["type"] == "connection_ack":
            self._ws.send_text(json.dumps(SUBSCRIBE).encode())
            self.subscribed.set_result(None)
        elif message["type"] == "next":
            recorded = datetime.fromisoformat(message["payload"]["data"]["orderEvents"]["recordedAt"])
            self._latencies.append(time.time() - recorded.timestamp())
            self._received += 1
            if self._received == self._expected and not self.finished.done():
                self.finished.set_result(None)
        else:
            self._fail(f"unexpected message: {message}")

    def _fail(self, reason: str) -> None:
        for future in (self.subscribed, self.finished):
            if not future.done():
                future.set_exception(RuntimeError(reason))

    def _flush(self) -> None:
        if self._transport is not None and (data := self._ws.data_to_send()):
            self._transport.write(b"".join(data))

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(f"connection lost: {exc}")

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()


def _itself(subscriber: Subscriber) -> Subscriber:
    return subscriber


async def run(address: str, count: int, orders: int, rate: float) -> Figures:
    host, port = address.rsplit(":", 1)
    pid = server_pid(int(port))
    loop = asyncio.get_running_loop()
    async with httpx.AsyncClient(base_url=f"http://{address}", timeout=60) as http:
        order = await setup(http)
        before = rss_kib(pid)
        latencies: list[float] = []
        subscribers: list[Subscriber] = []
        try:
            for start in range(0, count, 200):
                batch = [Subscriber(address, latencies, orders) for _ in range(min(200, count - start))]
                for subscriber in batch:
                    await loop.create_connection(functools.partial(_itself, subscriber), host, int(port))
                await asyncio.wait_for(asyncio.gather(*(s.subscribed for s in batch)), 60)
                subscribers += batch
            await asyncio.sleep(1)
            memory = rss_kib(pid) - before
            cpu_before = cpu_seconds(pid)
            for _ in range(orders):
                await http.post("/graphql", json={"query": PLACE, "variables": {"input": order}})
                await asyncio.sleep(1 / rate)
            await asyncio.wait([s.finished for s in subscribers], timeout=60)
            cpu = cpu_seconds(pid) - cpu_before
        finally:
            for subscriber in subscribers:
                subscriber.close()
    latencies.sort()
    return {
        f"{count:,} subscribers: delivered": len(latencies) / (count * orders),
        f"{count:,} subscribers: p50 ms": percentile(latencies, 50) * 1000,
        f"{count:,} subscribers: p99 ms (target < 500)": percentile(latencies, 99) * 1000,
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
    parser = arguments(__doc__)
    parser.add_argument("--subscribers", type=int, nargs="+", default=[1000, 5000, 10000])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--rate", type=float, default=10.0)
    args = parser.parse_args()
    show(measure(args.subscribers, args.orders, args.rate))


if __name__ == "__main__":
    main()
