"""Fixtures shared by every test: the two backends, the app, and a GraphQL client against it."""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from pymongo import MongoClient
from starlette.applications import Starlette

from app.settings import Settings
from app.web import create_app
from domain.upcasting import DEFAULT_DEPLOYMENT, Deployment
from store.connect import Stores, open_stores
from store.events import Clock, system_clock
from tests.mongo_server import MongoWireServer

BACKENDS = ["sqlite", "mongodb"]


@pytest.fixture(scope="session")
def mongodb_server_uri() -> Iterator[str]:
    """A real MongoDB when EVENTFOLD_TEST_MONGODB_URI is set, else mongoeco's wire server."""
    if uri := os.environ.get("EVENTFOLD_TEST_MONGODB_URI"):
        yield uri
        return
    server = MongoWireServer().start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture
def mongodb_database(mongodb_server_uri: str) -> Iterator[str]:
    """A database of its own for each test, dropped afterwards (mongoeco slows as data grows)."""
    name = f"eventfold_test_{uuid.uuid4().hex[:12]}"
    yield name
    client: MongoClient[dict[str, Any]]
    with MongoClient(mongodb_server_uri) as client:
        client.drop_database(name)


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass(frozen=True, slots=True)
class StoreLocation:
    """Where a test's backend keeps its data; the store tests open it through `store/` alone."""

    mongodb_uri: str | None
    mongodb_database: str | None
    data_dir: Path

    async def open(self, deployment: Deployment = DEFAULT_DEPLOYMENT, clock: Clock = system_clock) -> Stores:
        return await open_stores(
            mongodb_uri=self.mongodb_uri,
            mongodb_database=self.mongodb_database,
            data_dir=self.data_dir,
            deployment=deployment,
            clock=clock,
        )


@pytest.fixture
def location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> StoreLocation:
    if backend == "mongodb":
        uri = request.getfixturevalue("mongodb_server_uri")
        database = request.getfixturevalue("mongodb_database")
        return StoreLocation(mongodb_uri=uri, mongodb_database=database, data_dir=tmp_path)
    return StoreLocation(mongodb_uri=None, mongodb_database=None, data_dir=tmp_path)


TEST_SERVER_TIMEOUT_SECONDS = 60.0


@pytest.fixture
def settings(location: StoreLocation) -> Settings:
    return Settings(
        mongodb_uri=location.mongodb_uri,
        mongodb_database=location.mongodb_database,
        data_dir=location.data_dir,
        # mongoeco runs on a thread of this process and answers PyMongo's heartbeat only between the
        # commands it works through: a bulk write under load can hold it past the 5 s default, and a
        # missed heartbeat makes PyMongo cancel every operation in flight. A real server answers at once.
        mongodb_timeout_seconds=TEST_SERVER_TIMEOUT_SECONDS,
    )


@pytest.fixture
async def stores(location: StoreLocation) -> AsyncIterator[Stores]:
    opened = await location.open()
    try:
        yield opened
    finally:
        await opened.close()


def highest_position(value: Any) -> int:
    """The highest `position` of the events a mutation's answer lists."""
    if isinstance(value, dict):
        events = value.get("events")
        own = max((e.get("position", 0) for e in events), default=0) if isinstance(events, list) else 0
        return max([own, *(highest_position(v) for v in value.values())])
    if isinstance(value, list):
        return max((highest_position(item) for item in value), default=0)
    return 0


class GraphQLClient:
    """Posts GraphQL over HTTP to the app, as a frontend would. It reads its own writes: each request
    names the highest event position its earlier mutations returned, so queries see them."""

    def __init__(self, http: httpx.AsyncClient, read_own_writes: bool = True) -> None:
        self.http = http
        self.read_own_writes = read_own_writes
        self.position = 0

    async def execute(self, query: str, **variables: Any) -> dict[str, Any]:
        headers = {"X-Eventfold-Position": str(self.position)} if self.read_own_writes else {}
        response = await self.http.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers
        )
        assert response.status_code == 200, response.text
        if self.read_own_writes:
            assert response.headers.get("X-Eventfold-Caught-Up") == "true", "projections did not catch up"
        body: dict[str, Any] = response.json()
        self.position = max(self.position, highest_position(body.get("data")))
        return body

    async def data(self, query: str, **variables: Any) -> dict[str, Any]:
        body = await self.execute(query, **variables)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    async def errors(self, query: str, **variables: Any) -> list[dict[str, Any]]:
        body = await self.execute(query, **variables)
        assert body.get("errors"), body
        assert body.get("data") is None, body
        errors: list[dict[str, Any]] = body["errors"]
        return errors

    async def error(self, query: str, **variables: Any) -> dict[str, Any]:
        """The single error the server answered with."""
        errors = await self.errors(query, **variables)
        assert len(errors) == 1, errors
        return errors[0]


@contextlib.asynccontextmanager
async def serving(app: Starlette, read_own_writes: bool = True) -> AsyncIterator[GraphQLClient]:
    """The app started (lifespan and all) with a GraphQL client talking HTTP to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as http:
            yield GraphQLClient(http, read_own_writes)


@pytest.fixture
async def graphql(settings: Settings) -> AsyncIterator[GraphQLClient]:
    async with serving(create_app(settings)) as client:
        yield client
