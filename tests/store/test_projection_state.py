"""Checkpoints and leases, on both backends."""

import asyncio
from datetime import UTC, datetime

from store.connect import Stores
from store.feeds import Checkpoint
from store.projection_state import ProjectionState

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


async def test_racing_owners_get_one_lease(stores: Stores) -> None:
    results = await asyncio.gather(*(stores.leases.acquire("projector", f"o{n}", 10) for n in range(8)))
    assert results.count(True) == 1
