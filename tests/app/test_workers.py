"""`eventfold serve --workers 2` as a user starts it: a real supervisor, two workers and a projector
process on one loopback port, on SQLite. Each HTTP connection stays with the worker that accepted it,
and every answer names that worker (`X-Eventfold-Worker`), so a test opens connections until it holds
one to each worker."""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from tests.app.test_serve import EVENTFOLD, start, wait_until_healthy
from tests.live_server import free_port
from tests.observability.test_metrics import samples, value

WAIT = 20
WORKER = "X-Eventfold-Worker"
REGISTER = """mutation($name: String!) {
  registerCustomer(input: {name: $name, email: "ann@example.com"}) { customer { id } events { position } }
}"""
CREATE = """mutation($sku: String!) {
  createProduct(input: {sku: $sku, name: "Widget", price: "2.50"}) { product { id } }
}"""
PLACE = """mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id } } }"""
CUSTOMER = "query($id: ID!) { customer(id: $id) { id name } }"
ORDER_EVENTS = "subscription($after: Int) { orderEvents(afterPosition: $after) { type streamId } }"
OWNERS = "{ projections { name owner } }"


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    base: str
    log: Path
    env: dict[str, str]

    def eventfold(self, *command: str) -> str:
        done = subprocess.run([EVENTFOLD, *command], env=self.env, capture_output=True, text=True, check=True)
        return done.stdout


@contextlib.contextmanager
def serving(env: dict[str, str], log: Path, *flags: str) -> Iterator[Server]:
    """`eventfold serve` with `flags` on a free port, stopped (bounded) afterwards whatever happened."""
    port = free_port()
    process = start(["serve", *flags, "--port", str(port)], env, log)
    served = Server(process, f"http://127.0.0.1:{port}", log, env)
    try:
        wait_until_healthy(served.base, process, log)
        yield served
    finally:
        process.terminate()
        process.wait(timeout=30)


def environment(directory: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTFOLD_")}
    return env | {"EVENTFOLD_DATA_DIR": str(directory / "data")} | settings


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("workers")
    env = environment(
        directory,
        EVENTFOLD_API_KEY_CACHE_SECONDS="1",
        # A killed projector's read models are taken over once its leases expire.
        EVENTFOLD_LEASE_SECONDS="2",
    )
    with serving(env, directory / "server.log", "--workers", "2") as served:
        yield served


def until[T](found: Callable[[], T | None], log: Path) -> T:
    """What `found` returns once it returns something, asked again and again (bounded)."""
    deadline = time.monotonic() + WAIT
    while (result := found()) is None:
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.05)
    return result


def worker_of(response: httpx.Response) -> int:
    return int(response.headers[WORKER])


def clients_of_each_worker(server: Server, count: int = 2) -> dict[int, httpx.Client]:
    """One client a worker, each on a single kept-alive connection (so on that worker)."""
    held: dict[int, httpx.Client] = {}

    def another() -> dict[int, httpx.Client] | None:
        client = httpx.Client(base_url=server.base, timeout=WAIT, limits=httpx.Limits(max_connections=1))
        pid = worker_of(client.get("/healthz"))
        if pid in held:
            client.close()
        else:
            held[pid] = client
        return held if len(held) >= count else None

    return until(another, server.log)


def data(client: httpx.Client, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def placed_order(client: httpx.Client, name: str) -> str:
    customer = data(client, REGISTER, name=name)["registerCustomer"]["customer"]
    product = data(client, CREATE, sku=f"SKU-{name}")["createProduct"]["product"]
    order = {"customerId": customer["id"], "lines": [{"productId": product["id"], "quantity": 1}]}
    placed: str = data(client, PLACE, input=order)["placeOrder"]["order"]["id"]
    return placed


def test_two_workers_answer_and_the_metrics_count_the_requests_of_both(server: Server) -> None:
    clients = clients_of_each_worker(server)
    assert server.process.pid not in clients
    scrape = clients[min(clients)].get("/metrics").text
    before = value(samples(scrape), "eventfold_events_appended_total", type="CustomerRegistered")

    for number, client in enumerate(clients.values()):
        for repeat in range(3):
            data(client, REGISTER, name=f"Metrics {number} {repeat}")

    for client in clients.values():
        found = samples(client.get("/metrics").text)
        assert value(found, "eventfold_events_appended_total", type="CustomerRegistered") == before + 6
        assert (
            value(
                found,
                "eventfold_graphql_request_duration_seconds_count",
                operation="registerCustomer",
                type="mutation",
            )
            >= 6
        )
        # Read from the database once per scrape, not once per worker.
        lags = [name for name, _ in found if name == "eventfold_projection_lag_events"]
        assert len(lags) == 6


def single_owner(client: httpx.Client, log: Path) -> str:
    """The one projector holding every read model, once it holds them all."""

    def owner() -> str | None:
        statuses = data(client, OWNERS)["projections"]
        found = {status["owner"] for status in statuses}
        return found.pop() if len(statuses) == 6 and len(found) == 1 and None not in found else None

    return until(owner, log)


def test_exactly_one_projector_runs_in_a_process_of_its_own(server: Server) -> None:
    clients = clients_of_each_worker(server)
    for client in clients.values():
        pid = int(single_owner(client, server.log).split(":")[1])
        assert pid not in clients
        assert pid != server.process.pid


def test_a_write_through_one_worker_is_read_through_the_other(server: Server) -> None:
    clients = clients_of_each_worker(server)
    writer, reader = clients.values()
    registered = data(writer, REGISTER, name="Read Your Writes")["registerCustomer"]
    position = str(registered["events"][0]["position"])

    response = reader.post(
        "/graphql",
        json={"query": CUSTOMER, "variables": {"id": registered["customer"]["id"]}},
        headers={"X-Eventfold-Position": position},
    )

    assert response.headers["X-Eventfold-Caught-Up"] == "true"
    assert response.json()["data"]["customer"]["name"] == "Read Your Writes"


async def subscribed_on(
    worker: int, address: str, opened: list[websockets.ClientConnection], after: int | None = None
) -> websockets.ClientConnection:
    """A subscription to order events on `worker`, opening sockets (kept in `opened`) until one lands
    there."""
    while True:
        socket = await websockets.connect(address, subprotocols=[Subprotocol("graphql-transport-ws")])
        opened.append(socket)
        assert socket.response is not None
        if int(socket.response.headers[WORKER]) == worker:
            break
    await socket.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
    subscribe = {"query": ORDER_EVENTS, "variables": {"after": after}}
    await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": subscribe}))
    return socket


async def test_a_subscription_on_one_worker_hears_mutations_sent_through_the_other(server: Server) -> None:
    (listening, _), (_, writing) = clients_of_each_worker(server).items()
    # From a position before the order on, so the subscription misses nothing while it starts.
    before = data(writing, REGISTER, name="Before")["registerCustomer"]["events"][0]["position"]
    opened: list[websockets.ClientConnection] = []
    try:
        socket = await subscribed_on(
            listening, server.base.replace("http", "ws") + "/graphql", opened, before
        )

        order = await asyncio.to_thread(placed_order, writing, "Subscribed")

        while (message := json.loads(await asyncio.wait_for(socket.recv(), WAIT)))["type"] != "next":
            pass
        assert message["payload"]["data"]["orderEvents"] == {"type": "OrderPlaced", "streamId": order}
    finally:
        for each in opened:
            await each.close()


async def test_the_metrics_count_the_subscriptions_open_on_every_worker(server: Server) -> None:
    clients = clients_of_each_worker(server)
    address = server.base.replace("http://", "ws://") + "/graphql"

    def subscriptions(expected: float) -> bool | None:
        found = [samples(client.get("/metrics").text) for client in clients.values()]
        counts = {value(scraped, "eventfold_active_subscriptions") for scraped in found}
        return True if counts == {expected} else None

    opened: list[websockets.ClientConnection] = []
    try:
        for worker in clients:
            await subscribed_on(worker, address, opened)
        assert await asyncio.to_thread(until, lambda: subscriptions(2), server.log)
    finally:
        for socket in opened:
            await socket.close()
    assert await asyncio.to_thread(until, lambda: subscriptions(0), server.log)


def test_a_key_revoked_through_one_worker_is_refused_by_the_other_within_the_cache_time(
    server: Server,
) -> None:
    admin = server.eventfold("keys", "create", "--role", "admin", "--name", "ops").splitlines()[-1]
    clerk = server.eventfold("keys", "create", "--role", "clerk", "--name", "till").splitlines()[-1]
    clients = clients_of_each_worker(server)
    revoking, other = clients.values()
    as_clerk = {"Authorization": f"Bearer {clerk}"}
    # The other worker has the clerk's key in its cache when it is revoked.
    assert data(other, "{ products(first: 1) { edges { node { id } } } }", as_clerk)

    revoked = data(
        revoking,
        'mutation { revokeApiKey(input: {id: "till"}) { apiKey { revokedAt } } }',
        {"Authorization": f"Bearer {admin}"},
    )
    assert revoked["revokeApiKey"]["apiKey"]["revokedAt"] is not None

    def refused() -> bool | None:
        body = other.post("/graphql", json={"query": "{ projections { name } }"}, headers=as_clerk).json()
        codes = [error["extensions"]["code"] for error in body.get("errors", [])]
        return True if codes == ["UNAUTHENTICATED"] else None

    assert until(refused, server.log)


async def test_both_workers_write_to_one_sqlite_file_side_by_side(server: Server) -> None:
    """Each worker's appends queue for the file's one write lock behind the other's; past 125 events
    a worker also checkpoints the log on the thread that writes when the lock is taken."""
    clients = list(clients_of_each_worker(server).values())
    customer = data(clients[0], REGISTER, name="Side")["registerCustomer"]["customer"]["id"]
    product = data(clients[1], CREATE, sku="SIDE")["createProduct"]["product"]["id"]
    body = {
        "query": PLACE,
        "variables": {"input": {"customerId": customer, "lines": [{"productId": product, "quantity": 1}]}},
    }

    async def place(http: httpx.AsyncClient) -> None:
        for _ in range(25):
            answer = (await http.post("/graphql", json=body)).json()
            assert "errors" not in answer, answer

    async with httpx.AsyncClient(
        base_url=server.base, timeout=WAIT, limits=httpx.Limits(max_connections=32)
    ) as http:
        await asyncio.gather(*(place(http) for _ in range(32)))


def test_a_killed_projector_is_replaced(server: Server) -> None:
    client = next(iter(clients_of_each_worker(server).values()))
    owner = single_owner(client, server.log)

    os.kill(int(owner.split(":")[1]), signal.SIGKILL)

    def replaced() -> set[str] | None:
        owners = {status["owner"] for status in data(client, OWNERS)["projections"]}
        return owners if None not in owners and owner not in owners else None

    assert len(until(replaced, server.log)) == 1
    registered = data(client, REGISTER, name="After the projector")["registerCustomer"]
    answer = client.post(
        "/graphql",
        json={"query": CUSTOMER, "variables": {"id": registered["customer"]["id"]}},
        headers={"X-Eventfold-Position": str(registered["events"][0]["position"])},
    )
    assert answer.headers["X-Eventfold-Caught-Up"] == "true"


def test_a_killed_worker_is_replaced_while_the_other_answers(server: Server) -> None:
    clients = clients_of_each_worker(server)
    killed, survivor = clients
    counted = samples(clients[survivor].get("/metrics").text)
    registered = value(counted, "eventfold_events_appended_total", type="CustomerRegistered")

    os.kill(killed, signal.SIGKILL)

    # Connections made meanwhile are answered (by the survivor, then by either).
    for number in range(5):
        client = httpx.Client(base_url=server.base, timeout=WAIT)
        assert data(client, REGISTER, name=f"After {number}")["registerCustomer"]["customer"]["id"]
        client.close()
    replaced = until(lambda: {pid for pid in clients_of_each_worker(server)} - {survivor} or None, server.log)
    assert killed not in replaced
    # The dead worker's counts stay in the sums.
    after = samples(clients[survivor].get("/metrics").text)
    assert value(after, "eventfold_events_appended_total", type="CustomerRegistered") == registered + 5


def test_sigterm_stops_the_workers_and_the_projector_and_removes_their_directory(tmp_path: Path) -> None:
    (tmp_path / "tmp").mkdir()
    env = environment(tmp_path, EVENTFOLD_WORKERS="2", TMPDIR=str(tmp_path / "tmp"))
    with serving(env, tmp_path / "server.log") as server, httpx.Client(base_url=server.base) as client:
        projector = int(single_owner(client, server.log).split(":")[1])
        assert worker_of(client.get("/healthz")) != server.process.pid
        assert list((tmp_path / "tmp").iterdir())

        server.process.send_signal(signal.SIGTERM)

        assert server.process.wait(timeout=30) == 0, server.log.read_text()
    assert not Path(f"/proc/{projector}").exists()
    assert not list((tmp_path / "tmp").iterdir())
    text = server.log.read_text()
    assert "Finished server process" in text
    assert "Traceback" not in text


@pytest.mark.parametrize(
    ("workers", "complaint"),
    [("0", "must be 1 or more, got 0"), ("two", "must be a whole number, got 'two'")],
)
def test_workers_must_be_one_or_more(workers: str, complaint: str) -> None:
    refused = subprocess.run([EVENTFOLD, "serve", "--workers", workers], capture_output=True, text=True)
    assert refused.returncode == 2
    assert f"--workers: {complaint}" in refused.stderr
