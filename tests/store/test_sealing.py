"""Personal fields sealed with their customer's key, on SQLite and on MongoDB: what is stored holds none
of them in plaintext, every reader opens them, and once the key is erased every reader shows them erased
while every other field stays."""

import json
import sqlite3
import uuid
from decimal import Decimal
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.collection import Collection

from domain.errors import InvalidState
from domain.events import (
    ERASED,
    CustomerEmailChanged,
    CustomerRegistered,
    OrderPlaced,
    PlacedLine,
    UndecodedEvent,
)
from domain.values import Address
from store.connect import Stores, open_stores
from store.events import RecordedEvent
from tests.conftest import StoreLocation
from tests.mongo_commands import CapturedQueries
from tests.store.raw_events import record_raw

META = {"correlationId": "c-1"}
WIDGET = uuid.uuid4()
ADDRESS = Address(street="1 Rue Ann", city="Lyon", postal_code="69001", country="FR")


def registered() -> CustomerRegistered:
    return CustomerRegistered(name="Ann Secret", email="ann.secret@example.com", address=ADDRESS)


def placed(customer_id: uuid.UUID) -> OrderPlaced:
    line = PlacedLine(product_id=WIDGET, sku="W-1", name="Widget", quantity=2, unit_price=Decimal("5.00"))
    return OrderPlaced(
        customer_id=customer_id,
        customer_name="Ann Secret",
        customer_email="ann.secret@example.com",
        lines=(line,),
        total=Decimal("10.00"),
        currency="EUR",
    )


def stored_data(location: StoreLocation) -> list[tuple[str, int, str]]:
    """Every event's type, schema version and payload as the database holds them."""
    if location.mongodb_uri is None:
        with sqlite3.connect(location.data_dir / "eventfold.db") as connection:
            rows = connection.execute("SELECT type, schema_version, data FROM events ORDER BY position")
            return [(type_name, version, data) for type_name, version, data in rows]
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri, uuidRepresentation="standard") as client:
        events: Collection[dict[str, Any]] = client[location.mongodb_database or "eventfold"]["events"]
        return [
            (e["type"], e["schemaVersion"], json.dumps(e["data"], default=str))
            for e in events.find({}, sort=[("position", 1)])
        ]


async def customer_with_order(stores: Stores) -> tuple[uuid.UUID, uuid.UUID]:
    customer, order = uuid.uuid4(), uuid.uuid4()
    await stores.events.append(customer, 0, [registered()], META)
    await stores.events.append(
        customer,
        1,
        [CustomerEmailChanged(email="ann.new@example.com", previous_email="ann.secret@example.com")],
        META,
    )
    await stores.events.append(order, 0, [placed(customer)], META)
    return customer, order


async def every_reading(stores: Stores, customer: uuid.UUID, order: uuid.UUID) -> list[list[RecordedEvent]]:
    """The events as each way of reading them gives them."""
    streams = await stores.events.read_streams([customer, order])
    return [
        await stores.events.read_stream(customer) + await stores.events.read_stream(order),
        streams[customer] + streams[order],
        [recorded for recorded in await stores.events.read_all() if recorded.stream_id in (customer, order)],
    ]


async def test_personal_fields_are_stored_sealed_and_read_opened(
    stores: Stores, location: StoreLocation
) -> None:
    customer, order = await customer_with_order(stores)

    stored = stored_data(location)
    assert [(type_name, version) for type_name, version, _ in stored] == [
        ("CustomerRegistered", 2),
        ("CustomerEmailChanged", 2),
        ("OrderPlaced", 3),
    ]
    for _, _, data in stored:
        assert "secret" not in data.lower()
        assert "Lyon" not in data
        assert "ann.new" not in data
    assert "Widget" in stored[2][2]
    assert "10.00" in stored[2][2]
    for reading in await every_reading(stores, customer, order):
        assert [recorded.event for recorded in reading] == [
            registered(),
            CustomerEmailChanged(email="ann.new@example.com", previous_email="ann.secret@example.com"),
            placed(customer),
        ]


async def test_once_the_key_is_erased_every_reader_shows_the_fields_erased(stores: Stores) -> None:
    customer, order = await customer_with_order(stores)
    other, _ = await customer_with_order(stores)

    await stores.data_keys.erase(customer)

    for reading in await every_reading(stores, customer, order):
        first, changed, placement = (recorded.event for recorded in reading)
        assert first == CustomerRegistered(name=ERASED, email=ERASED, address=None)
        assert changed == CustomerEmailChanged(email=ERASED, previous_email=ERASED)
        assert placement == placed(customer).model_copy(
            update={"customer_name": ERASED, "customer_email": ERASED}
        )
    assert (await stores.events.read_stream(other))[0].event == registered()


async def test_no_personal_field_is_recorded_again_for_an_erased_customer(stores: Stores) -> None:
    customer, _ = await customer_with_order(stores)
    await stores.sealer.erase(customer)

    with pytest.raises(InvalidState, match="erased"):
        await stores.events.append(uuid.uuid4(), 0, [placed(customer)], META)


async def test_what_another_process_seals_with_a_key_it_saw_before_the_erasure_opens_nowhere(
    stores: Stores, location: StoreLocation
) -> None:
    customer, _ = await customer_with_order(stores)
    other = await location.open()
    try:
        await other.events.read_stream(customer)
        await stores.sealer.erase(customer)
        order = uuid.uuid4()
        await other.events.append(order, 0, [placed(customer)], META)
        [recorded] = await other.events.read_stream(order)
    finally:
        await other.close()

    assert recorded.event == placed(customer).model_copy(
        update={"customer_name": ERASED, "customer_email": ERASED}
    )


async def test_events_recorded_before_sealing_are_read_as_they_are(
    stores: Stores, location: StoreLocation
) -> None:
    customer = uuid.uuid4()
    record_raw(
        location,
        customer,
        1,
        "CustomerRegistered",
        1,
        {"name": "Old Ann", "email": "old@example.com"},
        "Customer",
    )

    [recorded] = await stores.events.read_stream(customer)

    assert recorded.event == CustomerRegistered(name="Old Ann", email="old@example.com")


async def test_a_box_moved_to_another_customer_does_not_open(stores: Stores, location: StoreLocation) -> None:
    ann = uuid.uuid4()
    await stores.events.append(ann, 0, [registered()], META)
    [(_, _, data)] = stored_data(location)
    box = json.loads(data)["sealed"]["box"]
    bob = uuid.uuid4()
    await stores.data_keys.keys_for({bob})
    record_raw(
        location,
        bob,
        1,
        "CustomerRegistered",
        2,
        {"sealed": {"subject": str(bob), "box": box}},
        "Customer",
    )

    [recorded] = await stores.events.read_stream(bob)

    assert isinstance(recorded.event, UndecodedEvent)
    assert "do not open" in recorded.event.reason


@pytest.mark.parametrize("backend", ["mongodb"])
async def test_a_page_of_the_log_looks_its_keys_up_once(stores: Stores, location: StoreLocation) -> None:
    for _ in range(3):
        await customer_with_order(stores)
    queries = CapturedQueries()
    counted = await open_stores(
        mongodb_uri=location.mongodb_uri,
        mongodb_database=location.mongodb_database,
        data_dir=location.data_dir,
        feed="tail",
        command_listeners=(queries,),
    )
    try:
        page = await counted.events.read_all(limit=100)
    finally:
        await counted.close()

    assert len(page) == 9
    assert [command.get("find") for command in queries.commands].count("data_keys") == 1


async def test_a_sealed_type_whose_payload_is_no_sealed_object_is_unreadable_not_an_error(
    stores: Stores, location: StoreLocation
) -> None:
    customer = uuid.uuid4()
    record_raw(location, customer, 1, "CustomerRegistered", 2, {"sealed": "nonsense"}, "Customer")
    record_raw(location, customer, 2, "CustomerEmailChanged", 2, {"email": "x@example.com"}, "Customer")

    first, second = (recorded.event for recorded in await stores.events.read_stream(customer))

    assert isinstance(first, UndecodedEvent)
    assert isinstance(second, UndecodedEvent)
    assert "sealed" in second.reason


def recorded_text(
    location: StoreLocation, stream_id: uuid.UUID, version: int, type_name: str, data: str
) -> None:
    """Append one stored event with its payload's text exactly as given."""
    with sqlite3.connect(location.data_dir / "eventfold.db") as connection:
        (position, at) = connection.execute(
            "SELECT coalesce(max(position), 0), coalesce(max(recorded_at), 0) FROM events"
        ).fetchone()
        connection.execute(
            "INSERT INTO events (position, id, stream_id, stream_type, version, type, schema_version, data,"
            " metadata, recorded_at) VALUES (?, ?, ?, 'Order', ?, ?, 3, ?, '{}', ?)",
            (position + 1, str(uuid.uuid4()), str(stream_id), version, type_name, data, at),
        )


@pytest.mark.parametrize("backend", ["sqlite"])
async def test_a_sealed_payload_reads_as_parsing_it_says_whatever_its_text_holds(
    stores: Stores, location: StoreLocation
) -> None:
    """A sealed payload laid out as the store writes it is read from its text without parsing it: what
    that text could mean otherwise parsed (escapes, a second sealed object, a personal field in
    plaintext too, a box another customer's key sealed) reads as parsing it says; its numbers read as
    pydantic reads them from any event's JSON."""
    ann, bob = uuid.uuid4(), uuid.uuid4()
    await stores.events.append(ann, 0, [registered()], META)
    await stores.events.append(bob, 0, [registered()], META)
    order = uuid.uuid4()
    await stores.events.append(order, 0, [placed(ann)], META)
    [(_, _, anns), (_, _, bobs), (_, _, text)] = stored_data(location)
    assert text.startswith('{"sealed":{"subject":"')
    box_of_bob = json.loads(bobs)["sealed"]["box"]
    others = text[text.index('"},') + 2 :]
    variants = {
        "quoted": text.replace('"name":"Widget"', '"name":"W\\"1\\u00e9"'),
        "sealed twice": text[:-1] + ',"sealed":{"subject":"' + str(bob) + '","box":"' + box_of_bob + '"}}',
        "in plaintext too": text[:-1] + ',"customerName":"Plain"}',
        "moved box": anns.replace(json.loads(anns)["sealed"]["box"], box_of_bob)[:-1] + others,
        "alone": '{"sealed":' + json.dumps(json.loads(text)["sealed"], separators=(",", ":")) + "}",
        "huge": text.replace('"quantity":2', '"quantity":' + "9" * 30),
    }
    for version, variant in enumerate(variants.values(), start=2):
        recorded_text(location, order, version, "OrderPlaced", variant)

    quoted, twice, plaintext_too, moved, alone, huge = (
        recorded.event for recorded in (await stores.events.read_stream(order))[1:]
    )

    assert isinstance(quoted, OrderPlaced)
    assert quoted.lines[0].name == 'W"1é'
    assert isinstance(twice, UndecodedEvent)
    assert "do not open" in twice.reason
    assert plaintext_too == placed(ann)
    assert isinstance(moved, UndecodedEvent)
    assert "do not open" in moved.reason
    assert isinstance(alone, UndecodedEvent)
    assert "does not fit" in alone.reason
    # Read as pydantic reads any event's JSON (an OrderCancelled's lines too), not as orjson would parse
    # it first (an integer beyond 64 bits, as a float that fits no quantity).
    assert isinstance(huge, OrderPlaced)
    assert huge.lines[0].quantity == int("9" * 30)
