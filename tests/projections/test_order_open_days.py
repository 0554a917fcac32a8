from datetime import timedelta

from projections.order_open_days import PROJECTION
from tests.projections.given import START, fold, log
from tests.projections.history import FIRST, PLACED_FIRST, SECOND, SHIPPED, cancelled


def test_an_open_order_has_no_documents_yet() -> None:
    assert fold(PROJECTION, log((FIRST, PLACED_FIRST, START))) == {}


def test_a_shipped_order_has_one_document_per_day_it_spent_placed() -> None:
    shipped_at = START + timedelta(days=2, hours=1)
    documents = fold(PROJECTION, log((FIRST, PLACED_FIRST, START), (FIRST, SHIPPED, shipped_at)))

    days = [(START + timedelta(days=n)).date().isoformat() for n in range(3)]
    assert sorted(documents) == [f"{day}:{FIRST}" for day in days]
    assert {(d["orderId"], d["placedAt"], d["closedAt"]) for d in documents.values()} == {
        (str(FIRST), SHIPPED.placed_at, shipped_at)
    }


def test_a_cancelled_order_within_a_day_has_one_document() -> None:
    documents = fold(
        PROJECTION,
        log(
            (SECOND, PLACED_FIRST, START),
            (SECOND, cancelled(PLACED_FIRST, START), START + timedelta(hours=1)),
        ),
    )
    assert list(documents) == [f"{START.date().isoformat()}:{SECOND}"]
