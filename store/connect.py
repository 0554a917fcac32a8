"""Open the backend the settings name: MongoDB when a URI is given, else SQLite under the data dir."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from domain.upcasting import DEFAULT_DEPLOYMENT, Deployment
from store.api_keys import ApiKeys
from store.data_keys import DataKeys
from store.decoding import EventDecoder
from store.documents import DocumentStore
from store.events import Clock, EventStore, system_clock
from store.feeds import Feed, TailFeed
from store.projection_state import Leases, ProjectionStates
from store.sealing import Sealer
from store.shared_feed import SharedFeed
from store.signal import AppendSignal
from store.sqlite.api_keys import SqliteApiKeys
from store.sqlite.data_keys import SqliteDataKeys
from store.sqlite.document_store import SqliteDocumentStore
from store.sqlite.event_store import SqliteEventStore
from store.sqlite.projection_state import SqliteProjectionState

if TYPE_CHECKING:
    from pymongo.monitoring import CommandListener

    from store.mongo.event_store import MongoEventStore

DEFAULT_MONGODB_DATABASE = "eventfold"

FeedChoice = Literal["auto", "change_stream", "tail"]


class FeedUnavailable(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Stores:
    backend: str
    location: str
    events: EventStore
    documents: DocumentStore
    states: ProjectionStates
    leases: Leases
    api_keys: ApiKeys
    data_keys: DataKeys
    sealer: Sealer
    """What the event store seals with: erase keys through it."""
    feed: SharedFeed
    closers: tuple[Callable[[], Awaitable[None]], ...]

    async def close(self) -> None:
        for close in self.closers:
            await close()


async def open_stores(
    *,
    mongodb_uri: str | None,
    data_dir: Path,
    mongodb_database: str | None = None,
    feed: FeedChoice = "auto",
    command_listeners: tuple["CommandListener", ...] = (),
    clock: Clock = system_clock,
    mongodb_timeout_seconds: float = 5.0,
    mongodb_write_concern: int | str = "majority",
    sqlite_lock_seconds: float = 30.0,
    deployment: Deployment = DEFAULT_DEPLOYMENT,
    encrypt_personal_data: bool = True,
) -> Stores:
    """`encrypt_personal_data` false records personal fields in plaintext, as before sealing (events
    sealed already are read the same either way)."""
    appended = AppendSignal()
    decoder = EventDecoder(deployment)
    if mongodb_uri:
        return await _open_mongodb(
            mongodb_uri,
            mongodb_database,
            feed,
            command_listeners,
            clock,
            mongodb_timeout_seconds,
            mongodb_write_concern,
            appended,
            decoder,
            encrypt_personal_data,
        )
    if feed == "change_stream":
        raise FeedUnavailable("SQLite has no change streams; use the tail feed")
    path = (data_dir / "eventfold.db").resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    data_keys = await SqliteDataKeys.open(path, sqlite_lock_seconds)
    sealer = Sealer(data_keys, encrypt_personal_data)
    events_on_file = await SqliteEventStore.open(path, appended, decoder, sealer, clock, sqlite_lock_seconds)
    state_on_file = await SqliteProjectionState.open(path, sqlite_lock_seconds)
    documents = await SqliteDocumentStore.open(path, sqlite_lock_seconds)
    api_keys = await SqliteApiKeys.open(path, sqlite_lock_seconds)
    return Stores(
        backend="sqlite",
        location=str(path),
        events=events_on_file,
        documents=documents,
        states=state_on_file,
        leases=state_on_file,
        api_keys=api_keys,
        data_keys=data_keys,
        sealer=sealer,
        feed=SharedFeed(TailFeed(events_on_file, appended), events_on_file),
        closers=(events_on_file.close, state_on_file.close, documents.close, api_keys.close, data_keys.close),
    )


async def _open_mongodb(
    mongodb_uri: str,
    mongodb_database: str | None,
    feed: FeedChoice,
    command_listeners: tuple["CommandListener", ...],
    clock: Clock,
    mongodb_timeout_seconds: float,
    mongodb_write_concern: int | str,
    appended: AppendSignal,
    decoder: EventDecoder,
    encrypt_personal_data: bool,
) -> Stores:
    # Imported only here: PyMongo takes a fifth of a second to import, which every SQLite process
    # (the CLI, each rebuilding process) would pay for nothing.
    from pymongo.uri_parser import parse_uri
    from pymongo.write_concern import WriteConcern

    from store.mongo.api_keys import MongoApiKeys
    from store.mongo.client import connect
    from store.mongo.data_keys import MongoDataKeys
    from store.mongo.document_store import MongoDocumentStore
    from store.mongo.event_store import Concerns, MongoEventStore
    from store.mongo.projection_state import MongoProjectionState

    parsed = parse_uri(mongodb_uri)
    database = mongodb_database or parsed["database"] or DEFAULT_MONGODB_DATABASE
    hosts = ",".join(f"{host}:{port}" for host, port in parsed["nodelist"])
    client = connect(mongodb_uri, command_listeners, mongodb_timeout_seconds)
    data_keys = await MongoDataKeys.open(client, database)
    sealer = Sealer(data_keys, encrypt_personal_data, shared_lookups=True)
    events = await MongoEventStore.open(
        client, database, appended, decoder, sealer, clock, Concerns(WriteConcern(w=mongodb_write_concern))
    )
    state = MongoProjectionState(client, database)
    return Stores(
        backend="mongodb",
        location=f"{hosts}/{database}",
        events=events,
        documents=await MongoDocumentStore.open(client, database),
        states=state,
        leases=state,
        api_keys=await MongoApiKeys.open(client, database),
        data_keys=data_keys,
        sealer=sealer,
        feed=SharedFeed(await _mongodb_feed(events, appended, feed, decoder, sealer), events),
        # One client serves every port; closing the event store closes it.
        closers=(events.close,),
    )


async def _mongodb_feed(
    events: "MongoEventStore",
    appended: AppendSignal,
    choice: FeedChoice,
    decoder: EventDecoder,
    sealer: Sealer,
) -> Feed:
    from store.mongo.change_stream_feed import ChangeStreamFeed, supports_change_streams

    if choice == "tail":
        return TailFeed(events, appended)
    if await supports_change_streams(events.collection):
        return ChangeStreamFeed(events.collection, events, decoder, sealer)
    if choice == "change_stream":
        raise FeedUnavailable("this MongoDB server has no change streams (a replica set has)")
    return TailFeed(events, appended)
