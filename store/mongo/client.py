"""How eventfold talks BSON: tz-aware UTC datetimes, UUIDs as standard binary, money as Decimal128."""

from datetime import UTC
from decimal import Decimal
from typing import Any

from bson import Decimal128
from bson.codec_options import TypeCodec, TypeRegistry
from pymongo import AsyncMongoClient
from pymongo.monitoring import CommandListener


class DecimalCodec(TypeCodec):
    python_type = Decimal
    bson_type = Decimal128

    def transform_python(self, value: Decimal) -> Decimal128:
        return Decimal128(value)

    def transform_bson(self, value: Decimal128) -> Decimal:
        return value.to_decimal()


def connect(
    uri: str, command_listeners: tuple[CommandListener, ...] = (), timeout_seconds: float = 5.0
) -> AsyncMongoClient[Any]:
    """`timeout_seconds` bounds how long an operation waits for an unreachable server before it fails."""
    return AsyncMongoClient(
        uri,
        # PyMongo waits 30 s by default: a request would hang that long before telling its client.
        serverSelectionTimeoutMS=int(timeout_seconds * 1000),
        connectTimeoutMS=int(timeout_seconds * 1000),
        tz_aware=True,
        tzinfo=UTC,
        # Explicit: PyMongo refuses to guess how a UUID is laid out in BSON.
        uuidRepresentation="standard",
        type_registry=TypeRegistry([DecimalCodec()]),
        event_listeners=list(command_listeners),
        appname="eventfold",
        # PyMongo's default, stated: a write interrupted by a failover is sent once more, and the
        # server recognises it if it had landed.
        retryWrites=True,
    )
