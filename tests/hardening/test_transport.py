"""The transport against a real `eventfold serve` process: raw sockets, HTTP and WebSockets. Headers
that never end or come slowly, too many connections, silent legacy sockets, request fields of the
wrong type, Host names that are not the server's (DNS rebinding), and GraphQL over HTTP's
`application/graphql-response+json`."""

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.settings import Settings
from app.web import create_app
from tests.app.test_serve import environment
from tests.hardening.server_process import EventfoldProcess

WAIT = 10
HEADER_TIMEOUT = 1.0
MAX_CONNECTIONS = 6
ENV = {
    "EVENTFOLD_MAX_HEADER_BYTES": "4096",
    "EVENTFOLD_HEADER_TIMEOUT_SECONDS": str(HEADER_TIMEOUT),
    "EVENTFOLD_MAX_CONNECTIONS": str(MAX_CONNECTIONS),
    "EVENTFOLD_CONNECTION_INIT_SECONDS": "1",
}
GRAPHQL_RESPONSE = "application/graphql-response+json"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EventfoldProcess]:
    directory = tmp_path_factory.mktemp("transport")
    env = environment(Settings(data_dir=directory)) | ENV
    process = EventfoldProcess(env, directory, "serve")
    process.start()
    try:
        yield process
    finally:
        process.stop()


def address(server: EventfoldProcess) -> tuple[str, int]:
    host, port = server.base.removeprefix("http://").split(":")
    return host, int(port)


def raw(server: EventfoldProcess) -> socket.socket:
    connection = socket.create_connection(address(server), timeout=WAIT)
    return connection


def read_until_closed(connection: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (or WAIT passes: a test failure)."""
    received = b""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            chunk = connection.recv(65536)
        except ConnectionResetError:
            return received
        if not chunk:
            return received
        received += chunk
    raise AssertionError(f"the server kept the connection open; it sent {received[:200]!r}")


def test_a_header_that_never_ends_is_refused_at_the_size_limit(server: EventfoldProcess) -> None:
    with raw(server) as connection:
        connection.sendall(b"POST /graphql HTTP/1.1\r\nHost: localhost\r\nX-Filler: ")
        sent = 0
        # Up to 1 MB, far past the 4 KB limit: the server answers and closes long before.
        while sent < 1_000_000:
            try:
                connection.sendall(b"a" * 4096)
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 4096
            if sent >= 64 * 1024:
                break
        answer = read_until_closed(connection)
    assert answer.startswith(b"HTTP/1.1 400"), answer[:200]


def test_headers_sent_slowly_are_cut_off(server: EventfoldProcess) -> None:
    with raw(server) as connection:
        connection.sendall(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        started = time.monotonic()
        closed = False
        while not closed and time.monotonic() - started < WAIT:
            try:
                connection.sendall(b"X")
                connection.settimeout(0.2)
                closed = connection.recv(1024) == b""
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                closed = True
        elapsed = time.monotonic() - started
    assert closed, "a connection dripping its headers was never closed"
    assert elapsed < HEADER_TIMEOUT + 3


def test_a_silent_connection_is_closed(server: EventfoldProcess) -> None:
    with raw(server) as connection:
        started = time.monotonic()
        assert read_until_closed(connection) == b""
    assert time.monotonic() - started < HEADER_TIMEOUT + 3


async def test_connections_beyond_the_limit_get_503(server: EventfoldProcess) -> None:
    host, port = address(server)
    sockets = []
    try:
        # WebSockets that said connection_init stay open, each one a connection.
        for _ in range(MAX_CONNECTIONS):
            sockets.append(await initialised(f"ws://{host}:{port}/graphql", "graphql-transport-ws"))
        async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
            assert (await http.get("/healthz")).status_code == 503
    finally:
        for open_socket in sockets:
            await open_socket.close()
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        assert (await http.get("/healthz")).status_code == 200


async def initialised(url: str, protocol: str) -> websockets.ClientConnection:
    connection = await websockets.connect(url, subprotocols=[Subprotocol(protocol)])
    await connection.send(json.dumps({"type": "connection_init"}))
    assert json.loads(await asyncio.wait_for(connection.recv(), WAIT))["type"] == "connection_ack"
    return connection


async def close_code(connection: websockets.ClientConnection) -> int | None:
    """Reads (and drops) messages until the server closes the socket; its close code."""
    try:
        while True:
            await asyncio.wait_for(connection.recv(), WAIT)
    except websockets.ConnectionClosed as closed:
        return closed.rcvd.code if closed.rcvd is not None else None


def ws_url(server: EventfoldProcess) -> str:
    return server.base.replace("http://", "ws://") + "/graphql"


@pytest.mark.parametrize("protocol", ["graphql-ws", "graphql-transport-ws"])
async def test_a_socket_without_connection_init_is_closed_with_4408(
    server: EventfoldProcess, protocol: str
) -> None:
    async with websockets.connect(ws_url(server), subprotocols=[Subprotocol(protocol)]) as connection:
        # The legacy protocol's keep-alives come before the close.
        assert await close_code(connection) == 4408


WRONG_BODIES = [
    ({"query": "{ __typename }", "operationName": {"name": "A"}}, "`operationName` must be a string"),
    ({"query": {"document": "{ __typename }"}}, "`query` must be a string"),
    ({"query": ["{ __typename }"]}, "`query` must be a string"),
    ({"query": "{ __typename }", "variables": [1]}, "`variables` must be an object"),
    ([{"query": "{ __typename }", "operationName": [1]}], "operation 0 of the batch: `operationName`"),
    ([{"query": "{ __typename }"}, {"query": {"a": 1}}], "operation 1 of the batch: `query`"),
    ([5], "an operation must be a JSON object, not a number"),
    (5, "an operation must be a JSON object, not a number"),
    ("{ __typename }", "an operation must be a JSON object, not a string"),
]


@pytest.mark.parametrize(("body", "says"), WRONG_BODIES)
async def test_request_fields_of_the_wrong_type_are_400(
    server: EventfoldProcess, body: Any, says: str
) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        response = await http.post("/graphql", json=body)
    assert response.status_code == 400, response.text
    error = response.json()["errors"][0]
    assert says in error["message"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_body_that_is_not_utf8_is_400(server: EventfoldProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        response = await http.post(
            "/graphql",
            content=b'{"query": "{ __typename \xff }"}',
            headers={"Content-Type": "application/json"},
        )
    assert response.status_code == 400, response.text
    assert "not UTF-8" in response.json()["errors"][0]["message"]


WRONG_PAYLOADS = [
    ({"query": "subscription { orderChanged { id } }", "operationName": {"a": 1}}, "`operationName`"),
    ({"query": {"a": 1}}, "`query` must be a string"),
    ({"query": "subscription { orderChanged { id } }", "variables": [1]}, "`variables`"),
    (5, "an operation must be a JSON object"),
]


@pytest.mark.parametrize(("payload", "says"), WRONG_PAYLOADS)
async def test_graphql_transport_ws_closes_4400_on_a_wrong_type(
    server: EventfoldProcess, payload: Any, says: str
) -> None:
    connection = await initialised(ws_url(server), "graphql-transport-ws")
    async with connection:
        await connection.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await asyncio.wait_for(connection.recv(), WAIT)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
    assert says in closed.value.rcvd.reason


@pytest.mark.parametrize(("payload", "says"), WRONG_PAYLOADS)
async def test_graphql_ws_answers_an_error_on_a_wrong_type(
    server: EventfoldProcess, payload: Any, says: str
) -> None:
    connection = await initialised(ws_url(server), "graphql-ws")
    async with connection:
        await connection.send(json.dumps({"id": "1", "type": "start", "payload": payload}))
        while (message := json.loads(await asyncio.wait_for(connection.recv(), WAIT)))["type"] == "ka":
            pass
    assert message["type"] == "error"
    assert message["id"] == "1"
    assert says in message["payload"]["message"]


@pytest.mark.parametrize("protocol", ["graphql-ws", "graphql-transport-ws"])
@pytest.mark.parametrize(
    "message",
    [[1], {"id": {"a": 1}, "type": "stop"}, {"type": "stop"}, {"type": "complete"}, {"id": "1", "type": 5}],
)
async def test_a_message_without_a_usable_type_or_id_closes_the_socket_with_4400(
    server: EventfoldProcess, protocol: str, message: Any
) -> None:
    connection = await initialised(ws_url(server), protocol)
    async with connection:
        await connection.send(json.dumps(message))
        assert await close_code(connection) == 4400


async def test_a_nul_character_in_search_text_is_no_server_error(server: EventfoldProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        response = await http.post(
            "/graphql",
            json={
                "query": "query($t: String!) { searchOrders(text: $t) { edges { node { id } } } }",
                "variables": {"t": "a\x00b"},
            },
        )
    assert response.json() == {"data": {"searchOrders": {"edges": []}}}


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.evil.example"])
async def test_a_host_that_is_not_the_servers_is_refused(server: EventfoldProcess, host: str) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Host": host})
    assert response.status_code == 421
    assert "EVENTFOLD_ALLOWED_HOSTS" in response.json()["errors"][0]["message"]
    ip, port = address(server)
    with pytest.raises(websockets.InvalidStatus) as refused:
        # The URI names the host (the Host header); `host` and `port` say where to connect.
        await websockets.connect(
            f"ws://{host.partition(':')[0]}:{port}/graphql",
            subprotocols=[Subprotocol("graphql-transport-ws")],
            host=ip,
            port=port,
        )
    assert refused.value.response.status_code == 403


@pytest.mark.parametrize("name", ["localhost", "127.0.0.1", "[::1]", "LOCALHOST"])
async def test_loopback_host_names_are_served(server: EventfoldProcess, name: str) -> None:
    _, port = address(server)
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        for host in (name, f"{name}:{port}"):
            response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Host": host})
            assert response.json() == {"data": {"__typename": "Query"}}


async def test_configured_host_names_are_served_too(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, allowed_hosts=["api.example"]))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        for host, status in (("api.example", 200), ("other.example", 421)):
            async with httpx.AsyncClient(transport=transport, base_url=f"http://{host}") as http:
                response = await http.post("/graphql", json={"query": "{ __typename }"})
                assert response.status_code == status


@pytest.mark.parametrize(
    "query", ["{ __typename ", "{ noSuchField }", "query($id: ID!) { customer(id: $id) { id } }"]
)
async def test_graphql_response_json_answers_400_without_data_when_nothing_ran(
    server: EventfoldProcess, query: str
) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        response = await http.post("/graphql", json={"query": query}, headers={"Accept": GRAPHQL_RESPONSE})
        assert response.status_code == 400, response.text
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
        body = response.json()
        assert "data" not in body
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"

        # Clients that ask for JSON keep what they always had.
        legacy = await http.post("/graphql", json={"query": query}, headers={"Accept": "application/json"})
        assert legacy.status_code == 200
        assert legacy.headers["content-type"] == "application/json"
        assert legacy.json()["data"] is None


async def test_graphql_response_json_answers_results_with_its_media_type(server: EventfoldProcess) -> None:
    async with httpx.AsyncClient(base_url=server.base, timeout=WAIT) as http:
        accept = f"{GRAPHQL_RESPONSE}, application/json;q=0.9"
        response = await http.post("/graphql", json={"query": "{ __typename }"}, headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"] == GRAPHQL_RESPONSE
        assert response.json() == {"data": {"__typename": "Query"}}

        malformed = await http.post("/graphql", json={"query": 5}, headers={"Accept": GRAPHQL_RESPONSE})
        assert malformed.status_code == 400
        assert malformed.headers["content-type"] == GRAPHQL_RESPONSE
        assert "data" not in malformed.json()
