from datetime import timedelta
from decimal import Decimal

import pytest

from domain.events import OrderPlaced, PlacedLine
from projections.order_summaries import PROJECTION
from tests.projections.given import START, fold, log
from tests.projections.history import (
    ANN,
    FIRST,
    GADGET,
    PLACED_FIRST,
    SHIPPED,
    WIDGET,
    cancelled,
)

LATER = START + timedelta(hours=2)
PLACED_DOCUMENT = {
    "_id": str(FIRST),
    "_position": 1,
    "customerId": str(ANN),
    "status": "PLACED",
    "lines": [
        {
            "productId": str(WIDGET),
            "sku": "W-1",
            "name": "Widget",
            "quantity": 3,
            "unitPrice": Decimal("19.90"),
            "lineTotal": Decimal("59.70"),
        },
        {
            "productId": str(GADGET),
            "sku": "G-1",
            "name": "Gadget",
            "quantity": 2,
            "unitPrice": Decimal("5.25"),
            "lineTotal": Decimal("10.50"),
        },
    ],
    "total": Decimal("70.20"),
    "currency": "EUR",
    "placedAt": START,
    "shippedAt": None,
    "carrier": None,
    "trackingNumber": None,
    "cancelledAt": None,
    "cancelReason": None,
    "version": 1,
    "placedPosition": 1,
}


def test_a_placed_order_shows_its_lines_as_sold() -> None:
    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, START)))

    assert documents == {str(FIRST): PLACED_DOCUMENT}


def test_a_shipped_order_shows_how_and_when() -> None:
    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, START), (FIRST, SHIPPED, LATER)))

    assert documents[str(FIRST)] == {
        **PLACED_DOCUMENT,
        "_position": 2,
        "status": "SHIPPED",
        "shippedAt": LATER,
        "carrier": "DHL",
        "trackingNumber": "JD014600",
        "version": 2,
    }


def test_a_cancelled_order_shows_when_and_why() -> None:
    documents = fold(
        PROJECTION,
        log((FIRST, PLACED_FIRST, START), (FIRST, cancelled(PLACED_FIRST, START, "too slow"), LATER)),
    )

    assert documents[str(FIRST)] == {
        **PLACED_DOCUMENT,
        "_position": 2,
        "status": "CANCELLED",
        "cancelledAt": LATER,
        "cancelReason": "too slow",
        "version": 2,
    }


def test_money_is_shown_in_cents() -> None:
    widget = PlacedLine(product_id=WIDGET, sku="W-1", name="Widget", quantity=1, unit_price=Decimal("19.9"))
    sloppy = OrderPlaced(
        currency="EUR",
        customer_id=ANN,
        customer_name="Ann",
        customer_email="a@b.c",
        lines=(widget,),
        total=Decimal("19.9"),
    )

    [document] = fold(PROJECTION, log((FIRST, sloppy, START))).values()

    assert (str(document["total"]), str(document["lines"][0]["unitPrice"])) == ("19.90", "19.90")


def test_shipping_an_order_it_has_never_seen_placed_is_an_error() -> None:
    with pytest.raises(ValueError, match=f"OrderShipped at position 1 changes Order {FIRST}"):
        fold(PROJECTION, log((FIRST, SHIPPED, START)))
