"""`server`: `eventfold serve` as a user starts it, a real process on a loopback port."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from app.settings import Settings
from tests.app.test_serve import environment, start, wait_until_healthy
from tests.live_server import free_port


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    log = tmp_path / "server.log"
    process = start(["serve", "--port", str(port)], environment(settings), log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, log)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)
