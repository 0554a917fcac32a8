"""Data written by release e33cf4c (events of schemaVersion 1, money without a currency) is served by
the code under test with every answer that release gave, apart from the fields added since.

The fixtures and the recorded answers are in tests/fixtures/v1 (see its README); they are never
written here: the SQLite data directory is copied first, the MongoDB events loaded into a new database.
"""

import asyncio
import shutil
from pathlib import Path
from typing import Any

import pytest

from app.cli import main as eventfold
from app.settings import Settings
from tests.conftest import GraphQLClient
from tests.upgrade.queries import QUERIES, new_fields_removed
from tests.upgrade.stored import SQLITE_DIR, load_events, mongodb_settings, read_answers, served


def same_apart_from_new_fields(answer: Any, recorded: Any) -> bool:
    """The one comparison of an answer with the recorded one; keys named `currency` and
    `schemaVersion` are left out at any depth, nothing else."""
    return bool(new_fields_removed(answer) == new_fields_removed(recorded))


async def differences(client: GraphQLClient, recorded: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each recorded question asked again; those whose answer differs, with both answers."""
    found = []
    for question in recorded:
        answer = await client.data(QUERIES[question["query"]], **question["variables"])
        if not same_apart_from_new_fields(answer, question["data"]):
            found.append({**question, "answer": answer})
    return found


IN_CURRENCY = """{
  products(first: 100) { edges { node { currency } } }
  orders(first: 5) { edges { node { currency } } }
  salesReport { currency }
  events(first: 100) { edges { node { type data } } }
}"""
MONEY_EVENTS = {"ProductCreated", "ProductPriceChanged", "OrderPlaced", "OrderShipped", "OrderCancelled"}


async def assert_in_the_default_currency(client: GraphQLClient) -> None:
    """What was recorded without a currency is read in the deployment's, EUR by default."""
    data = await client.data(IN_CURRENCY)
    currencies = {edge["node"]["currency"] for edge in data["products"]["edges"] + data["orders"]["edges"]}
    assert currencies == {"EUR"}
    assert data["salesReport"]["currency"] == "EUR"
    money = [edge["node"] for edge in data["events"]["edges"] if edge["node"]["type"] in MONEY_EVENTS]
    assert money
    assert {event["data"]["currency"] for event in money} == {"EUR"}


async def test_a_v1_sqlite_data_directory_is_served_with_the_same_answers_after_a_rebuild(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = tmp_path / "data"
    shutil.copytree(SQLITE_DIR, data_dir)
    monkeypatch.setenv("EVENTFOLD_DATA_DIR", str(data_dir))
    monkeypatch.delenv("EVENTFOLD_MONGODB_URI", raising=False)
    # The rebuild waits 3 s after each swap before it drops the old collection, for readers that
    # still use it; nothing reads here, so it drops it at once.
    monkeypatch.setenv("EVENTFOLD_REBUILD_SETTLE_SECONDS", "0")
    recorded = read_answers("sqlite")
    # The CLI runs its own event loop: in a thread, as this test runs in one already.
    await asyncio.to_thread(eventfold, ["rebuild"])
    rebuilt = [line for line in capsys.readouterr().out.splitlines() if ": rebuilt into " in line]
    assert len(rebuilt) == len(recorded["projections"]), rebuilt
    async with served(Settings(data_dir=data_dir), recorded["projections"]) as client:
        assert await differences(client, recorded["answers"]) == []
        await assert_in_the_default_currency(client)


async def test_before_the_rebuild_everything_but_the_sales_report_answers_as_before(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The window of a rolling upgrade: read models written by v1, not rebuilt yet."""
    data_dir = tmp_path / "data"
    shutil.copytree(SQLITE_DIR, data_dir)
    monkeypatch.delenv("EVENTFOLD_MONGODB_URI", raising=False)
    recorded = read_answers("sqlite")
    questions = [question for question in recorded["answers"] if question["query"] != "salesReport"]
    async with served(Settings(data_dir=data_dir), recorded["projections"]) as client:
        assert await differences(client, questions) == []
        data = await client.data(IN_CURRENCY)
    assert {edge["node"]["currency"] for edge in data["products"]["edges"] + data["orders"]["edges"]} == {
        "EUR"
    }


async def test_v1_mongodb_events_are_served_with_the_same_answers(
    mongodb_server_uri: str, mongodb_database: str
) -> None:
    load_events(mongodb_server_uri, mongodb_database)
    recorded = read_answers("mongodb")
    settings = mongodb_settings(mongodb_server_uri, mongodb_database)
    async with served(settings, recorded["projections"]) as client:
        assert await differences(client, recorded["answers"]) == []
        await assert_in_the_default_currency(client)
