"""`eventfold serve` as a user starts it: a real process, real HTTP, on both backends."""

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.settings import Settings

EVENTFOLD = str(Path(sys.executable).parent / "eventfold")
REGISTER = """
mutation { registerCustomer(input: {name: "Ann", email: "ann@example.com"}) { customer { id version } } }
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture
def server(settings: Settings, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    port = free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTFOLD_")}
    env["EVENTFOLD_DATA_DIR"] = str(settings.data_dir)
    if settings.mongodb_uri:
        env["EVENTFOLD_MONGODB_URI"] = settings.mongodb_uri
        env["EVENTFOLD_MONGODB_DATABASE"] = settings.mongodb_database or ""
    log = tmp_path / "server.log"
    with log.open("w") as output:
        process = subprocess.Popen(
            [EVENTFOLD, "serve", "--port", str(port)], env=env, stdout=output, stderr=subprocess.STDOUT
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.1)
        yield base, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_serve_answers_graphql_health_and_readiness(server: tuple[str, Path], backend: str) -> None:
    base, log = server
    assert httpx.get(f"{base}/readyz").json() == {"status": "ok", "backend": backend}

    response = httpx.post(
        f"{base}/graphql", json={"query": REGISTER}, headers={"X-Correlation-ID": "trace-42"}
    )
    customer = response.json()["data"]["registerCustomer"]["customer"]
    assert customer["version"] == 1

    history = httpx.post(
        f"{base}/graphql",
        json={
            "query": "query($id: ID!) { history(id: $id) { edges { node { metadata } } } }",
            "variables": {"id": customer["id"]},
        },
    ).json()
    assert history["data"]["history"]["edges"][0]["node"]["metadata"]["correlationId"] == "trace-42"

    graphiql = httpx.get(f"{base}/graphql", headers={"Accept": "text/html"})
    assert graphiql.status_code == 200
    assert "graphiql" in graphiql.text.lower()
    assert f"backend: {backend}" in log.read_text()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_sqlite_default_keeps_its_data_under_the_data_dir(
    server: tuple[str, Path], settings: Settings
) -> None:
    base, _ = server
    httpx.post(f"{base}/graphql", json={"query": REGISTER})
    assert (settings.data_dir / "eventfold.db").is_file()
