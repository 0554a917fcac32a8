"""What every read model promises the runner: replays change nothing, inputs stay as they were, events
it ignores touch nothing, and documents hold only values both backends store."""

import copy
from datetime import datetime
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest

from domain.events import ERASED
from projections import order_search
from projections import projection as projection_module
from projections.projection import Projection, id_text
from projections.read_models import ALL, BY_NAME
from projections.words import WORDS
from store.documents import words_of
from tests.projections.given import Documents, apply, fold
from tests.projections.history import HISTORY

HANDLED = {
    "order_summaries": {"OrderPlaced", "OrderShipped", "OrderCancelled"},
    "customer_profiles": {
        "CustomerRegistered",
        "CustomerAddressChanged",
        "CustomerEmailChanged",
        "CustomerEmailVerified",
    },
    "product_catalogue": {"ProductCreated", "ProductPriceChanged"},
    "sales_report": {"OrderPlaced", "OrderShipped", "OrderCancelled"},
    "order_search": {"OrderPlaced", "OrderShipped", "CustomerEmailChanged"},
    "order_open_days": {"OrderShipped", "OrderCancelled"},
}
STORABLE = {str, int, bool, type(None), list, dict, Decimal, datetime}
each_projection = pytest.mark.parametrize("projection", ALL, ids=lambda projection: projection.name)


def test_every_read_model_in_a_fixed_order() -> None:
    assert [projection.name for projection in ALL] == list(HANDLED)
    assert [projection.collection.name for projection in ALL] == list(HANDLED)


@each_projection
def test_the_history_gives_it_documents(projection: Projection) -> None:
    assert fold(projection, HISTORY)


@each_projection
def test_replaying_the_history_changes_nothing(projection: Projection) -> None:
    once = fold(projection, HISTORY)

    assert fold(projection, [*HISTORY, *HISTORY]) == once
    assert fold(projection, [*HISTORY[:9], *HISTORY[4:]]) == once


@each_projection
def test_evolving_leaves_the_documents_given_as_they_were(projection: Projection) -> None:
    documents: Documents = {}
    for recorded in HISTORY:
        before = copy.deepcopy(documents)
        after = apply(projection, documents, recorded)
        assert documents == before, recorded.type
        documents = after


@each_projection
def test_events_it_ignores_touch_nothing(projection: Projection) -> None:
    ignored = [recorded for recorded in HISTORY if recorded.type not in HANDLED[projection.name]]
    handled = [recorded for recorded in HISTORY if recorded.type in HANDLED[projection.name]]

    assert ignored
    assert [projection.touches(recorded) for recorded in ignored] == [[] for _ in ignored]
    assert fold(projection, HISTORY) == fold(projection, handled)


def stored_types(value: Any) -> set[type]:
    if isinstance(value, dict):
        assert all(type(key) is str for key in value)
        return {dict}.union(*(stored_types(item) for item in value.values()))
    if isinstance(value, list):
        return {list}.union(*(stored_types(item) for item in value))
    if isinstance(value, datetime):
        assert value.tzinfo is not None
    return {type(value)}


@each_projection
def test_documents_hold_only_values_every_backend_stores(projection: Projection) -> None:
    documents = fold(projection, HISTORY)

    assert stored_types(list(documents.values())) <= STORABLE


def test_ids_are_turned_into_text_as_str_does_even_once_the_memo_is_emptied(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(projection_module, "IDS_KEPT", 2)
    ids = [uuid4() for _ in range(5)]
    assert [id_text(value) for value in [*ids, *ids]] == [str(value) for value in [*ids, *ids]]
    assert len(projection_module._id_texts) <= 2


SEARCHED = {
    "customer_profiles": ("name", "email"),
    "product_catalogue": ("name", "sku"),
    "order_search": order_search.SEARCHED,
}


@pytest.mark.parametrize("name", SEARCHED)
def test_words_kept_from_before_an_event_are_those_of_the_fields_after_it(name: str) -> None:
    # Given the documents after each event of the history, carried over from the ones before
    documents: Documents = {}
    for recorded in HISTORY:
        documents = apply(BY_NAME[name], documents, recorded)
        # Then their words are the ones their fields give, as if each were evolved from nothing
        for document in documents.values():
            values = [document[field] for field in SEARCHED[name]]
            texts = [text for value in values for text in (value if isinstance(value, list) else [value])]
            assert document[WORDS] == words_of(*(text for text in texts if text != ERASED)), recorded.type
