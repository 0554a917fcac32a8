"""X-Eventfold-Position: wait (bounded) for projections to apply a write before answering."""

from collections.abc import AsyncIterator

import httpx
import pytest

from app.settings import Settings
from app.web import create_app
from tests.conftest import serving
from tests.e2e.operations import register_customer

QUERY = {"query": "{ orders { edges { node { id } } } }"}


@pytest.fixture
def backend() -> str:
    return "sqlite"


@pytest.fixture
async def http(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings.model_copy(update={"read_your_writes_seconds": 0.3}))
    async with serving(app, read_own_writes=False) as client:
        yield client.http


async def test_a_position_already_applied_answers_at_once(http: httpx.AsyncClient) -> None:
    response = await http.post("/graphql", json=QUERY, headers={"X-Eventfold-Position": "0"})
    assert response.headers["X-Eventfold-Caught-Up"] == "true"
    assert response.json() == {"data": {"orders": {"edges": []}}}


async def test_past_the_bound_the_answer_comes_from_the_read_models_as_they_are(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post("/graphql", json=QUERY, headers={"X-Eventfold-Position": "999"})

    assert response.headers["X-Eventfold-Caught-Up"] == "false"
    assert response.json() == {"data": {"orders": {"edges": []}}}


@pytest.mark.parametrize("value", ["soon", "-1", "1.5"])
async def test_a_malformed_position_is_bad_user_input(http: httpx.AsyncClient, value: str) -> None:
    response = await http.post("/graphql", json=QUERY, headers={"X-Eventfold-Position": value})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["extensions"] == {"code": "BAD_USER_INPUT"}
    assert "X-Eventfold-Position" in error["message"]


@pytest.mark.parametrize("backend", ["sqlite", "mongodb"])
async def test_a_server_whose_projector_stands_by_still_reads_its_writes(settings: Settings) -> None:
    """Two servers on one database: one projector leads, the other's waits; both read their writes."""
    async with serving(create_app(settings)) as leader, serving(create_app(settings)) as standby:
        await register_customer(leader)
        customer = await register_customer(standby, "Bob Roe")
        found = await standby.data("query($id: ID!) { customer(id: $id) { name } }", id=customer["id"])
        assert found["customer"] == {"name": "Bob Roe"}
