"""Checkpoints and leases, on both backends."""

import asyncio
import contextlib
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from store.connect import Stores
from store.feeds import Checkpoint
from store.projection_state import ProjectionState
from store.sqlite.projection_state import SqliteProjectionState

STATE = ProjectionState(name="orders", collection="orders", generation=1, checkpoint=Checkpoint(5))


async def test_a_checkpoint_is_saved_and_loaded(stores: Stores) -> None:
    assert await stores.states.load("orders") is None
    assert await stores.states.save(STATE, expected_generation=None)

    saved = ProjectionState(
        name="orders",
        collection="orders",
        generation=1,
        checkpoint=Checkpoint(42, {"_data": "8263A"}),
        updated_at=datetime(2026, 11, 26, 10, 0, 0, 123000, tzinfo=UTC),
        feed="change_stream",
        error="boom",
    )
    assert await stores.states.save(saved, expected_generation=1)
    assert await stores.states.load("orders") == saved
    assert await stores.states.load_all() == [saved]


async def test_a_checkpoint_of_another_generation_is_refused(stores: Stores) -> None:
    await stores.states.save(STATE, expected_generation=None)
    swapped = ProjectionState(name="orders", collection="orders_v2", generation=2, checkpoint=Checkpoint(9))
    assert await stores.states.save(swapped, expected_generation=1)

    stale = ProjectionState(name="orders", collection="orders", generation=1, checkpoint=Checkpoint(7))
    assert not await stores.states.save(stale, expected_generation=1)
    assert not await stores.states.save(STATE, expected_generation=None)
    assert await stores.states.load("orders") == swapped


async def test_a_lease_is_held_by_one_owner_until_it_expires(stores: Stores) -> None:
    assert await stores.leases.acquire("projector", "a", 2)
    assert await stores.leases.acquire("projector", "a", 1)
    assert not await stores.leases.acquire("projector", "b", 1)

    await asyncio.sleep(1.2)
    assert await stores.leases.acquire("projector", "b", 10)
    assert not await stores.leases.acquire("projector", "a", 10)


async def test_a_released_lease_is_free_at_once(stores: Stores) -> None:
    assert await stores.leases.acquire("projector", "a", 10)
    await stores.leases.release("projector", "b")
    assert not await stores.leases.acquire("projector", "b", 10)
    await stores.leases.release("projector", "a")
    assert await stores.leases.acquire("projector", "b", 10)


async def test_the_holders_are_the_owners_of_the_leases_that_have_not_expired(stores: Stores) -> None:
    assert await stores.leases.acquire("read_model:orders", "a", 10)
    assert await stores.leases.acquire("read_model:sales", "b", 10)
    assert await stores.leases.acquire("projector:c", "c", 0.5)
    await stores.leases.release("read_model:sales", "b")
    await asyncio.sleep(0.7)

    assert await stores.leases.holders() == {"read_model:orders": "a"}


async def test_racing_owners_get_one_lease(stores: Stores) -> None:
    results = await asyncio.gather(*(stores.leases.acquire("projector", f"o{n}", 10) for n in range(8)))
    assert results.count(True) == 1


async def test_where_a_projection_stopped_and_what_it_skipped_are_kept(stores: Stores) -> None:
    stopped = replace(STATE, error="cannot read OrderGiftWrapped at position 6", stopped_at=6)
    assert await stores.states.save(stopped, expected_generation=None)
    assert await stores.states.load("orders") == stopped

    skipped = replace(stopped, generation=2, skipped=(6, 11), events_per_second=1234.5)
    assert await stores.states.save(skipped, expected_generation=1)
    assert await stores.states.load("orders") == skipped
    assert await stores.states.load_all() == [skipped]


async def test_a_state_table_of_the_previous_release_gains_the_new_columns(tmp_path: Path) -> None:
    path = tmp_path / "eventfold.db"
    with contextlib.closing(sqlite3.connect(path)) as connection, connection:
        connection.execute(
            "CREATE TABLE projection_state (name TEXT PRIMARY KEY, collection TEXT NOT NULL,"
            " generation INTEGER NOT NULL, position INTEGER NOT NULL, resume_token TEXT,"
            " updated_at TEXT, feed TEXT, error TEXT)"
        )
        connection.execute(
            "INSERT INTO projection_state VALUES ('orders', 'orders_v2', 2, 40, NULL, NULL, 'tail', NULL)"
        )
    states = await SqliteProjectionState.open(path)
    try:
        old = await states.load("orders")
        assert old == ProjectionState(
            name="orders", collection="orders_v2", generation=2, checkpoint=Checkpoint(40), feed="tail"
        )
        new = replace(old, stopped_at=41, skipped=(30,), events_per_second=812.5)
        assert await states.save(new, expected_generation=2)
        assert (await states.load("orders")) == new
    finally:
        await states.close()
    await (await SqliteProjectionState.open(path)).close()  # opening it again changes nothing
