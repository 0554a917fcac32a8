"""Persisted documents through HTTP and WebSocket: Apollo's automatic persisted queries (a hash
alone runs a document registered before, GET included), `documentId`, and trusted documents (only a
manifest's documents run, introspection included)."""

import asyncio
import hashlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import websockets
from websockets.typing import Subprotocol

from app.cli import main as eventfold
from app.settings import Settings
from app.web import create_app
from tests.live_server import live_server

PRODUCTS = "query Products { products(first: 5) { edges { node { id sku } } } }"
INTROSPECTION = "{ __schema { queryType { name } } }"
WAIT = 10


def sha(document: str) -> str:
    return hashlib.sha256(document.encode()).hexdigest()


def by_hash(document: str, with_text: bool = False) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha(document)}}}
    return {"query": document, **body} if with_text else body


def codes(body: dict[str, Any]) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors") or []]


@pytest.fixture
def app_settings(tmp_path: Path) -> Settings:
    return Settings(mongodb_uri=None, data_dir=tmp_path / "data")


@pytest.fixture
def server(app_settings: Settings) -> Iterator[str]:
    with live_server(create_app(app_settings)) as address:
        yield address


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as client:
        yield client


async def post(http: httpx.AsyncClient, body: object) -> Any:
    response = await http.post("/graphql", json=body)
    assert response.status_code == 200, response.text
    return response.json()


async def over_websocket(server: str, payload: dict[str, Any]) -> dict[str, Any]:
    async with websockets.connect(
        f"ws://{server}/graphql", subprotocols=[Subprotocol("graphql-transport-ws")]
    ) as socket:
        await socket.send(json.dumps({"type": "connection_init"}))
        assert json.loads(await asyncio.wait_for(socket.recv(), WAIT))["type"] == "connection_ack"
        await socket.send(json.dumps({"id": "1", "type": "subscribe", "payload": payload}))
        message: dict[str, Any] = json.loads(await asyncio.wait_for(socket.recv(), WAIT))
        return message


async def test_a_hash_runs_the_document_registered_with_it(server: str, http: httpx.AsyncClient) -> None:
    unknown = await post(http, by_hash(PRODUCTS))
    assert codes(unknown) == ["PERSISTED_QUERY_NOT_FOUND"]
    assert unknown["errors"][0]["message"].startswith("PersistedQueryNotFound")

    registered = await post(http, by_hash(PRODUCTS, with_text=True))
    assert registered == {"data": {"products": {"edges": []}}}
    assert await post(http, by_hash(PRODUCTS)) == registered

    # GET by hash alone, as CDNs cache it; and `documentId`, as GraphQL Code Generator sends it.
    got = await http.get("/graphql", params={"extensions": json.dumps(by_hash(PRODUCTS)["extensions"])})
    assert got.json() == registered
    assert await post(http, {"documentId": f"sha256:{sha(PRODUCTS)}"}) == registered
    got = await http.get("/graphql", params={"documentId": sha(PRODUCTS)})
    assert got.json() == registered

    # Over WebSocket too, and in a batch beside a document sent as text.
    message = await over_websocket(server, by_hash(PRODUCTS))
    assert message == {"id": "1", "type": "next", "payload": registered}
    batch = await post(http, [by_hash(PRODUCTS), {"query": "{ __typename }"}])
    assert batch == [registered, {"data": {"__typename": "Query"}}]


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (
            {"query": PRODUCTS, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": "0" * 64}}},
            "is not the SHA-256",
        ),
        ({"extensions": {"persistedQuery": {"version": 2, "sha256Hash": sha(PRODUCTS)}}}, "version: 1"),
        ({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "ABC"}}}, "64 lowercase hex"),
        ({"documentId": "sha256:nothex"}, "64 lowercase hex"),
    ],
)
async def test_a_malformed_or_mismatched_hash_is_refused(
    server: str, http: httpx.AsyncClient, body: dict[str, Any], says: str
) -> None:
    answer = await post(http, body)
    assert codes(answer) == ["BAD_USER_INPUT"]
    assert says in answer["errors"][0]["message"]
    message = await over_websocket(server, body)
    assert message["type"] == "error"
    assert says in message["payload"][0]["message"]


def apollo_manifest(*documents: str) -> dict[str, Any]:
    operations = [
        {"id": sha(document), "body": document, "name": "x", "type": "query"} for document in documents
    ]
    return {"format": "apollo-persisted-query-manifest", "version": 1, "operations": operations}


@pytest.mark.parametrize("form", ["apollo", "codegen"])
async def test_with_trusted_documents_only_the_manifest_runs(tmp_path: Path, form: str) -> None:
    manifest = tmp_path / "manifest.json"
    content = apollo_manifest(PRODUCTS) if form == "apollo" else {f"sha256:{sha(PRODUCTS)}": PRODUCTS}
    manifest.write_text(json.dumps(content))
    settings = Settings(mongodb_uri=None, data_dir=tmp_path / "data", trusted_documents=manifest)
    with live_server(create_app(settings)) as server:
        async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as http:
            expected: dict[str, Any] = {"data": {"products": {"edges": []}}}
            assert await post(http, by_hash(PRODUCTS)) == expected
            assert await post(http, {"query": PRODUCTS}) == expected
            for refused in [
                {"query": "{ __typename }"},
                {"query": INTROSPECTION},
                by_hash("{ __typename }"),
                by_hash("{ __typename }", with_text=True),
            ]:
                answer = await post(http, refused)
                assert codes(answer) == ["PERSISTED_QUERY_NOT_IN_LIST"], (refused, answer)
            message = await over_websocket(server, {"query": "subscription { orderEvents { type } }"})
            assert message["type"] == "error"
            assert message["payload"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_IN_LIST"


def test_a_manifest_that_does_not_hold_together_stops_the_server_at_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"0" * 64: PRODUCTS}))
    monkeypatch.setenv("EVENTFOLD_TRUSTED_DOCUMENTS", str(manifest))
    monkeypatch.setenv("EVENTFOLD_DATA_DIR", str(tmp_path / "data"))
    with pytest.raises(SystemExit) as stopped:
        eventfold(["serve", "--port", "0"])
    assert stopped.value.code == 2
    assert "is not the SHA-256 of its document" in capsys.readouterr().err
