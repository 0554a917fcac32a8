"""Events this release cannot read, put into a store's log behind the event store's back, the way a
newer release (during a rolling deploy) or another tool would have recorded them."""

import asyncio
import contextlib
import json
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from pymongo import MongoClient
from pymongo.collection import Collection

from tests.conftest import StoreLocation

UNKNOWN_TYPE = "OrderGiftWrapped"
GIFT_WRAP = {"paper": "gold", "message": "Happy birthday"}


def _into_sqlite(location: StoreLocation, stream_id: UUID, type_name: str, data: dict[str, Any]) -> int:
    with contextlib.closing(sqlite3.connect(location.data_dir / "eventfold.db")) as connection, connection:
        position, recorded_at = connection.execute(
            "SELECT coalesce(max(position), 0) + 1, coalesce(max(recorded_at), 0) + 1 FROM events"
        ).fetchone()
        (version,) = connection.execute(
            "SELECT coalesce(max(version), 0) + 1 FROM events WHERE stream_id = ?", (str(stream_id),)
        ).fetchone()
        connection.execute(
            "INSERT INTO events (position, id, stream_id, stream_type, version, type, schema_version,"
            " data, metadata, recorded_at) VALUES (?, ?, ?, 'Order', ?, ?, 1, ?, '{}', ?)",
            (position, str(uuid.uuid4()), str(stream_id), version, type_name, json.dumps(data), recorded_at),
        )
    return int(position)


def _into_mongodb(location: StoreLocation, stream_id: UUID, type_name: str, data: dict[str, Any]) -> int:
    assert location.mongodb_uri is not None
    assert location.mongodb_database is not None
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri, uuidRepresentation="standard", tz_aware=True) as client:
        events: Collection[dict[str, Any]] = client[location.mongodb_database]["events"]
        last = events.find_one({}, sort=[("position", -1)])
        assert last is not None
        in_stream = events.find_one({"streamId": stream_id}, sort=[("version", -1)])
        position = int(last["position"]) + 1
        events.insert_one(
            {
                "_id": uuid.uuid4(),
                "streamId": stream_id,
                "streamType": "Order",
                "version": (in_stream["version"] if in_stream else 0) + 1,
                "position": position,
                "type": type_name,
                "schemaVersion": 1,
                "data": data,
                "metadata": {},
                "recordedAt": max(datetime.now(UTC), last["recordedAt"] + timedelta(microseconds=1)),
            }
        )
    return position


async def insert_unreadable(
    location: StoreLocation, order_id: UUID, type_name: str = UNKNOWN_TYPE, data: dict[str, Any] = GIFT_WRAP
) -> int:
    """An event of a type this release does not know, next in the order's stream and in the log; its
    position."""
    insert = _into_mongodb if location.mongodb_uri is not None else _into_sqlite
    return await asyncio.to_thread(insert, location, order_id, type_name, data)
