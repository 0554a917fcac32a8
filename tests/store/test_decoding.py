"""Reading what is stored through the one decoding step, on both backends: older schema versions come
back upcast, and what this release cannot read comes back as it is stored, never as an exception."""

import uuid

from domain.events import CustomerRegistered, ProductCreated, ProductPriceChanged, UndecodedEvent
from domain.upcasting import Deployment
from tests.conftest import StoreLocation
from tests.store.raw_events import record_raw

META = {"correlationId": "c-1"}
V1_CREATED = {"sku": "W-1", "name": "Widget", "price": "19.90"}


async def test_a_version_1_event_is_read_at_the_current_version_in_the_deployments_currency(
    location: StoreLocation,
) -> None:
    product = uuid.uuid4()
    stores = await location.open(Deployment(currency="USD"))
    try:
        record_raw(location, product, 1, "ProductCreated", 1, V1_CREATED, stream_type="Product")
        await stores.events.append(
            product, 1, [ProductPriceChanged(price=1, previous_price=2, currency="USD")], META
        )

        stream = await stores.events.read_stream(product)
        log = await stores.events.read_all()
    finally:
        await stores.close()

    expected = ProductCreated(sku="W-1", name="Widget", price="19.90", currency="USD")
    assert [recorded.event for recorded in stream][:1] == [expected]
    assert [recorded.event for recorded in log][:1] == [expected]
    assert [recorded.schema_version for recorded in stream] == [2, 2]


async def test_an_event_of_a_type_this_release_does_not_know_is_read_as_it_is_stored(
    location: StoreLocation,
) -> None:
    order, customer = uuid.uuid4(), uuid.uuid4()
    stores = await location.open()
    try:
        position = record_raw(location, order, 1, "OrderGiftWrapped", 1, {"paper": "gold", "ribbons": 2})
        await stores.events.append(customer, 0, [CustomerRegistered(name="Ann", email="a@example.com")], META)

        [in_stream] = await stores.events.read_stream(order)
        log = await stores.events.read_all()
        streams = await stores.events.read_streams([order, customer])
    finally:
        await stores.close()

    assert isinstance(in_stream.event, UndecodedEvent)
    assert (in_stream.type, in_stream.schema_version, in_stream.position) == ("OrderGiftWrapped", 1, position)
    assert in_stream.event.to_json_data() == {"paper": "gold", "ribbons": 2}
    assert "no such event type" in in_stream.event.reason
    assert [recorded.type for recorded in log] == ["OrderGiftWrapped", "CustomerRegistered"]
    assert streams[order] == [in_stream]


async def test_an_event_of_a_newer_schema_version_or_that_does_not_fit_is_read_as_it_is_stored(
    location: StoreLocation,
) -> None:
    newer, broken = uuid.uuid4(), uuid.uuid4()
    stores = await location.open()
    try:
        record_raw(location, newer, 1, "ProductCreated", 3, {**V1_CREATED, "currency": "EUR", "vat": "0.19"})
        record_raw(location, broken, 1, "ProductCreated", 2, {"sku": "W-2"}, stream_type="Product")

        [from_newer] = await stores.events.read_stream(newer)
        [misfit] = await stores.events.read_stream(broken)
    finally:
        await stores.close()

    assert isinstance(from_newer.event, UndecodedEvent)
    assert "version 2, not 3" in from_newer.event.reason
    assert from_newer.event.to_json_data()["vat"] == "0.19"
    assert isinstance(misfit.event, UndecodedEvent)
    assert "does not fit" in misfit.event.reason
