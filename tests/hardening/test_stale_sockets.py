"""A socket is only as good as its credential: once the key it was opened with is revoked, the next
operation sent over it is refused and the socket closed with 4403, on both WebSocket protocols."""

import asyncio
import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import websockets
from websockets.typing import Subprotocol

from app.settings import Settings
from tests.app.test_serve import EVENTFOLD, environment
from tests.hardening.server_process import EventfoldProcess

CACHE_SECONDS = 0.5
CREATE_PRODUCT = (
    'mutation { createProduct(input: {sku: "%s", name: "Lamp", price: "9.90"}) { product { sku } } }'
)
SUBSCRIPTION = "subscription { orderEvents { type } }"
START = {"graphql-transport-ws": "subscribe", "graphql-ws": "start"}
ANSWER = {"graphql-transport-ws": "next", "graphql-ws": "data"}


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **environment(Settings(data_dir=tmp_path)),
        "EVENTFOLD_AUTH": "on",
        "EVENTFOLD_API_KEY_CACHE_SECONDS": str(CACHE_SECONDS),
    }


@pytest.fixture
def server(env: dict[str, str], tmp_path: Path) -> Iterator[EventfoldProcess]:
    process = EventfoldProcess(env, tmp_path, "sockets", projector=False)
    process.start()
    try:
        yield process
    finally:
        process.stop()


def keys(env: dict[str, str], *arguments: str) -> str:
    return subprocess.run(
        [EVENTFOLD, "keys", *arguments], env=env, capture_output=True, text=True, check=True
    ).stdout


async def answer(socket: websockets.ClientConnection, protocol: str) -> dict[str, Any]:
    while True:
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), 10))
        if message["type"] == ANSWER[protocol]:
            return message


async def test_a_revoked_key_closes_its_socket_at_the_next_operation(
    env: dict[str, str], server: EventfoldProcess
) -> None:
    protocol = "graphql-transport-ws"
    token = keys(env, "create", "--role", "clerk", "--name", "till").strip().splitlines()[-1]
    address = server.base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(address, subprotocols=[Subprotocol(protocol)]) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
        first = {"query": CREATE_PRODUCT % "S-1"}
        await socket.send(json.dumps({"id": "1", "type": START[protocol], "payload": first}))
        assert (await answer(socket, protocol))["payload"]["data"]["createProduct"]["product"]["sku"] == "S-1"

        keys(env, "revoke", "till")
        await asyncio.sleep(CACHE_SECONDS * 2)
        second = {"query": CREATE_PRODUCT % "S-2"}
        await socket.send(json.dumps({"id": "2", "type": START[protocol], "payload": second}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await answer(socket, protocol)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403


async def test_the_legacy_protocol_closes_the_socket_of_a_revoked_key_too(
    env: dict[str, str], server: EventfoldProcess
) -> None:
    """graphql-ws runs subscriptions only: a viewer's second subscription is the next operation."""
    protocol = "graphql-ws"
    token = keys(env, "create", "--role", "viewer", "--name", "wallboard").strip().splitlines()[-1]
    address = server.base.replace("http://", "ws://") + "/graphql"
    async with websockets.connect(address, subprotocols=[Subprotocol(protocol)]) as socket:
        await socket.send(
            json.dumps({"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}})
        )
        assert json.loads(await asyncio.wait_for(socket.recv(), 10))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "start", "payload": {"query": SUBSCRIPTION}}))

        keys(env, "revoke", "wallboard")
        await asyncio.sleep(CACHE_SECONDS * 2)
        await socket.send(json.dumps({"id": "2", "type": "start", "payload": {"query": SUBSCRIPTION}}))
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await answer(socket, protocol)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
