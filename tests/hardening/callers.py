"""GraphQL clients of a running `eventfold serve`, each with its own credential, and where its log ends."""

import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx

from app.settings import Settings
from tests.app.test_serve import environment
from tests.conftest import GraphQLClient
from tests.e2e.operations import EVENTS
from tests.hardening.server_process import EventfoldProcess


@contextlib.contextmanager
def sqlite_server(data: Path, **settings: str) -> Iterator[EventfoldProcess]:
    """`eventfold serve` on loopback over a SQLite file in `data`, so anonymous callers may do everything;
    `settings` are more EVENTFOLD_ variables."""
    env = environment(Settings(mongodb_uri=None, data_dir=data)) | {"EVENTFOLD_LOG_LEVEL": "warning"}
    env |= {f"EVENTFOLD_{name.upper()}": value for name, value in settings.items()}
    process = EventfoldProcess(env, data, "api")
    process.start()
    try:
        yield process
    finally:
        process.stop()


@contextlib.asynccontextmanager
async def caller(base: str, token: str | None = None, position: int = 0) -> AsyncIterator[GraphQLClient]:
    """A client with its own credential (none: the anonymous loopback caller) that reads the log up to
    `position` projected."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=30) as http:
        client = GraphQLClient(http)
        client.position = position
        yield client


async def log_end(client: GraphQLClient) -> int:
    """The position of the last event recorded."""
    position = 0
    for _ in range(1000):
        page = (await client.data(EVENTS, afterPosition=position, first=100))["events"]
        position = max([position, *(int(edge["node"]["position"]) for edge in page["edges"])])
        if not page["pageInfo"]["hasNextPage"]:
            return position
    raise AssertionError("the log has no end")
