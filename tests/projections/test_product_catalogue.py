from datetime import timedelta
from decimal import Decimal

import pytest

from domain.events import ProductCreated, ProductPriceChanged
from projections.product_catalogue import PROJECTION
from tests.projections.given import START, fold, log
from tests.projections.history import WIDGET

CREATED = ProductCreated(currency="EUR", sku="W-1", name="Widget", price=Decimal("19.90"))
LATER = START + timedelta(days=3)


def test_a_created_product() -> None:
    documents = fold(PROJECTION, log((WIDGET, CREATED, START)))

    assert documents == {
        str(WIDGET): {
            "_id": str(WIDGET),
            "_position": 1,
            "sku": "W-1",
            "name": "Widget",
            "price": Decimal("19.90"),
            "currency": "EUR",
            "version": 1,
            "createdAt": START,
            "updatedAt": START,
            "words": ["widget", "w", "1"],
        }
    }


def test_the_latest_price_counts() -> None:
    documents = fold(
        PROJECTION,
        log(
            (WIDGET, CREATED, START),
            (
                WIDGET,
                ProductPriceChanged(currency="EUR", price=Decimal("21"), previous_price=Decimal("19.90")),
                START,
            ),
            (
                WIDGET,
                ProductPriceChanged(currency="EUR", price=Decimal("18.5"), previous_price=Decimal("21.00")),
                LATER,
            ),
        ),
    )

    document = documents[str(WIDGET)]
    assert (str(document["price"]), document["version"]) == ("18.50", 3)
    assert (document["createdAt"], document["updatedAt"]) == (START, LATER)
    assert (document["sku"], document["name"]) == ("W-1", "Widget")


def test_repricing_a_product_it_has_never_seen_created_is_an_error() -> None:
    repriced = ProductPriceChanged(currency="EUR", price=Decimal("21.00"), previous_price=Decimal("19.90"))

    with pytest.raises(ValueError, match=f"ProductPriceChanged at position 1 changes Product {WIDGET}"):
        fold(PROJECTION, log((WIDGET, repriced, START)))
