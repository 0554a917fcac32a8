from datetime import timedelta

import pytest

from domain.events import CustomerEmailChanged, CustomerErased, CustomerRegistered
from projections.order_search import PROJECTION
from projections.projection import Match
from tests.projections.given import START, fold, log
from tests.projections.history import (
    ANN,
    BOB,
    FIRST,
    PLACED_FIRST,
    PLACED_SECOND,
    PLACED_THIRD,
    SECOND,
    SHIPPED,
    THIRD,
    cancelled,
)

LATER = START + timedelta(hours=1)
ANN_MOVES = CustomerEmailChanged(email="ann@lee.example", previous_email="ann@example.com")


def test_an_order_is_found_by_who_ordered_it_and_what_is_in_it() -> None:
    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, START)))

    assert documents == {
        str(FIRST): {
            "_id": str(FIRST),
            "_position": 1,
            "customerId": str(ANN),
            "customerName": "Ann Lee",
            "customerEmail": "ann@example.com",
            "products": ["Widget", "W-1", "Gadget", "G-1"],
            "trackingNumber": None,
            "placedAt": START,
            "words": ["ann", "lee", "example", "com", "widget", "w", "1", "gadget", "g"],
        }
    }


def test_a_shipped_order_is_found_by_its_tracking_number() -> None:
    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, START), (FIRST, SHIPPED, LATER)))

    assert documents[str(FIRST)]["trackingNumber"] == "JD014600"
    assert documents[str(FIRST)]["words"][-1] == "jd014600"


def test_a_changed_email_finds_every_order_of_that_customer_and_no_other() -> None:
    events = log(
        (FIRST, PLACED_FIRST, START),
        (SECOND, PLACED_SECOND, START),
        (THIRD, PLACED_THIRD, START),
        (ANN, ANN_MOVES, LATER),
    )

    documents = fold(PROJECTION, events)

    assert PROJECTION.touches(events[-1]) == [Match("customerId", str(ANN))]
    assert {key: document["customerEmail"] for key, document in documents.items()} == {
        str(FIRST): "ann@lee.example",
        str(SECOND): "ann@lee.example",
        str(THIRD): "bob@example.com",
    }
    placed_only = fold(PROJECTION, events[:1])[str(FIRST)]
    assert documents[str(FIRST)] == {
        **placed_only,
        "_position": 4,
        "customerEmail": "ann@lee.example",
        "words": ["ann", "lee", "example", "widget", "w", "1", "gadget", "g"],
    }
    assert documents[str(THIRD)]["_position"] == 3


def test_an_email_change_of_a_customer_without_orders_changes_nothing() -> None:
    bob_registers = CustomerRegistered(name="Bob Ray", email="bob@example.com")
    events = log((BOB, bob_registers, START), (ANN, ANN_MOVES, LATER))

    assert fold(PROJECTION, events) == {}


def test_a_cancellation_leaves_the_order_findable() -> None:
    events = log((FIRST, PLACED_FIRST, START), (FIRST, cancelled(PLACED_FIRST, START), LATER))

    assert PROJECTION.touches(events[1]) == []
    assert fold(PROJECTION, events) == fold(PROJECTION, events[:1])


def test_shipping_an_order_it_has_never_seen_placed_is_an_error() -> None:
    with pytest.raises(ValueError, match=f"OrderShipped at position 1 changes Order {FIRST}"):
        fold(PROJECTION, log((FIRST, SHIPPED, START)))


def test_an_erasure_takes_the_name_and_email_out_of_every_order_of_that_customer_only() -> None:
    events = log(
        (FIRST, PLACED_FIRST, START),
        (SECOND, PLACED_SECOND, START),
        (THIRD, PLACED_THIRD, START),
        (ANN, CustomerErased(), LATER),
    )

    documents = fold(PROJECTION, events)

    assert PROJECTION.touches(events[-1]) == [Match("customerId", str(ANN))]
    assert documents[str(FIRST)] == {
        **fold(PROJECTION, events[:1])[str(FIRST)],
        "_position": 4,
        "customerName": None,
        "customerEmail": None,
        "words": ["widget", "w", "1", "gadget", "g"],
    }
    assert documents[str(SECOND)]["customerName"] is None
    assert documents[str(THIRD)]["customerEmail"] == "bob@example.com"
