"""API keys: issuing them, the names they may have, and the cache that spares each request a
round trip. They are kept through the `store.api_keys.ApiKeys` port."""

import hashlib
import secrets
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime

from access.ownership import owner_of
from access.principals import Role
from domain.errors import InvalidInput
from store.api_keys import ApiKey, ApiKeys
from store.events import EventStore
from store.unavailable import StoreUnavailable

TOKEN_PREFIX = "efk_"
"""Tells an API key from a JWT at a glance, and lets secret scanners recognise a leaked one."""

MAX_NAME_LENGTH = 100


def hash_token(token: str) -> str:
    """Keys are 256 random bits, so a plain SHA-256 is as good as a slow password hash here and
    costs microseconds per request."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def key_name(name: str) -> str:
    """Names are for people reading `apiKeys` and the events' `actor`: printable, one line."""
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME_LENGTH or not name.isprintable():
        raise InvalidInput("name", f"must be 1 to {MAX_NAME_LENGTH} printable characters")
    return name


async def issue(
    keys: ApiKeys, name: str, role: Role, now: datetime, customer_id: uuid.UUID | None = None
) -> tuple[ApiKey, str]:
    """A new key and its token; the token is shown to the caller once and never stored. A key of the
    customer role acts for `customer_id` (whose existence the caller checks: `is_customer`)."""
    if role is Role.CUSTOMER and customer_id is None:
        raise InvalidInput(
            "customerId", "a key of the customer role needs the id of the customer it acts for"
        )
    if role is not Role.CUSTOMER and customer_id is not None:
        raise InvalidInput(
            "customerId", f"only a key of the customer role acts for a customer, not a {role} key"
        )
    token = new_token()
    # Milliseconds, as MongoDB keeps them: the key shown now equals the key listed later.
    created_at = now.replace(microsecond=now.microsecond // 1000 * 1000)
    key = ApiKey(id=uuid.uuid4(), name=name, role=role, created_at=created_at, customer_id=customer_id)
    await keys.add(key, hash_token(token))
    return key, token


async def is_customer(events: EventStore, customer_id: uuid.UUID) -> bool:
    """Whether a customer of that id was registered (a customer's stream is its own)."""
    return await owner_of(events, customer_id) == customer_id


class CachedApiKeys:
    """Remembers what `find` answered for a few seconds, so authenticating a request costs no round
    trip. A revocation through this object takes effect at once; one made elsewhere (another process,
    the CLI) once the entry expires."""

    MAX_ENTRIES = 10_000

    def __init__(self, keys: ApiKeys, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._keys = keys
        self._seconds = seconds
        self._clock = clock
        self._found: dict[str, tuple[float, ApiKey | None]] = {}

    async def add(self, key: ApiKey, token_hash: str) -> None:
        await self._keys.add(key, token_hash)
        self._found.pop(token_hash, None)

    async def find(self, token_hash: str) -> ApiKey | None:
        now = self._clock()
        cached = self._found.get(token_hash)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            key = await self._keys.find(token_hash)
        except StoreUnavailable:
            # A key seen before keeps working while the database is away (a revocation made
            # meanwhile bites once it is back); an unknown one cannot be checked.
            if cached is not None:
                return cached[1]
            raise
        if len(self._found) >= self.MAX_ENTRIES:
            # Guessed tokens could otherwise fill memory; starting afresh costs one read per key.
            self._found.clear()
        self._found[token_hash] = (now + self._seconds, key)
        return key

    async def revoke(self, id_or_name: str, at: datetime) -> ApiKey | None:
        revoked = await self._keys.revoke(id_or_name, at)
        self._found.clear()
        return revoked

    async def list(self) -> Sequence[ApiKey]:
        return await self._keys.list()
