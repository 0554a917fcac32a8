from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

from domain.events import OrderShipped
from projections.sales_report import PROJECTION
from tests.projections.given import START, fold, log
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


def sold(product_id: object, name: str, quantity: int, revenue: str) -> dict[str, object]:
    return {"productId": str(product_id), "name": name, "quantity": quantity, "revenue": Decimal(revenue)}


def test_a_day_counts_what_was_placed_shipped_and_cancelled_on_it() -> None:
    documents = fold(PROJECTION, TWO_DAYS)

    assert documents == {
        "2026-11-02": {
            "_id": "2026-11-02",
            "_position": 3,
            "day": MIDNIGHT_1,
            "ordersPlaced": 2,
            "ordersShipped": 1,
            "ordersCancelled": 0,
            "revenue": Decimal("90.10"),
            "products": {
                str(WIDGET): sold(WIDGET, "Widget", 4, "79.60"),
                str(GADGET): sold(GADGET, "Gadget", 2, "10.50"),
            },
        },
        "2026-11-03": {
            "_id": "2026-11-03",
            "_position": 5,
            "day": MIDNIGHT_2,
            "ordersPlaced": 1,
            "ordersShipped": 0,
            "ordersCancelled": 1,
            "revenue": Decimal("1.10"),
            "products": {
                str(WIDGET): sold(WIDGET, "Widget", -1, "-19.90"),
                str(GADGET): sold(GADGET, "Gadget", 4, "21.00"),
            },
        },
    }


def test_a_cancellation_on_the_day_of_placing_takes_the_order_back_out() -> None:
    documents = fold(
        PROJECTION,
        log(
            (FIRST, PLACED_FIRST, DAY_1),
            (SECOND, PLACED_SECOND, DAY_1),
            (FIRST, cancelled(PLACED_FIRST, DAY_1), DAY_1 + timedelta(hours=1)),
        ),
    )

    [bucket] = documents.values()
    assert (bucket["ordersPlaced"], bucket["ordersCancelled"], str(bucket["revenue"])) == (2, 1, "19.90")
    assert bucket["products"] == {
        str(WIDGET): sold(WIDGET, "Widget", 1, "19.90"),
        str(GADGET): sold(GADGET, "Gadget", 0, "0.00"),
    }


def test_days_are_utc_days() -> None:
    berlin_after_midnight = datetime(2026, 11, 3, 0, 30, tzinfo=timezone(timedelta(hours=2)))

    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, berlin_after_midnight)))

    assert list(documents) == ["2026-11-02"]
    assert documents["2026-11-02"]["day"] == MIDNIGHT_1


def test_a_shipment_counts_on_its_own_day_even_with_nothing_placed_then() -> None:
    documents = fold(
        PROJECTION, log((FIRST, OrderShipped(carrier="DHL", tracking_number="1", placed_at=DAY_1), DAY_2))
    )

    assert documents == {
        "2026-11-03": {
            "_id": "2026-11-03",
            "_position": 1,
            "day": MIDNIGHT_2,
            "ordersPlaced": 0,
            "ordersShipped": 1,
            "ordersCancelled": 0,
            "revenue": Decimal("0.00"),
            "products": {},
        }
    }


def test_products_of_several_customers_add_up() -> None:
    documents = fold(
        PROJECTION,
        log((FIRST, placed(ANN, line(GADGET, 1)), DAY_1), (SECOND, placed(BOB, line(GADGET, 3)), DAY_1)),
    )

    assert documents["2026-11-02"]["products"] == {str(GADGET): sold(GADGET, "Gadget", 4, "21.00")}
