"""An event this release cannot read stops every read model just before it, until it is skipped; on
both backends, through the runner, rebuild and the skip itself."""

import asyncio
import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID

import pytest

from commands.handler import CommandHandler
from commands.identity import product_id_for_sku
from domain.commands import CreateProduct, OrderLineInput, PlaceOrder, RegisterCustomer
from domain.errors import InvalidInput
from domain.events import CustomerRegistered, Event, UndecodedEvent
from projections import runner as runner_module
from projections.apply import UnreadableEvent, apply_batch
from projections.progress import Progress
from projections.read_models import ALL
from projections.rebuild import rebuild
from projections.runner import ProjectionRunner
from projections.skipping import skip
from store.connect import Stores
from store.documents import Query
from store.events import RecordedEvent
from store.projection_state import ProjectionState
from tests.conftest import StoreLocation
from tests.projections.test_running import running
from tests.projections.unreadable import UNKNOWN_TYPE, insert_unreadable

META = {"correlationId": "unreadable"}
NAMES = [projection.name for projection in ALL]
PROFILES = next(projection for projection in ALL if projection.name == "customer_profiles")
WAIT_SECONDS = 20.0


async def history_with_an_unreadable_event(stores: Stores, location: StoreLocation) -> tuple[int, UUID]:
    """A customer, a product and an order; then an event nobody here can read in the order's stream;
    then another customer. The unreadable event's position, and the later customer's id."""
    handler = CommandHandler(stores.events)
    customer, later = uuid.uuid4(), uuid.uuid4()
    sku = f"GW-{uuid.uuid4().hex[:6]}"
    product, order = product_id_for_sku(sku), uuid.uuid4()
    await handler.handle(RegisterCustomer(customer_id=customer, name="Ann", email="ann@example.com"), META)
    await handler.handle(
        CreateProduct(product_id=product, sku=sku, name="Wrap", price=Decimal(3), currency="EUR"), META
    )
    lines = (OrderLineInput(product_id=product, quantity=1),)
    await handler.handle(PlaceOrder(order_id=order, customer_id=customer, lines=lines), META)
    position = await insert_unreadable(location, order)
    await handler.handle(RegisterCustomer(customer_id=later, name="Bo", email="bo@example.com"), META)
    return position, later


async def state_of(stores: Stores, name: str) -> ProjectionState:
    state = await stores.states.load(name)
    assert state is not None
    return state


async def until(stores: Stores, name: str, reached: object) -> ProjectionState:
    """The state of `name` once `reached(state)` holds."""
    assert callable(reached)
    async with asyncio.timeout(WAIT_SECONDS):
        while True:
            state = await stores.states.load(name)
            if state is not None and reached(state):
                return state
            await asyncio.sleep(0.02)


def profiles_runner(stores: Stores, progress: Progress) -> ProjectionRunner:
    return ProjectionRunner(PROFILES, stores.documents, stores.states, stores.feed, progress, batch_size=2)


async def test_a_projection_waits_just_before_an_unreadable_event_until_it_is_skipped(
    stores: Stores, location: StoreLocation, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(runner_module, "SKIP_POLL_SECONDS", 0.05)
    position, later = await history_with_an_unreadable_event(stores, location)
    head = await stores.events.head()
    unreadable = (await stores.events.read_all(position - 1, limit=1))[0]
    progress = Progress([PROFILES.name], stores.states)
    with caplog.at_level(logging.INFO, logger="eventfold.projections"):
        async with running(profiles_runner(stores, progress).run_until_stopped()):
            stopped = await until(stores, PROFILES.name, lambda s: s.stopped_at is not None)
            assert stopped.stopped_at == position
            assert stopped.checkpoint.position == position - 1
            assert stopped.error is not None
            assert all(part in stopped.error for part in (str(position), str(unreadable.id), UNKNOWN_TYPE))
            # Not waited for by read-your-writes; and no retrying while it waits.
            assert await progress.wait_for(head, seconds=1)
            await asyncio.sleep(0.3)
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert [str(position) in record.getMessage() for record in errors] == [True]
            collection = stopped.collection
            assert await stores.documents.get_many(collection, [str(later)]) == {}

            with pytest.raises(InvalidInput) as wrong:
                await skip(stores.states, NAMES, PROFILES.name, position + 1)
            assert wrong.value.field == "position"
            assert f"stopped at position {position}" in str(wrong.value)
            with pytest.raises(InvalidInput) as unknown:
                await skip(stores.states, NAMES, "no_such_model", position)
            assert unknown.value.field == "projection"

            assert (await skip(stores.states, NAMES, PROFILES.name, position)).skipped == (position,)
            caught_up = await until(stores, PROFILES.name, lambda s: s.checkpoint.position == head)
    assert (caught_up.stopped_at, caught_up.error, caught_up.skipped) == (None, None, (position,))
    assert str(later) in await stores.documents.get_many(caught_up.collection, [str(later)])
    with pytest.raises(InvalidInput, match="not stopped"):
        await skip(stores.states, NAMES, PROFILES.name, position)

    rebuilt = await rebuild(PROFILES, stores.events, stores.documents, stores.states, settle_seconds=0)
    assert (rebuilt.skipped, rebuilt.stopped_at, rebuilt.checkpoint.position) == ((position,), None, head)
    assert len(await stores.documents.find(rebuilt.collection, Query(limit=10))) == 2


async def test_a_rebuild_swaps_in_what_precedes_an_unreadable_event_and_stops_there(
    stores: Stores, location: StoreLocation
) -> None:
    position, later = await history_with_an_unreadable_event(stores, location)
    rebuilt = await rebuild(PROFILES, stores.events, stores.documents, stores.states, settle_seconds=0)
    assert (rebuilt.stopped_at, rebuilt.checkpoint.position) == (position, position - 1)
    assert UNKNOWN_TYPE in (rebuilt.error or "")
    stored = await state_of(stores, PROFILES.name)
    assert replace(stored, updated_at=None) == replace(rebuilt, updated_at=None)  # MongoDB keeps ms
    assert len(await stores.documents.find(rebuilt.collection, Query(limit=10))) == 1

    await skip(stores.states, NAMES, PROFILES.name, position)
    progress = Progress([PROFILES.name], stores.states)
    async with running(profiles_runner(stores, progress).run_until_stopped()):
        assert await progress.wait_for(await stores.events.head(), seconds=WAIT_SECONDS)
    assert str(later) in await stores.documents.get_many(rebuilt.collection, [str(later)])


def recorded(position: int, event: Event | UndecodedEvent) -> RecordedEvent:
    return RecordedEvent(
        id=uuid.uuid4(),
        stream_id=uuid.uuid4(),
        stream_type="Customer",
        version=1,
        position=position,
        recorded_at=datetime(2026, 11, 29, tzinfo=UTC) + timedelta(seconds=position),
        event=event,
    )


async def test_a_batch_passes_over_skipped_positions_and_stops_before_the_first_other_unreadable_one(
    stores: Stores,
) -> None:
    unknown = UndecodedEvent(UNKNOWN_TYPE, 1, {}, "this release has no such event type")
    batch = [
        recorded(1, CustomerRegistered(name="Ann", email="ann@example.com")),
        recorded(2, unknown),
        recorded(3, CustomerRegistered(name="Bo", email="bo@example.com")),
        recorded(4, unknown),
        recorded(5, CustomerRegistered(name="Cy", email="cy@example.com")),
    ]
    await stores.documents.ensure(PROFILES.collection)
    applied = await apply_batch(PROFILES, stores.documents, PROFILES.collection.name, batch, skipped=(2,))
    assert applied.position == 3
    assert isinstance(applied.failure, UnreadableEvent)
    assert applied.failure.event is batch[3]
    found = await stores.documents.get_many(PROFILES.collection.name, [str(r.stream_id) for r in batch])
    assert set(found) == {str(batch[0].stream_id), str(batch[2].stream_id)}

    collection = PROFILES.collection.name
    everything = await apply_batch(PROFILES, stores.documents, collection, batch, skipped=(2, 4))
    assert (everything.position, everything.failure) == (5, None)
