"""The shared cache of decoded events: each event decoded once while it is recent, and bounded."""

import uuid
from datetime import UTC, datetime

from domain.events import ProductCreated
from store.events import RecordedEvent
from store.sqlite.recent_events import RecentEvents


def recorded(position: int) -> RecordedEvent:
    return RecordedEvent(
        id=uuid.uuid4(),
        stream_id=uuid.uuid4(),
        stream_type="Product",
        version=1,
        position=position,
        recorded_at=datetime(2026, 11, 26, tzinfo=UTC),
        event=ProductCreated(currency="EUR", sku=f"P-{position}", name="Lamp", price=1),
        metadata={},
    )


def test_each_recent_event_is_decoded_once_and_the_oldest_are_forgotten() -> None:
    decoded: list[int] = []

    def decode(position: int) -> RecordedEvent:
        decoded.append(position)
        return recorded(position)

    recent = RecentEvents(decode, size=3)
    first = [recent.decoded(position, position) for position in (1, 2, 3)]
    again = [recent.decoded(position, position) for position in (1, 2, 3)]
    assert again == first
    assert decoded == [1, 2, 3]

    recent.decoded(4, 4)
    recent.decoded(1, 1)
    assert decoded == [1, 2, 3, 4, 1]
    assert recent.decoded(4, 4) is not None
    assert decoded == [1, 2, 3, 4, 1]


def test_a_page_of_rows_is_decoded_as_each_row_would_be() -> None:
    decoded: list[int] = []

    def decode(row: tuple[int, str]) -> RecordedEvent:
        decoded.append(row[0])
        return recorded(row[0])

    recent = RecentEvents(decode, size=4)
    first = recent.decoded_page([(1, "a"), (2, "b"), (3, "c")])
    again = recent.decoded_page([(2, "b"), (3, "c"), (4, "d")])
    assert [r.position for r in first] == [1, 2, 3]
    assert again[:2] == first[1:]
    assert [r.position for r in again] == [2, 3, 4]
    assert decoded == [1, 2, 3, 4]
