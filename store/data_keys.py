"""The storage port for customers' data keys, with which the personal fields of their events are sealed
(`store.sealing`). A key lives in a table (SQLite) or collection (MongoDB) of its own, beside the events
but never in them: deleting it is what erases a customer, while the events stay as they were recorded.

An erased customer keeps a tombstone (its id, without a key), so that no key is ever made for it again:
an event written for it after its erasure could otherwise be sealed with a new key that nobody deletes.
"""

import secrets
from collections.abc import Collection
from typing import Protocol
from uuid import UUID

KEY_BYTES = 32
"""AES-256-GCM."""


def new_key() -> bytes:
    return secrets.token_bytes(KEY_BYTES)


class DataKeys(Protocol):
    async def keys_for(self, subjects: Collection[UUID]) -> dict[UUID, bytes | None]:
        """Each subject's key, made for those that have none yet, in one round trip where it can;
        None for an erased subject (its tombstone)."""
        ...

    async def find(self, subjects: Collection[UUID]) -> dict[UUID, bytes]:
        """The keys of those subjects that have one (never made here): erased and unknown ones are left
        out. One round trip, for a whole page of events."""
        ...

    async def erase(self, subject: UUID) -> bool:
        """Delete the subject's key, leaving its tombstone; whether there was a key to delete."""
        ...
