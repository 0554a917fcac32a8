"""Given/when/then for read models: record events as the store would, fold them as the runner will."""

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from uuid import UUID, uuid4

from domain.events import Event
from projections.projection import Key, Match, Projection
from store.documents import Document
from store.events import RecordedEvent

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)

Documents = dict[str, Document]


def log(*entries: tuple[UUID, Event, datetime]) -> list[RecordedEvent]:
    """(stream, event, instant) recorded in this order: positions from 1, versions counted per stream."""
    versions: dict[UUID, int] = {}
    recorded = []
    for position, (stream_id, event, at) in enumerate(entries, start=1):
        versions[stream_id] = versions.get(stream_id, 0) + 1
        recorded.append(
            RecordedEvent(
                id=uuid4(),
                stream_id=stream_id,
                stream_type=event.stream_type,
                version=versions[stream_id],
                position=position,
                recorded_at=at,
                event=event,
            )
        )
    return recorded


def loaded(documents: Mapping[str, Document], key: Key) -> list[tuple[str, Document | None]]:
    if isinstance(key, Match):
        return [
            (document["_id"], document)
            for document in documents.values()
            if document.get(key.field) == key.value
        ]
    return [(key, documents.get(key))]


def apply(projection: Projection, documents: Mapping[str, Document], recorded: RecordedEvent) -> Documents:
    """The documents after one event; those given are left as they were."""
    after = dict(documents)
    for key in projection.touches(recorded):
        for document_id, document in loaded(after, key):
            # The runner's guard against redelivery: a document already past this event keeps it.
            if document is not None and document["_position"] >= recorded.position:
                continue
            if document is None and projection.initial is not None:
                document = projection.initial(document_id)
            evolved = projection.evolve(document, recorded)
            if evolved is not None:
                after[document_id] = {**evolved, "_id": document_id, "_position": recorded.position}
    return after


def fold(projection: Projection, events: Iterable[RecordedEvent]) -> Documents:
    folded: Documents = {}
    for recorded in events:
        folded = apply(projection, folded, recorded)
    return folded
