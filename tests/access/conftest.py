"""A server that requires a token for everything, and an HTTP client of it."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from app.web import create_app
from tests.live_server import live_server

WAIT = 10


@pytest.fixture
def secured(tmp_path: Path) -> Settings:
    return Settings(mongodb_uri=None, data_dir=tmp_path, auth="on", connection_init_seconds=2)


@pytest.fixture
def server(secured: Settings) -> Iterator[str]:
    with live_server(create_app(secured)) as address:
        yield address


@pytest.fixture
async def http(server: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=f"http://{server}", timeout=WAIT) as client:
        yield client
