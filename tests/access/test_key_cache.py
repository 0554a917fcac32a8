"""The key cache in front of the store: revocations through it bite at once, outages are ridden out."""

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime

import pytest

from access.api_keys import CachedApiKeys
from access.principals import Role
from store.api_keys import ApiKey
from store.unavailable import StoreUnavailable

KEY = ApiKey(id=uuid.uuid4(), name="wall", role=Role.VIEWER, created_at=datetime(2026, 11, 26, tzinfo=UTC))


class FlakyKeys:
    def __init__(self) -> None:
        self.away = False
        self.finds = 0
        self.revoked = False

    async def add(self, key: ApiKey, token_hash: str) -> None:
        raise NotImplementedError

    async def find(self, token_hash: str) -> ApiKey | None:
        self.finds += 1
        if self.away:
            raise StoreUnavailable("connection refused")
        if token_hash != "known":
            return None
        return ApiKey(KEY.id, KEY.name, KEY.role, KEY.created_at, datetime.now(UTC) if self.revoked else None)

    async def revoke(self, id_or_name: str, at: datetime) -> ApiKey | None:
        self.revoked = True
        return await self.find("known")

    async def list(self) -> Sequence[ApiKey]:
        return []


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


async def test_a_key_is_read_once_per_period_and_a_revocation_through_the_cache_bites_at_once() -> None:
    keys, clock = FlakyKeys(), Clock()
    cache = CachedApiKeys(keys, seconds=5, clock=clock)

    assert await cache.find("known") == KEY
    assert await cache.find("known") == KEY
    assert keys.finds == 1

    await cache.revoke("wall", datetime.now(UTC))
    found = await cache.find("known")
    assert found is not None
    assert found.revoked_at is not None


async def test_while_the_store_is_away_known_keys_keep_working_and_unknown_ones_cannot_be_checked() -> None:
    keys, clock = FlakyKeys(), Clock()
    cache = CachedApiKeys(keys, seconds=5, clock=clock)
    assert await cache.find("known") == KEY

    keys.away = True
    clock.now = 60
    assert await cache.find("known") == KEY
    with pytest.raises(StoreUnavailable):
        await cache.find("never-seen")
