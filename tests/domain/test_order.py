import json
import uuid
from decimal import Decimal
from typing import Any

import pytest

from domain import customer, order, product
from domain.commands import CancelOrder, OrderLineInput, PlaceOrder, ShipOrder, request_fingerprint
from domain.errors import Conflict, InvalidState, NotFound
from domain.events import (
    CustomerErased,
    CustomerRegistered,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
    ProductCreated,
    ProductPriceChanged,
)
from tests.domain.given import START, given

ORDER, CUSTOMER, WIDGET, GADGET = (uuid.uuid4() for _ in range(4))
BUYER = given(customer.evolve, CUSTOMER, CustomerRegistered(name="Ann", email="ann@example.com"))
PRODUCTS = {
    WIDGET: given(
        product.evolve,
        WIDGET,
        ProductCreated(currency="EUR", sku="W-1", name="Widget", price=Decimal("19.90")),
    ),
    GADGET: given(
        product.evolve,
        GADGET,
        ProductCreated(currency="EUR", sku="G-1", name="Gadget", price=Decimal("5.25")),
    ),
}
CATALOGUE = {key: value for key, value in PRODUCTS.items() if value is not None}
PLACE = PlaceOrder(
    order_id=ORDER,
    customer_id=CUSTOMER,
    lines=(OrderLineInput(product_id=WIDGET, quantity=3), OrderLineInput(product_id=GADGET, quantity=2)),
)
PLACED = OrderPlaced(
    currency="EUR",
    customer_id=CUSTOMER,
    customer_name="Ann",
    customer_email="ann@example.com",
    lines=(
        PlacedLine(product_id=WIDGET, sku="W-1", name="Widget", quantity=3, unit_price=Decimal("19.90")),
        PlacedLine(product_id=GADGET, sku="G-1", name="Gadget", quantity=2, unit_price=Decimal("5.25")),
    ),
    total=Decimal("70.20"),
)


def test_placing_an_order_records_each_line_as_sold_then() -> None:
    assert order.place(PLACE, None, BUYER, CATALOGUE) == [PLACED]


def test_the_unit_price_is_the_price_when_the_order_is_placed() -> None:
    repriced = given(
        product.evolve,
        WIDGET,
        ProductCreated(currency="EUR", sku="W-1", name="Widget", price=Decimal("19.90")),
        ProductPriceChanged(currency="EUR", price=Decimal("21.00"), previous_price=Decimal("19.90")),
    )
    assert repriced is not None
    [placed] = order.place(PLACE, None, BUYER, {**CATALOGUE, WIDGET: repriced})
    assert isinstance(placed, OrderPlaced)
    assert placed.lines[0].unit_price == Decimal("21.00")
    assert placed.total == Decimal("73.50")


def test_the_order_decider_places_with_the_buyer_and_products_it_was_given() -> None:
    state = given(order.DECIDER.evolve, ORDER)
    assert order.DECIDER.decide(order.Placing(PLACE, BUYER, CATALOGUE), state) == [PLACED]


def test_an_unknown_customer_cannot_order() -> None:
    with pytest.raises(NotFound, match="customer"):
        order.place(PLACE, None, None, CATALOGUE)


def test_an_erased_customer_cannot_order() -> None:
    erased = given(
        customer.evolve, CUSTOMER, CustomerRegistered(name="Ann", email="a@example.com"), CustomerErased()
    )

    with pytest.raises(InvalidState, match="erased"):
        order.place(PLACE, None, erased, CATALOGUE)


def test_an_unknown_product_cannot_be_ordered() -> None:
    with pytest.raises(NotFound, match="product"):
        order.place(PLACE, None, BUYER, {WIDGET: CATALOGUE[WIDGET]})


def test_a_repeated_idempotency_key_decides_nothing() -> None:
    keyed = PLACE.model_copy(update={"idempotency_key": "k-1"})
    [placed] = order.place(keyed, None, BUYER, CATALOGUE)
    state = given(order.evolve, ORDER, placed)
    assert order.place(keyed, state, BUYER, CATALOGUE) == []


KEYED = PLACE.model_copy(update={"idempotency_key": "k-1"})
OTHER_REQUESTS: dict[str, dict[str, Any]] = {
    "another customer": {"customer_id": uuid.uuid4()},
    "another quantity": {"lines": (OrderLineInput(product_id=WIDGET, quantity=4), PLACE.lines[1])},
    "a line less": {"lines": PLACE.lines[:1]},
    "the lines in another order": {"lines": PLACE.lines[::-1]},
}


def test_a_keyed_placement_records_the_fingerprint_of_what_it_asked_for() -> None:
    fingerprint = request_fingerprint(CUSTOMER, [(WIDGET, 3), (GADGET, 2)])
    assert order.place(KEYED, None, BUYER, CATALOGUE) == [
        PLACED.model_copy(update={"idempotency_key": "k-1", "request_fingerprint": fingerprint})
    ]


@pytest.mark.parametrize("other", OTHER_REQUESTS.values(), ids=OTHER_REQUESTS.keys())
def test_another_request_under_a_used_key_is_a_conflict_that_tells_nothing_of_the_order(
    other: dict[str, Any],
) -> None:
    state = given(order.evolve, ORDER, *order.place(KEYED, None, BUYER, CATALOGUE))
    with pytest.raises(Conflict) as conflict:
        order.place(KEYED.model_copy(update=other), state, BUYER, CATALOGUE)
    for secret in (str(ORDER), str(CUSTOMER), "Ann", "ann@example.com", "Widget"):
        assert secret not in conflict.value.message


def test_a_placement_recorded_before_fingerprints_were_kept_is_judged_by_what_it_records() -> None:
    stored = {**PLACED.to_json_data(), "idempotencyKey": "k-1"}
    del stored["requestFingerprint"]
    state = given(order.evolve, ORDER, OrderPlaced.model_validate_json(json.dumps(stored)))

    assert order.place(KEYED, state, BUYER, CATALOGUE) == []
    with pytest.raises(Conflict):
        order.place(KEYED.model_copy(update=OTHER_REQUESTS["another quantity"]), state, BUYER, CATALOGUE)


def test_placing_over_an_existing_order_without_its_key_is_refused() -> None:
    state = given(order.evolve, ORDER, PLACED)
    with pytest.raises(InvalidState):
        order.place(PLACE, state, BUYER, CATALOGUE)


def test_ship_a_placed_order() -> None:
    state = given(order.evolve, ORDER, PLACED)
    decided = order.decide(ShipOrder(order_id=ORDER, carrier="DHL", tracking_number="JD01"), state)
    assert decided == [OrderShipped(currency="EUR", carrier="DHL", tracking_number="JD01", placed_at=START)]
    shipped = given(order.evolve, ORDER, PLACED, *decided)
    assert shipped is not None
    assert shipped.status is order.OrderStatus.SHIPPED
    assert (shipped.carrier, shipped.tracking_number, shipped.version) == ("DHL", "JD01", 2)
    assert shipped.shipped_at is not None
    assert shipped.shipped_at > shipped.placed_at == START


def test_cancel_a_placed_order() -> None:
    state = given(order.evolve, ORDER, PLACED)
    decided = order.decide(CancelOrder(order_id=ORDER, reason="changed my mind"), state)
    assert decided == [
        OrderCancelled(
            currency="EUR",
            reason="changed my mind",
            customer_id=CUSTOMER,
            lines=PLACED.lines,
            total=PLACED.total,
            placed_at=START,
        )
    ]
    cancelled = given(order.evolve, ORDER, PLACED, *decided)
    assert cancelled is not None
    assert (cancelled.status, cancelled.cancel_reason) == (order.OrderStatus.CANCELLED, "changed my mind")


@pytest.mark.parametrize(
    "history",
    [
        (PLACED, OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=START)),
        (
            PLACED,
            OrderCancelled(
                currency="EUR",
                reason="no",
                customer_id=CUSTOMER,
                lines=PLACED.lines,
                total=PLACED.total,
                placed_at=START,
            ),
        ),
    ],
)
@pytest.mark.parametrize(
    "command",
    [
        ShipOrder(order_id=ORDER, carrier="UPS", tracking_number="2"),
        CancelOrder(order_id=ORDER, reason="late"),
    ],
)
def test_only_a_placed_order_can_be_shipped_or_cancelled(
    history: tuple[object, ...], command: ShipOrder | CancelOrder
) -> None:
    state = given(order.evolve, ORDER, *history)
    with pytest.raises(InvalidState, match="only a PLACED order"):
        order.decide(command, state)


def test_shipping_an_unknown_order_is_not_found() -> None:
    with pytest.raises(NotFound):
        order.decide(ShipOrder(order_id=ORDER, carrier="UPS", tracking_number="2"), None)


def test_line_totals_and_total_are_in_cents() -> None:
    state = given(order.evolve, ORDER, PLACED)
    assert state is not None
    assert [order.line_total(line) for line in state.lines] == [Decimal("59.70"), Decimal("10.50")]
    assert state.total == Decimal("70.20")
