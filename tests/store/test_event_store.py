"""The event store contract. Every test runs on SQLite and on MongoDB (through PyMongo)."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from domain.events import (
    CustomerEmailVerified,
    CustomerRegistered,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
    ProductCreated,
    ProductPriceChanged,
)
from store.connect import Stores
from store.events import RecordedEvent, StreamVersionConflict
from tests.conftest import StoreLocation

META = {"correlationId": "c-1", "actor": "tester"}
PLACED_AT = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def registered(name: str = "Ann") -> CustomerRegistered:
    return CustomerRegistered(name=name, email=f"{name.lower()}@example.com")


def placed(customer_id: uuid.UUID) -> OrderPlaced:
    line = PlacedLine(
        product_id=uuid.uuid4(), sku="SKU-1", name="Widget", quantity=3, unit_price=Decimal("19.90")
    )
    return OrderPlaced(
        currency="EUR",
        customer_id=customer_id,
        customer_name="Ann",
        customer_email="ann@example.com",
        lines=(line,),
        total=Decimal("59.70"),
    )


def shipped() -> OrderShipped:
    return OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=PLACED_AT)


def cancelled(customer_id: uuid.UUID) -> OrderCancelled:
    return OrderCancelled(
        currency="EUR", reason="no", customer_id=customer_id, lines=(), total=Decimal(0), placed_at=PLACED_AT
    )


async def test_append_then_read_round_trips_every_field(stores: Stores) -> None:
    stream = uuid.uuid4()
    event = placed(uuid.uuid4())
    [recorded] = await stores.events.append(stream, 0, [event], META)

    assert (recorded.stream_id, recorded.stream_type, recorded.version) == (stream, "Order", 1)
    assert recorded.recorded_at.tzinfo is not None
    [read] = await stores.events.read_stream(stream)
    assert read == recorded
    assert read.event == event
    assert isinstance(read.event, OrderPlaced)
    assert read.event.lines[0].unit_price == Decimal("19.90")
    assert read.metadata == META


async def test_versions_count_from_one_and_positions_increase_across_streams(stores: Stores) -> None:
    first, second = uuid.uuid4(), uuid.uuid4()
    a = await stores.events.append(first, 0, [registered()], META)
    b = await stores.events.append(
        second, 0, [ProductCreated(currency="EUR", sku="S", name="N", price=Decimal("1.00"))], META
    )
    c = await stores.events.append(first, 1, [CustomerEmailVerified(email="ann@example.com")], META)

    assert [r.version for r in a + b + c] == [1, 1, 2]
    positions = [r.position for r in a + b + c]
    assert positions == sorted(positions)
    assert len(set(positions)) == 3
    log = await stores.events.read_all()
    assert [r.position for r in log] == positions
    assert [r.position for r in await stores.events.read_all(after_position=positions[0], limit=1)] == [
        positions[1]
    ]


async def test_read_up_to_a_version_and_after_a_version(stores: Stores) -> None:
    stream = uuid.uuid4()
    await stores.events.append(
        stream, 0, [ProductCreated(currency="EUR", sku="S", name="N", price=Decimal("1.00"))], META
    )
    for version, price in enumerate(["2.00", "3.00", "4.00"], start=1):
        await stores.events.append(
            stream,
            version,
            [ProductPriceChanged(currency="EUR", price=Decimal(price), previous_price=Decimal("1.00"))],
            META,
        )

    assert [r.version for r in await stores.events.read_stream(stream, to_version=2)] == [1, 2]
    assert [r.version for r in await stores.events.read_stream(stream, after_version=2)] == [3, 4]
    assert [r.version for r in await stores.events.read_stream(stream, after_version=1, limit=2)] == [2, 3]


async def test_read_up_to_an_instant_includes_events_recorded_exactly_then(stores: Stores) -> None:
    stream = uuid.uuid4()
    [first] = await stores.events.append(stream, 0, [registered()], META)
    await asyncio.sleep(0.01)
    [second] = await stores.events.append(stream, 1, [CustomerEmailVerified(email="ann@example.com")], META)

    assert await stores.events.read_stream(stream, as_of=first.recorded_at) == [first]
    assert await stores.events.read_stream(stream, as_of=first.recorded_at - timedelta(milliseconds=1)) == []
    assert await stores.events.read_stream(stream, as_of=second.recorded_at) == [first, second]


async def test_read_a_stream_after_a_global_position(stores: Stores) -> None:
    order, other = uuid.uuid4(), uuid.uuid4()
    [placing] = await stores.events.append(order, 0, [placed(uuid.uuid4())], META)
    [elsewhere] = await stores.events.append(other, 0, [registered()], META)
    [shipping] = await stores.events.append(order, 1, [shipped()], META)

    assert await stores.events.read_stream(order, after_position=placing.position) == [shipping]
    assert await stores.events.read_stream(order, after_position=elsewhere.position) == [shipping]
    assert await stores.events.read_stream(order, after_position=shipping.position) == []
    assert [r.version for r in await stores.events.read_stream(order, after_position=0, limit=1)] == [1]


async def test_read_the_log_filtered_by_event_type_or_stream_type(stores: Stores) -> None:
    order = uuid.uuid4()
    [customer] = await stores.events.append(uuid.uuid4(), 0, [registered()], META)
    [placing] = await stores.events.append(order, 0, [placed(customer.stream_id)], META)
    [verified] = await stores.events.append(
        customer.stream_id, 1, [CustomerEmailVerified(email="ann@example.com")], META
    )
    [cancelling] = await stores.events.append(order, 1, [cancelled(customer.stream_id)], META)
    read_all = stores.events.read_all

    assert await read_all(types=["OrderCancelled", "CustomerRegistered"]) == [customer, cancelling]
    assert await read_all(stream_types=["Customer"]) == [customer, verified]
    assert await read_all(placing.position, stream_types=["Order"]) == [cancelling]
    assert await read_all(stream_types=["Order"], limit=1) == [placing]
    assert await read_all(types=["OrderPlaced", "OrderCancelled"], stream_types=["Order"]) == [
        placing,
        cancelling,
    ]
    assert await read_all(types=[]) == []
    assert await read_all(types=["OrderShipped"]) == []


async def test_stale_expected_version_is_a_conflict_and_records_nothing(stores: Stores) -> None:
    stream = uuid.uuid4()
    await stores.events.append(stream, 0, [registered()], META)

    with pytest.raises(StreamVersionConflict):
        await stores.events.append(stream, 0, [registered("Bob")], META)
    with pytest.raises(StreamVersionConflict):
        await stores.events.append(stream, 5, [CustomerEmailVerified(email="ann@example.com")], META)
    assert [r.version for r in await stores.events.read_stream(stream)] == [1]
    assert len(await stores.events.read_all()) == 1


async def test_twenty_concurrent_appends_at_one_version_exactly_one_wins(stores: Stores) -> None:
    stream = uuid.uuid4()
    await stores.events.append(stream, 0, [placed(uuid.uuid4())], META)

    results = await asyncio.gather(
        *(
            stores.events.append(
                stream,
                1,
                [OrderShipped(currency="EUR", carrier=f"c{i}", tracking_number=str(i), placed_at=PLACED_AT)],
                META,
            )
            for i in range(20)
        ),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, list)]
    conflicts = [r for r in results if isinstance(r, StreamVersionConflict)]
    assert (len(winners), len(conflicts)) == (1, 19), results
    history = await stores.events.read_stream(stream)
    assert [r.version for r in history] == [1, 2]
    assert history[1] == winners[0][0]


async def test_concurrent_appends_to_different_streams_all_land_with_unique_positions(stores: Stores) -> None:
    streams = [uuid.uuid4() for _ in range(20)]
    await asyncio.gather(*(stores.events.append(s, 0, [registered()], META) for s in streams))

    log = await stores.events.read_all(limit=100)
    assert sorted(r.stream_id for r in log) == sorted(streams)
    assert len({r.position for r in log}) == 20


async def test_a_multi_event_append_lands_whole(stores: Stores) -> None:
    stream = uuid.uuid4()
    events = [
        placed(uuid.uuid4()),
        OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=PLACED_AT),
    ]
    recorded = await stores.events.append(stream, 0, events, META)

    assert [r.version for r in recorded] == [1, 2]
    assert recorded[1].position == recorded[0].position + 1
    assert await stores.events.read_stream(stream) == recorded


async def test_a_multi_event_append_that_conflicts_lands_not_at_all(stores: Stores) -> None:
    stream = uuid.uuid4()
    await stores.events.append(stream, 0, [placed(uuid.uuid4())], META)
    await stores.events.append(
        stream,
        1,
        [OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=PLACED_AT)],
        META,
    )
    before = await stores.events.read_all()

    # Versions 2 and 3: version 2 is taken, so version 3 must not land either.
    with pytest.raises(StreamVersionConflict):
        await stores.events.append(
            stream,
            1,
            [
                OrderCancelled(
                    currency="EUR",
                    reason="x",
                    customer_id=uuid.uuid4(),
                    lines=(),
                    total=Decimal(0),
                    placed_at=PLACED_AT,
                ),
                OrderShipped(currency="EUR", carrier="UPS", tracking_number="2", placed_at=PLACED_AT),
            ],
            META,
        )
    assert await stores.events.read_all() == before


async def test_read_streams_returns_many_streams_at_once(stores: Stores) -> None:
    customer, product, missing = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await stores.events.append(customer, 0, [registered()], META)
    await stores.events.append(customer, 1, [CustomerEmailVerified(email="ann@example.com")], META)
    await stores.events.append(
        product, 0, [ProductCreated(currency="EUR", sku="S", name="N", price=Decimal("1.00"))], META
    )

    streams = await stores.events.read_streams([customer, product, missing])

    assert set(streams) == {customer, product}
    assert [r.version for r in streams[customer]] == [1, 2]
    assert await stores.events.read_streams([]) == {}


async def test_data_survives_reopening(location: StoreLocation) -> None:
    stream = uuid.uuid4()

    first = await location.open()
    recorded: list[RecordedEvent] = await first.events.append(stream, 0, [registered()], META)
    await first.close()
    second = await location.open()
    try:
        assert await second.events.read_stream(stream) == recorded
        [next_one] = await second.events.append(uuid.uuid4(), 0, [registered("Bob")], META)
        assert next_one.position > recorded[0].position
    finally:
        await second.close()


async def test_ping_answers_while_the_database_is_up(stores: Stores) -> None:
    await stores.events.ping()


async def test_two_writers_on_one_database_interleave_without_losing_or_reusing_positions(
    stores: Stores, location: StoreLocation
) -> None:
    """Two processes (here: two independently opened stores) share one log."""
    other = await location.open()
    try:
        writers = [stores, other] * 10
        streams = [uuid.uuid4() for _ in writers]
        await asyncio.gather(
            *(w.events.append(s, 0, [registered()], META) for w, s in zip(writers, streams, strict=True))
        )
    finally:
        await other.close()

    log = await stores.events.read_all(limit=100)
    assert sorted(r.stream_id for r in log) == sorted(streams)
    assert [r.position for r in log] == list(range(log[0].position, log[0].position + 20))


async def test_recorded_at_never_runs_backwards_along_the_log_between_writers_whose_clocks_differ(
    location: StoreLocation,
) -> None:
    """Two processes (two stores opened apart) whose clocks are 3 s apart, taking turns."""
    now = datetime.now(UTC)
    ahead = await location.open(clock=lambda: now + timedelta(seconds=3))
    behind = await location.open(clock=lambda: now)
    try:
        for writer in [ahead, behind] * 3:
            await writer.events.append(uuid.uuid4(), 0, [registered()], META)
        log = await behind.events.read_all(limit=100)
    finally:
        await ahead.close()
        await behind.close()

    assert [r.position for r in log] == list(range(1, 7))
    recorded = [r.recorded_at for r in log]
    assert recorded == sorted(recorded)
    assert recorded[0] > now + timedelta(seconds=2)


async def test_position_before_an_instant_bounds_a_window_of_the_log(location: StoreLocation) -> None:
    start = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    instants = iter(
        [start, start + timedelta(minutes=1), start + timedelta(minutes=1), start + timedelta(minutes=5)]
    )
    stores = await location.open(clock=lambda: next(instants))
    try:
        for _ in range(4):
            await stores.events.append(uuid.uuid4(), 0, [registered()], META)
        before = stores.events.position_before
        assert await before(start) == 0
        assert await before(start + timedelta(microseconds=1000)) == 1
        # Events recorded at the same instant are all before a later one, none before theirs.
        assert await before(start + timedelta(minutes=1)) == 1
        assert await before(start + timedelta(minutes=2)) == 3
        assert await before(start + timedelta(days=1)) == 4
    finally:
        await stores.close()
