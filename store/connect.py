"""Open the backend the settings name: MongoDB when a URI is given, else SQLite under the data dir."""

from dataclasses import dataclass
from pathlib import Path

from pymongo.monitoring import CommandListener
from pymongo.uri_parser import parse_uri

from store.events import EventStore
from store.mongo.client import connect
from store.mongo.event_store import MongoEventStore
from store.sqlite.event_store import SqliteEventStore

DEFAULT_MONGODB_DATABASE = "eventfold"


@dataclass(frozen=True, slots=True)
class Stores:
    events: EventStore
    backend: str
    location: str

    async def close(self) -> None:
        await self.events.close()


async def open_stores(
    *,
    mongodb_uri: str | None,
    data_dir: Path,
    mongodb_database: str | None = None,
    command_listeners: tuple[CommandListener, ...] = (),
) -> Stores:
    if mongodb_uri:
        parsed = parse_uri(mongodb_uri)
        database = mongodb_database or parsed["database"] or DEFAULT_MONGODB_DATABASE
        hosts = ",".join(f"{host}:{port}" for host, port in parsed["nodelist"])
        client = connect(mongodb_uri, command_listeners)
        events = await MongoEventStore.open(client, database)
        return Stores(events=events, backend="mongodb", location=f"{hosts}/{database}")
    path = (data_dir / "eventfold.db").resolve()
    return Stores(events=await SqliteEventStore.open(path), backend="sqlite", location=str(path))
