"""`eventfold serve` as a user starts it: a real process, real HTTP, on both backends."""

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from app.settings import Settings
from tests.live_server import free_port

EVENTFOLD = str(Path(sys.executable).parent / "eventfold")
REGISTER = """
mutation { registerCustomer(input: {name: "Ann", email: "ann@example.com"}) { customer { id version } } }
"""


def environment(settings: Settings) -> dict[str, str]:
    """This process's environment without its EVENTFOLD_ settings, plus those of `settings`' backend."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("EVENTFOLD_")}
    env["EVENTFOLD_DATA_DIR"] = str(settings.data_dir)
    if settings.mongodb_uri:
        env["EVENTFOLD_MONGODB_URI"] = settings.mongodb_uri
        env["EVENTFOLD_MONGODB_DATABASE"] = settings.mongodb_database or ""
        env["EVENTFOLD_MONGODB_TIMEOUT_SECONDS"] = str(settings.mongodb_timeout_seconds)
    return env


def start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("w") as output:
        return subprocess.Popen([EVENTFOLD, *command], env=env, stdout=output, stderr=subprocess.STDOUT)


def wait_until_healthy(base: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.1)


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


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_api_and_the_projector_run_as_separate_processes(settings: Settings, tmp_path: Path) -> None:
    port = free_port()
    env = environment(settings)
    api = start(["serve", "--no-projector", "--port", str(port)], env, tmp_path / "api.log")
    projector = start(["project"], env, tmp_path / "projector.log")
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_healthy(base, api, tmp_path / "api.log")
        registered = httpx.post(
            f"{base}/graphql", json={"query": REGISTER.replace("version", "version } events { position")}
        ).json()["data"]["registerCustomer"]
        position = registered["events"][0]["position"]

        answer = httpx.post(
            f"{base}/graphql",
            json={
                "query": "query($id: ID!) { customer(id: $id) { name } }",
                "variables": {"id": registered["customer"]["id"]},
            },
            headers={"X-Eventfold-Position": str(position)},
            timeout=10,
        )
        assert answer.headers["X-Eventfold-Caught-Up"] == "true"
        assert answer.json()["data"]["customer"] == {"name": "Ann"}
        assert "projector not started here" in (tmp_path / "api.log").read_text()
        assert "runs order_summaries" in (tmp_path / "projector.log").read_text()
    finally:
        for process in (api, projector):
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.parametrize("backend", ["sqlite"])
def test_rebuild_replays_the_events_into_a_fresh_read_model(
    server: tuple[str, Path], settings: Settings
) -> None:
    base, _ = server
    httpx.post(f"{base}/graphql", json={"query": REGISTER})
    env = environment(settings)

    rebuilt = subprocess.run(
        [EVENTFOLD, "rebuild", "customer_profiles"], env=env, capture_output=True, text=True
    )
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "customer_profiles: rebuilt into customer_profiles_v2 up to position 1" in rebuilt.stdout
    assert "events" in rebuilt.stderr

    statuses = httpx.post(f"{base}/graphql", json={"query": "{ projections { name collection } }"}).json()
    assert {"name": "customer_profiles", "collection": "customer_profiles_v2"} in statuses["data"][
        "projections"
    ]

    unknown = subprocess.run([EVENTFOLD, "rebuild", "orderz"], env=env, capture_output=True, text=True)
    assert unknown.returncode == 2
    assert "no read model named orderz" in unknown.stderr
    refusals = (("0", "must be 1 or more, got 0"), ("all", "must be a whole number, got 'all'"))
    for processes, complaint in refusals:
        refused = subprocess.run(
            [EVENTFOLD, "rebuild", "--processes", processes], env=env, capture_output=True, text=True
        )
        assert refused.returncode == 2
        assert f"--processes: {complaint}" in refused.stderr
