"""The one step through which every reader gets events from what is stored: personal fields opened
with the page's data keys (`store.sealing`), upcast to the current schema version, then validated into
the event's class; what cannot be read comes back as it is stored.

Both event stores decode every event they return through an `EventDecoder`, so the write side's fold,
`asOf` reads, the audit queries, subscriptions, projections and rebuilds all see the same events.
"""

import json
from collections.abc import Callable, Mapping
from typing import Any
from uuid import UUID

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from domain.events import EVENT_TYPES, Event, UndecodedEvent
from domain.upcasting import UPCASTERS, Deployment, unsealed, upcast
from store.sealing import SEALED_TYPES, SealedText, opened, opened_text

Keys = Mapping[UUID, bytes]
"""The data keys of the customers whose sealed events a page holds."""
NO_KEYS: Keys = {}

AsJson = Callable[[Mapping[str, Any]], dict[str, Any]]
"""A stored payload as JSON values, for showing an event that cannot be decoded as it is stored."""


def _as_is(data: Mapping[str, Any]) -> dict[str, Any]:
    return dict(data)


class EventDecoder:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self._validate = {
            name: cls.__pydantic_validator__.validate_python for name, cls in EVENT_TYPES.items()
        }
        """`cls.model_validate` without the Python call around it."""

    def from_json(
        self, type_name: str, schema_version: int, text: str | bytes, keys: Keys = NO_KEYS
    ) -> Event | UndecodedEvent:
        cls = EVENT_TYPES.get(type_name)
        if cls is not None and schema_version == cls.schema_version and not cls.personal:
            try:
                # pydantic parses and validates in one pass, much faster than json.loads then validating.
                return cls.model_validate_json(text)
            except ValidationError:
                pass
        try:
            data = json.loads(text)
        except ValueError as error:
            return UndecodedEvent(type_name, schema_version, {}, f"its data is not JSON ({error})")
        if not isinstance(data, dict):
            return UndecodedEvent(type_name, schema_version, {}, "its data is not a JSON object")
        return self.from_data(type_name, schema_version, data, keys=keys)

    def reading_json(self) -> Callable[[str, int, str | bytes, Keys], Event | UndecodedEvent]:
        """`from_json`, with each current type's validator looked up once: an event stored at its
        type's current version (nearly every one) is validated straight from its text, without the
        two Python calls in between, which cost a tenth of reading the log. A sealed one is opened first."""
        current = {
            name: (cls.schema_version, cls.__pydantic_validator__.validate_json)
            for name, cls in EVENT_TYPES.items()
            if not cls.personal
        }
        # A type that seals is read straight from its text too when it is stored in plaintext at the
        # version before (sealing turned off, or a release before sealing): `unsealed` moves nothing.
        current |= {
            name: (cls.schema_version - 1, cls.__pydantic_validator__.validate_json)
            for name, cls in EVENT_TYPES.items()
            if cls.personal and UPCASTERS.get((name, cls.schema_version - 1)) is unsealed
        }
        from_json = self.from_json

        def read(
            type_name: str, schema_version: int, text: str | bytes, keys: Keys
        ) -> Event | UndecodedEvent:
            found = current.get(type_name)
            if found is not None and found[0] == schema_version:
                try:
                    event: Event = found[1](text)
                    return event
                except ValidationError:
                    pass
            return from_json(type_name, schema_version, text, keys)

        return read

    def reading_sealed(
        self,
    ) -> Callable[[str, SealedText, bytes | None, dict[bytes, AESGCM]], Event | None]:
        """The event a sealed payload's text holds (`store.sealing.sealed_text`), validated from the
        text of it opened with the subject's key (None: it is gone), which `from_data` would otherwise
        parse, open, copy and upcast first. None where the text cannot say, or does not validate:
        `from_data` reads that one, and says why."""
        # A sealing version that is no longer current would need upcasting after opening: not from text.
        validators = {
            name: EVENT_TYPES[name].__pydantic_validator__.validate_json
            for name, version in SEALED_TYPES.items()
            if (name, version) not in UPCASTERS
        }

        def read(
            type_name: str, sealed: SealedText, key: bytes | None, ciphers: dict[bytes, AESGCM]
        ) -> Event | None:
            validate = validators.get(type_name)
            text = None if validate is None else opened_text(type_name, sealed, key, ciphers)
            if validate is None or text is None:
                return None
            try:
                event: Event = validate(text)
                return event
            except ValidationError:
                return None

        return read

    def from_data(
        self,
        type_name: str,
        schema_version: int,
        data: Mapping[str, Any],
        as_json: AsJson = _as_is,
        keys: Keys = NO_KEYS,
        ciphers: dict[bytes, AESGCM] | None = None,
    ) -> Event | UndecodedEvent:
        """`ciphers`: a page's, as `store.sealing.opened` takes them."""
        cls = EVENT_TYPES.get(type_name)
        if cls is None:
            return UndecodedEvent(
                type_name, schema_version, as_json(data), "this release has no such event type"
            )
        stored = data
        if SEALED_TYPES.get(type_name) == schema_version:
            try:
                data = opened(type_name, data, keys, ciphers)
            except ValueError as error:
                return UndecodedEvent(type_name, schema_version, as_json(stored), str(error))
        # At its type's current version (nearly every event) there is nothing to upcast, nor to copy.
        version, payload = (
            (schema_version, data if isinstance(data, dict) else dict(data))
            if (type_name, schema_version) not in UPCASTERS
            else upcast(type_name, schema_version, data, self.deployment)
        )
        if version != cls.schema_version:
            return UndecodedEvent(
                type_name,
                schema_version,
                as_json(stored),
                f"this release reads {type_name} at version {cls.schema_version}, not {schema_version}",
            )
        try:
            event: Event = self._validate[type_name](payload)
            return event
        except ValidationError as error:
            problem = error.errors()[0]
            where = ".".join(str(part) for part in problem["loc"])
            return UndecodedEvent(
                type_name,
                schema_version,
                as_json(stored),
                f"its data does not fit: {where}: {problem['msg']}",
            )
