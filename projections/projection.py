"""What a read model declares: its collection, which documents an event touches, and how it evolves them."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from store.documents import Collection, Document
from store.events import RecordedEvent


@dataclass(frozen=True, slots=True)
class Match:
    """Every document of the collection whose `field` equals `value` (an indexed field)."""

    field: str
    value: Any


Key = str | Match
"""A document id, or a match on an indexed field."""


@dataclass(frozen=True, slots=True)
class Projection:
    name: str
    collection: Collection
    touches: Callable[[RecordedEvent], Sequence[Key]]
    """The documents an event changes; [] when the read model ignores it."""
    evolve: Callable[[Document | None, RecordedEvent], Document | None]
    """Pure: the document after the event, or None when the event changes nothing. Never mutates its
    input. The runner sets `_id` (the key it loaded) and `_position` (the event's position) itself."""
