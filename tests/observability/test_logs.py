"""`EVENTFOLD_LOG_FORMAT=json`: one JSON object a line, carrying the request's correlation id, the
same id that lands in the metadata of the events the request recorded."""

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from app.settings import Settings
from tests.app.test_serve import REGISTER, environment, start, wait_until_healthy
from tests.live_server import free_port


def records(log: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.strip()]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_json_logs_carry_the_correlation_id_of_the_request(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "server.log"
    env = environment(settings) | {"EVENTFOLD_LOG_FORMAT": "json"}
    process = start(["serve", "--port", str(port)], env, log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, process, log)
        answer = httpx.post(
            f"{base}/graphql", json={"query": REGISTER}, headers={"X-Correlation-ID": "trace-7"}
        )
        assert answer.headers["X-Correlation-ID"] == "trace-7"
        customer_id = answer.json()["data"]["registerCustomer"]["customer"]["id"]
        history = httpx.post(
            f"{base}/graphql",
            json={
                "query": "query($id: ID!) { history(id: $id) { edges { node { metadata } } } }",
                "variables": {"id": customer_id},
            },
        )
        generated = history.headers["X-Correlation-ID"]
    finally:
        process.terminate()
        process.wait(timeout=30)

    metadata = history.json()["data"]["history"]["edges"][0]["node"]["metadata"]
    assert metadata["correlationId"] == "trace-7"
    written = records(log)  # every line is JSON, or this fails
    assert {"time", "level", "logger", "message", "correlation_id"} <= set(written[0])
    assert any(r["message"].startswith("backend: sqlite") for r in written)
    traced = [r for r in written if r["correlation_id"] == "trace-7"]
    assert traced, written
    assert all(r["logger"] == "uvicorn.access" and "POST /graphql" in r["message"] for r in traced)
    # A request without the header gets an id of its own, in the log and in the answer.
    assert any(r["correlation_id"] == generated for r in written)
