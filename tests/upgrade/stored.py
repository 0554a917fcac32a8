"""Where the v1 fixtures are, and how they are read, loaded and served."""

import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC
from pathlib import Path
from typing import Any

from bson import BSON, CodecOptions, UuidRepresentation
from bson.json_util import CANONICAL_JSON_OPTIONS, JSONOptions, dumps, loads
from pymongo import MongoClient
from pymongo.collection import Collection

from app.settings import Settings
from app.web import create_app
from tests.conftest import TEST_SERVER_TIMEOUT_SECONDS, GraphQLClient, serving
from tests.upgrade.queries import caught_up

V1 = Path(__file__).resolve().parents[1] / "fixtures" / "v1"
SQLITE_DIR = V1 / "sqlite"
MONGODB_EVENTS = V1 / "mongodb-events.jsonl"
ANSWERS = {"sqlite": V1 / "answers-sqlite.json", "mongodb": V1 / "answers-mongodb.json"}

JSON_OPTIONS: JSONOptions = CANONICAL_JSON_OPTIONS.with_options(
    uuid_representation=UuidRepresentation.STANDARD, tz_aware=True, tzinfo=UTC
)
"""MongoDB Extended JSON, canonical: UUIDs as binary subtype 4, Decimal128 and dates exact."""
CODEC_OPTIONS: CodecOptions[dict[str, Any]] = CodecOptions(
    uuid_representation=UuidRepresentation.STANDARD, tz_aware=True, tzinfo=UTC
)


def event_line(document: dict[str, Any]) -> str:
    """One stored event as a line of Extended JSON, checked to come back as the same BSON."""
    line = dumps(document, json_options=JSON_OPTIONS)
    back = loads(line, json_options=JSON_OPTIONS)
    assert BSON.encode(back, codec_options=CODEC_OPTIONS) == BSON.encode(
        document, codec_options=CODEC_OPTIONS
    )
    return line


def read_events(path: Path = MONGODB_EVENTS) -> list[dict[str, Any]]:
    return [loads(line, json_options=JSON_OPTIONS) for line in path.read_text().splitlines() if line]


def load_events(uri: str, database: str, path: Path = MONGODB_EVENTS) -> None:
    """Insert the stored events into the `events` collection of `database` (meant to be empty)."""
    client: MongoClient[dict[str, Any]]
    with MongoClient(uri, uuidRepresentation="standard", tz_aware=True) as client:
        events: Collection[dict[str, Any]] = client[database]["events"]
        assert events.estimated_document_count() == 0, f"{database}.events is not empty"
        events.insert_many(read_events(path), ordered=True)


def mongodb_settings(uri: str, database: str) -> Settings:
    return Settings(
        mongodb_uri=uri, mongodb_database=database, mongodb_timeout_seconds=TEST_SERVER_TIMEOUT_SECONDS
    )


def read_answers(backend: str) -> dict[str, Any]:
    answers: dict[str, Any] = json.loads(ANSWERS[backend].read_text())
    return answers


@contextlib.asynccontextmanager
async def served(settings: Settings, projections: list[str]) -> AsyncIterator[GraphQLClient]:
    """The app on `settings`, once the read models named have applied every stored event."""
    async with serving(create_app(settings), read_own_writes=False) as client:
        await caught_up(client, projections)
        yield client
