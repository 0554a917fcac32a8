"""Events written straight into a backend's log, as another release or another tool would write them."""

import json
import sqlite3
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo import MongoClient
from pymongo.collection import Collection

from tests.conftest import StoreLocation


def record_raw(
    location: StoreLocation,
    stream_id: uuid.UUID,
    version: int,
    type_name: str,
    schema_version: int,
    data: dict[str, Any],
    stream_type: str = "Order",
) -> int:
    """Append one stored event as it is given, bypassing every encoder; returns its position."""
    now = datetime.now(UTC)
    if location.mongodb_uri is None:
        with sqlite3.connect(location.data_dir / "eventfold.db") as connection:
            (last,) = connection.execute("SELECT coalesce(max(recorded_at), 0) FROM events").fetchone()
            micros = max(int(now.timestamp() * 1_000_000), last)
            cursor = connection.execute(
                "INSERT INTO events (id, stream_id, stream_type, version, type, schema_version, data,"
                " metadata, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?)",
                (
                    str(uuid.uuid4()),
                    str(stream_id),
                    stream_type,
                    version,
                    type_name,
                    schema_version,
                    json.dumps(data),
                    micros,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri, uuidRepresentation="standard", tz_aware=True) as client:
        events: Collection[dict[str, Any]] = client[location.mongodb_database or "eventfold"]["events"]
        last = events.find_one({}, sort=[("position", -1)])
        position = (last["position"] if last else 0) + 1
        events.insert_one(
            {
                "_id": uuid.uuid4(),
                "streamId": stream_id,
                "streamType": stream_type,
                "version": version,
                "position": position,
                "type": type_name,
                "schemaVersion": schema_version,
                "data": data,
                "metadata": {},
                "recordedAt": max(now, last["recordedAt"]) if last else now,
            }
        )
        return position
