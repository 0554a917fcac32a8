"""What a read model declares: its collection, which documents an event touches, and how it evolves them."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

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
    initial: Callable[[str], Document] | None = None
    """The document an id stands for before its first event, given to `evolve` instead of None: for
    read models whose documents are told apart by their id alone (one per day and product, say)."""
    history: tuple[tuple[str, ...], ...] | None = None
    """Keep every version of every document, valid from the event that made it until the next one,
    in `<collection>_history` with these indexes (None: no history). This is what `asOf` lists read."""
    cost: int = 1
    """The work of replaying the log into it, relative to the other read models (as measured: its
    rebuild's time beyond reading the log), by which projectors share the read models and a rebuild
    deals them out to processes evenly (`projections.projector.deal`)."""


HISTORY_SUFFIX = "_history"
FOREVER = datetime(9999, 12, 31, tzinfo=UTC)
"""`_validTo` of a version that is still current."""
ENTITY = "_entity"
"""The id of the document a history version is a version of."""


IDS_KEPT = 50_000
_id_texts: dict[int, str] = {}


def id_text(value: UUID) -> str:
    """`str(value)`, remembered: UUID.__str__ is Python code, and the read models turn the same few
    ids (an order's, its customer's, its products') into text several times per event. The memo is
    emptied whenever it fills, so that it stays bounded."""
    text = _id_texts.get(value.int)
    if text is None:
        if len(_id_texts) >= IDS_KEPT:
            _id_texts.clear()
        text = _id_texts[value.int] = str(value)
    return text


def history_name(collection: str) -> str:
    """The history collection beside `collection` (the physical name the read model lives in now)."""
    return collection + HISTORY_SUFFIX


def history_collection(projection: Projection, collection: str) -> Collection:
    # Its versions are searched by the same words as the documents.
    return Collection(
        name=history_name(collection), indexes=projection.history or (), words=projection.collection.words
    )


def version_id(document_id: str, position: int) -> str:
    """The id, in the history, of the version of a document that the event at `position` made."""
    return f"{document_id}@{position}"


def entity_id(document: Document) -> str:
    """The id of the document itself, or of the document a history version is a version of."""
    return str(document.get(ENTITY) or document["_id"])
