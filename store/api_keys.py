"""The storage port for API keys: what every adapter keeps of a key. Only a hash of each key's secret
is stored, so a copy of the database gives nobody a working key; issuing keys and what their roles
mean are access/'s."""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: uuid.UUID
    name: str
    role: str
    """The name of an `access.principals.Role`, as stored."""
    created_at: datetime
    revoked_at: datetime | None = None
    customer_id: uuid.UUID | None = None
    """The one customer a key of the customer role acts for."""


class KeyNameTaken(Exception):
    def __init__(self, name: str) -> None:
        super().__init__(f"an API key named {name!r} exists already; names are never reused")
        self.name = name


class ApiKeys(Protocol):
    async def add(self, key: ApiKey, token_hash: str) -> None:
        """Raises KeyNameTaken when a key of that name exists, revoked or not."""
        ...

    async def find(self, token_hash: str) -> ApiKey | None: ...

    async def revoke(self, id_or_name: str, at: datetime) -> ApiKey | None:
        """The key with that id or name, revoked (at its first revocation); None if there is none."""
        ...

    async def list(self) -> Sequence[ApiKey]:
        """Every key, revoked ones too, oldest first."""
        ...
