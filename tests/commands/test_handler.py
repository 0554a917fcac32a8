"""The generic handler on a real store: ids derived, the recorded-events hook, idempotent repeats, retries."""

import uuid
from decimal import Decimal

import pytest

from commands.handler import CommandHandler, RetryPolicy
from commands.identity import product_id_for_sku
from domain.commands import CreateProduct, OrderLineInput, PlaceOrder, RegisterCustomer
from domain.errors import Conflict
from store.connect import Stores
from store.events import RecordedEvent, StreamVersionConflict

META = {"correlationId": "handler-test"}


class Heard:
    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, recorded: list[RecordedEvent]) -> None:
        self.batches.append([event.type for event in recorded])


async def test_each_append_is_heard_and_an_idempotent_repeat_answers_the_first_placement(
    stores: Stores,
) -> None:
    heard = Heard()
    handler = CommandHandler(stores.events, on_recorded=heard)
    customer_id = uuid.uuid4()
    await handler.handle(RegisterCustomer(customer_id=customer_id, name="Ann", email="ann@example.com"), META)
    created = await handler.handle(
        CreateProduct(currency="EUR", product_id=uuid.uuid4(), sku="W-1", name="Widget", price=Decimal(2)),
        META,
    )
    assert created.state.id == product_id_for_sku("W-1")
    place = PlaceOrder(
        order_id=uuid.uuid4(),
        customer_id=customer_id,
        lines=(OrderLineInput(product_id=created.state.id, quantity=2),),
        idempotency_key="checkout-1",
    )

    first = await handler.handle(place, META)
    again = await handler.handle(place.model_copy(update={"order_id": uuid.uuid4()}), META)

    assert again == first
    assert heard.batches == [["CustomerRegistered"], ["ProductCreated"], ["OrderPlaced"]]


async def test_a_command_that_keeps_losing_races_gives_up_after_the_policys_attempts(
    stores: Stores, monkeypatch: pytest.MonkeyPatch
) -> None:
    appends: list[int] = []

    async def always_raced(stream_id: uuid.UUID, expected_version: int, *_: object) -> list[RecordedEvent]:
        appends.append(expected_version)
        raise StreamVersionConflict(stream_id, expected_version)

    monkeypatch.setattr(stores.events, "append", always_raced)
    handler = CommandHandler(stores.events, retry=RetryPolicy(max_attempts=3, first_backoff=0, max_backoff=0))
    with pytest.raises(Conflict):
        await handler.handle(
            RegisterCustomer(customer_id=uuid.uuid4(), name="Ann", email="a@example.com"), META
        )
    assert appends == [0, 0, 0]
