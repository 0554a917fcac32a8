"""API keys, on both backends."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from access.api_keys import hash_token, issue
from access.principals import Role
from store.api_keys import ApiKey, KeyNameTaken
from store.connect import Stores

NOW = datetime(2026, 11, 26, 10, 0, tzinfo=UTC)


async def test_an_issued_key_is_found_by_its_token_and_only_its_hash_is_kept(stores: Stores) -> None:
    key, token = await issue(stores.api_keys, "dashboard", Role.VIEWER, NOW)

    assert token.startswith("efk_")
    assert await stores.api_keys.find(hash_token(token)) == key
    assert await stores.api_keys.find(token) is None
    assert await stores.api_keys.find(hash_token(token + "x")) is None
    assert key == ApiKey(id=key.id, name="dashboard", role=Role.VIEWER, created_at=NOW)


async def test_names_are_unique_even_among_racing_issuers(stores: Stores) -> None:
    results = await asyncio.gather(
        *(issue(stores.api_keys, "ci", Role.CLERK, NOW) for _ in range(4)), return_exceptions=True
    )
    assert sum(isinstance(result, tuple) for result in results) == 1
    assert sum(isinstance(result, KeyNameTaken) for result in results) == 3
    assert [key.name for key in await stores.api_keys.list()] == ["ci"]


async def test_a_key_is_revoked_by_id_or_name_once(stores: Stores) -> None:
    first, token = await issue(stores.api_keys, "first", Role.ADMIN, NOW)
    second, _ = await issue(stores.api_keys, "second", Role.CLERK, NOW + timedelta(seconds=1))
    later = NOW + timedelta(hours=1)

    revoked = await stores.api_keys.revoke("first", later)
    assert revoked == ApiKey(first.id, "first", Role.ADMIN, NOW, revoked_at=later)
    assert await stores.api_keys.revoke(str(first.id), later + timedelta(hours=1)) == revoked
    assert await stores.api_keys.find(hash_token(token)) == revoked
    assert (await stores.api_keys.revoke(str(second.id), later)) == ApiKey(
        second.id, "second", Role.CLERK, second.created_at, revoked_at=later
    )
    assert await stores.api_keys.revoke(str(uuid.uuid4()), later) is None
    assert await stores.api_keys.revoke("nobody", later) is None
    assert [key.name for key in await stores.api_keys.list()] == ["first", "second"]


@pytest.mark.parametrize("role", list(Role))
async def test_every_role_round_trips(stores: Stores, role: Role) -> None:
    key, token = await issue(stores.api_keys, f"key-{role}", role, NOW)
    assert (await stores.api_keys.find(hash_token(token))) == key
