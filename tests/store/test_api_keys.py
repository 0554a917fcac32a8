"""API keys, on both backends."""

import asyncio
import sqlite3
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from access.api_keys import hash_token, issue
from access.principals import Role
from domain.errors import InvalidInput
from store.api_keys import ApiKey, KeyNameTaken
from store.connect import Stores
from store.sqlite.api_keys import SqliteApiKeys

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
    customer = uuid.uuid4() if role is Role.CUSTOMER else None
    key, token = await issue(stores.api_keys, f"key-{role}", role, NOW, customer)
    assert key.customer_id == customer
    assert (await stores.api_keys.find(hash_token(token))) == key
    assert await stores.api_keys.list() == [key]


async def test_a_customer_key_needs_its_customer_and_no_other_key_has_one(stores: Stores) -> None:
    with pytest.raises(InvalidInput, match="needs the id of the customer"):
        await issue(stores.api_keys, "shop", Role.CUSTOMER, NOW)
    with pytest.raises(InvalidInput, match="only a key of the customer role"):
        await issue(stores.api_keys, "shop", Role.CLERK, NOW, uuid.uuid4())
    assert await stores.api_keys.list() == []


def old_key_table(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute(
            "CREATE TABLE api_keys (id TEXT PRIMARY KEY, name TEXT NOT NULL UNIQUE, role TEXT NOT NULL,"
            " token_hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, revoked_at TEXT)"
        )
        connection.execute(
            "INSERT INTO api_keys VALUES (?, 'old', 'viewer', 'hash', ?, NULL)",
            (str(uuid.UUID(int=1)), NOW.isoformat()),
        )


async def test_a_key_table_of_the_release_before_customer_keys_is_read_and_extended(tmp_path: Path) -> None:
    path = tmp_path / "eventfold.db"
    old_key_table(path)
    keys = await SqliteApiKeys.open(path)
    try:
        assert await keys.find("hash") == ApiKey(uuid.UUID(int=1), "old", Role.VIEWER, NOW)
        key, token = await issue(keys, "shop", Role.CUSTOMER, NOW, uuid.UUID(int=2))
        assert await keys.find(hash_token(token)) == key
    finally:
        await keys.close()


async def test_processes_opening_an_old_key_table_at_once_all_extend_it(tmp_path: Path) -> None:
    path = tmp_path / "eventfold.db"
    old_key_table(path)
    # As the processes of a rebuild do: each sees the column missing, one adds it first.
    opened = await asyncio.gather(*(SqliteApiKeys.open(path) for _ in range(8)))
    for keys in opened:
        assert await keys.find("hash") is not None
        await keys.close()
