"""`recorded_event`, the event stores' fast constructor, makes what RecordedEvent(...) makes."""

import dataclasses
import uuid
from datetime import UTC, datetime

import pytest

from domain.events import CustomerEmailVerified
from store.events import RecordedEvent, recorded_event


def test_recorded_event_equals_the_dataclass_built_from_the_same_fields_and_stays_frozen() -> None:
    fields = (
        uuid.uuid4(),
        uuid.uuid4(),
        "Customer",
        3,
        42,
        datetime(2026, 11, 29, tzinfo=UTC),
        CustomerEmailVerified(email="ann@example.com"),
        {"actor": "tester"},
    )
    made = recorded_event(*fields)

    assert type(made) is RecordedEvent
    assert made == RecordedEvent(*fields)
    assert repr(made) == repr(RecordedEvent(*fields))
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.version = 4  # type: ignore[misc]
