"""Upcasters, given a stored payload of an older version, when upcast, then the current version's."""

import uuid
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given as for_all
from hypothesis import settings
from hypothesis import strategies as st

from domain import order, product
from domain.events import (
    EVENT_TYPES,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
    ProductCreated,
    ProductPriceChanged,
)
from domain.upcasting import UPCASTERS, Deployment, upcast
from tests.domain.given import START, given

IN_FRANCS = Deployment(currency="CHF")
ORDER, PRODUCT, CUSTOMER = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
LINE = {"productId": str(PRODUCT), "sku": "W-1", "name": "Widget", "quantity": 2, "unitPrice": "19.90"}


@pytest.mark.parametrize(
    ("type_name", "stored"),
    [
        ("ProductCreated", {"sku": "W-1", "name": "Widget", "price": "19.90"}),
        ("ProductPriceChanged", {"price": "21.00", "previousPrice": "19.90"}),
        (
            "OrderPlaced",
            {
                "customerId": str(CUSTOMER),
                "customerName": "Ann",
                "customerEmail": "ann@example.com",
                "lines": [LINE],
                "total": "39.80",
            },
        ),
        (
            "OrderShipped",
            {"carrier": "DHL", "trackingNumber": "1", "placedAt": START.isoformat()},
        ),
        (
            "OrderCancelled",
            {
                "reason": "changed my mind",
                "customerId": str(CUSTOMER),
                "lines": [LINE],
                "total": "39.80",
                "placedAt": START.isoformat(),
            },
        ),
    ],
)
def test_a_version_1_money_event_is_read_in_the_deployments_currency(
    type_name: str, stored: dict[str, Any]
) -> None:
    version, upcast_data = upcast(type_name, 1, stored, IN_FRANCS)

    current = EVENT_TYPES[type_name].schema_version
    assert (version, upcast_data) == (current, {**stored, "currency": "CHF"})
    event = EVENT_TYPES[type_name].model_validate(upcast_data)
    assert event.model_dump()["currency"] == "CHF"


def test_an_event_at_its_current_version_is_left_as_it_is() -> None:
    stored = {"sku": "W-1", "name": "Widget", "price": "19.90", "currency": "USD"}

    assert upcast("ProductCreated", 2, stored, IN_FRANCS) == (2, stored)


def test_an_event_without_upcasters_stays_at_its_version() -> None:
    assert upcast("OrderShipped", 5, {"carrier": "DHL"}, IN_FRANCS) == (5, {"carrier": "DHL"})


@pytest.mark.parametrize("type_name", ["CustomerRegistered", "CustomerEmailVerified", "OrderPlaced"])
def test_a_plaintext_event_from_before_sealing_is_read_as_it_is(type_name: str) -> None:
    """Personal fields recorded before they were sealed (version 1 of a customer's events, 2 of
    OrderPlaced) are the same fields a sealed event has once opened."""
    stored = {"email": "a@example.com", "currency": "EUR"}
    sealing_version = EVENT_TYPES[type_name].schema_version

    assert upcast(type_name, sealing_version - 1, stored, IN_FRANCS) == (sealing_version, stored)


def test_every_upcaster_lifts_by_one_version_to_a_version_that_exists() -> None:
    for type_name, version in UPCASTERS:
        assert EVENT_TYPES[type_name].schema_version > version


def test_an_upcaster_does_not_change_the_payload_it_is_given() -> None:
    stored = {"sku": "W-1", "name": "Widget", "price": "19.90"}
    upcast("ProductCreated", 1, stored, IN_FRANCS)
    assert stored == {"sku": "W-1", "name": "Widget", "price": "19.90"}


def _stored_at_version_1(event: Any) -> Any:
    """The payload a release before currencies recorded for the same fact."""
    stored = event.to_json_data()
    del stored["currency"]
    return stored


def _read(event: Any, deployment: Deployment) -> Any:
    version, data = upcast(event.type_name, 1, _stored_at_version_1(event), deployment)
    assert version == event.schema_version
    return type(event).model_validate(data)


prices = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2, allow_nan=False, allow_infinity=False
)
currencies = st.sampled_from(["EUR", "USD", "GBP", "JPY", "CHF"])
lines = st.lists(
    st.builds(
        # A function, not the model: hypothesis would also fill the model's aliases (unitPrice) itself.
        lambda **fields: PlacedLine(**fields),
        product_id=st.uuids(),
        sku=st.from_regex(r"[A-Z][A-Z0-9-]{0,8}", fullmatch=True),
        name=st.text(min_size=1, max_size=20),
        quantity=st.integers(1, 1000),
        unit_price=prices,
    ),
    min_size=1,
    max_size=5,
)
instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1)).map(
    lambda at: at.replace(tzinfo=START.tzinfo)
)


@settings(max_examples=50)
@for_all(price=prices, new_price=prices, recorded_in=currencies, deployed_in=currencies)
def test_a_product_upcast_from_version_1_folds_to_the_same_state_apart_from_the_currency(
    price: Decimal, new_price: Decimal, recorded_in: str, deployed_in: str
) -> None:
    history = [
        ProductCreated(sku="W-1", name="Widget", price=price, currency=recorded_in),
        ProductPriceChanged(price=new_price, previous_price=price, currency=recorded_in),
    ]
    deployment = Deployment(currency=deployed_in)

    as_recorded = given(product.evolve, PRODUCT, *history)
    as_upcast = given(product.evolve, PRODUCT, *(_read(event, deployment) for event in history))

    assert as_recorded is not None
    assert as_upcast == replace(as_recorded, currency=deployed_in)


@settings(max_examples=50)
@for_all(
    placed_lines=lines,
    recorded_in=currencies,
    deployed_in=currencies,
    placed_at=instants,
    cancel=st.booleans(),
)
def test_an_order_upcast_from_version_1_folds_to_the_same_state_apart_from_the_currency(
    placed_lines: list[PlacedLine], recorded_in: str, deployed_in: str, placed_at: datetime, cancel: bool
) -> None:
    total = sum((line.unit_price * line.quantity for line in placed_lines), Decimal(0))
    placed = OrderPlaced(
        customer_id=CUSTOMER,
        customer_name="Ann",
        customer_email="ann@example.com",
        lines=tuple(placed_lines),
        total=total,
        currency=recorded_in,
    )
    then: OrderCancelled | OrderShipped = (
        OrderCancelled(
            reason="r",
            customer_id=CUSTOMER,
            lines=placed.lines,
            total=total,
            currency=recorded_in,
            placed_at=placed_at,
        )
        if cancel
        else OrderShipped(carrier="DHL", tracking_number="1", currency=recorded_in, placed_at=placed_at)
    )
    deployment = Deployment(currency=deployed_in)

    as_recorded = given(order.evolve, ORDER, placed, then)
    as_upcast = given(order.evolve, ORDER, _read(placed, deployment), _read(then, deployment))

    assert as_recorded is not None
    assert as_upcast == replace(as_recorded, currency=deployed_in)
