from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from domain.events import OrderShipped
from projections.sales_report import PROJECTION
from tests.projections.given import START, Documents, fold, log
from tests.projections.history import (
    ANN,
    BOB,
    DAY_2,
    FIRST,
    GADGET,
    PLACED_FIRST,
    PLACED_SECOND,
    PLACED_THIRD,
    SECOND,
    SHIPPED,
    THIRD,
    WIDGET,
    cancelled,
    line,
    placed,
)

DAY_1 = START
MIDNIGHT_1 = datetime(2026, 11, 2, tzinfo=UTC)
MIDNIGHT_2 = datetime(2026, 11, 3, tzinfo=UTC)
TWO_DAYS = log(
    (FIRST, PLACED_FIRST, DAY_1),  # 3 widgets (59.70) and 2 gadgets (10.50)
    (SECOND, PLACED_SECOND, DAY_1 + timedelta(hours=1)),  # 1 widget (19.90)
    (FIRST, SHIPPED, DAY_1 + timedelta(hours=2)),
    (SECOND, cancelled(PLACED_SECOND, DAY_1 + timedelta(hours=1)), DAY_2),
    (THIRD, PLACED_THIRD, DAY_2 + timedelta(hours=1)),  # 4 gadgets (21.00)
)


def sold(documents: Documents, day: str) -> dict[str, tuple[str, int, Decimal]]:
    """The products sold on `day`: (name, quantity, revenue) by product id."""
    return {
        document["productId"]: (document["name"], document["quantity"], document["revenue"])
        for key, document in documents.items()
        if key.startswith(f"{day}|EUR|")
    }


def test_a_day_counts_what_was_placed_shipped_and_cancelled_on_it() -> None:
    documents = fold(PROJECTION, TWO_DAYS)

    assert documents["2026-11-02|EUR"] == {
        "_id": "2026-11-02|EUR",
        "_position": 3,
        "kind": "day",
        "day": MIDNIGHT_1,
        "currency": "EUR",
        "ordersPlaced": 2,
        "ordersShipped": 1,
        "ordersCancelled": 0,
        "revenue": Decimal("90.10"),
    }
    assert documents["2026-11-03|EUR"] == {
        "_id": "2026-11-03|EUR",
        "_position": 5,
        "kind": "day",
        "day": MIDNIGHT_2,
        "currency": "EUR",
        "ordersPlaced": 1,
        "ordersShipped": 0,
        "ordersCancelled": 1,
        "revenue": Decimal("1.10"),
    }
    assert sold(documents, "2026-11-02") == {
        str(WIDGET): ("Widget", 4, Decimal("79.60")),
        str(GADGET): ("Gadget", 2, Decimal("10.50")),
    }
    assert sold(documents, "2026-11-03") == {
        str(WIDGET): ("Widget", -1, Decimal("-19.90")),
        str(GADGET): ("Gadget", 4, Decimal("21.00")),
    }


def test_each_product_of_a_day_is_a_document_of_its_own_changed_only_by_its_lines() -> None:
    documents = fold(PROJECTION, TWO_DAYS)

    assert documents[f"2026-11-02|EUR|{GADGET}"] == {
        "_id": f"2026-11-02|EUR|{GADGET}",
        "_position": 1,
        "kind": "product",
        "day": MIDNIGHT_1,
        "currency": "EUR",
        "productId": str(GADGET),
        "name": "Gadget",
        "quantity": 2,
        "revenue": Decimal("10.50"),
    }
    assert documents[f"2026-11-02|EUR|{WIDGET}"]["_position"] == 2
    assert len(documents) == 6


def test_a_cancellation_on_the_day_of_placing_takes_the_order_back_out() -> None:
    documents = fold(
        PROJECTION,
        log(
            (FIRST, PLACED_FIRST, DAY_1),
            (SECOND, PLACED_SECOND, DAY_1),
            (FIRST, cancelled(PLACED_FIRST, DAY_1), DAY_1 + timedelta(hours=1)),
        ),
    )

    day = documents["2026-11-02|EUR"]
    assert (day["ordersPlaced"], day["ordersCancelled"], str(day["revenue"])) == (2, 1, "19.90")
    assert sold(documents, "2026-11-02") == {
        str(WIDGET): ("Widget", 1, Decimal("19.90")),
        str(GADGET): ("Gadget", 0, Decimal("0.00")),
    }


def test_days_are_utc_days() -> None:
    berlin_after_midnight = datetime(2026, 11, 3, 0, 30, tzinfo=timezone(timedelta(hours=2)))

    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, berlin_after_midnight)))

    assert set(documents) == {"2026-11-02|EUR", f"2026-11-02|EUR|{GADGET}", f"2026-11-02|EUR|{WIDGET}"}
    assert {document["day"] for document in documents.values()} == {MIDNIGHT_1}


def test_a_shipment_counts_on_its_own_day_even_with_nothing_placed_then() -> None:
    documents = fold(
        PROJECTION,
        log(
            (FIRST, OrderShipped(currency="EUR", carrier="DHL", tracking_number="1", placed_at=DAY_1), DAY_2)
        ),
    )

    assert documents == {
        "2026-11-03|EUR": {
            "_id": "2026-11-03|EUR",
            "_position": 1,
            "kind": "day",
            "day": MIDNIGHT_2,
            "currency": "EUR",
            "ordersPlaced": 0,
            "ordersShipped": 1,
            "ordersCancelled": 0,
            "revenue": Decimal("0.00"),
        }
    }


def test_products_of_several_customers_add_up() -> None:
    documents = fold(
        PROJECTION,
        log((FIRST, placed(ANN, line(GADGET, 1)), DAY_1), (SECOND, placed(BOB, line(GADGET, 3)), DAY_1)),
    )

    assert sold(documents, "2026-11-02") == {str(GADGET): ("Gadget", 4, Decimal("21.00"))}


def test_each_currency_is_counted_apart() -> None:
    in_dollars = placed(BOB, line(GADGET, 2)).model_copy(update={"currency": "USD"})

    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, DAY_1), (THIRD, in_dollars, DAY_1)))

    assert (documents["2026-11-02|EUR"]["revenue"], documents["2026-11-02|USD"]["revenue"]) == (
        Decimal("70.20"),
        Decimal("10.50"),
    )
    assert documents[f"2026-11-02|USD|{GADGET}"]["quantity"] == 2
    assert documents[f"2026-11-02|EUR|{GADGET}"]["quantity"] == 2
