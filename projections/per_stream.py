"""What the read models with one document per stream share: which document an event touches, and
refusing an event whose document was never created (a gap in the feed, not something to paper over)."""

from collections.abc import Callable

from domain.events import Event
from projections.projection import Key, id_text
from store.documents import Document
from store.events import RecordedEvent


def own_stream(*event_types: type[Event]) -> Callable[[RecordedEvent], list[Key]]:
    """Touches: the document of the event's own stream, for events of these types."""

    def touches(recorded: RecordedEvent) -> list[Key]:
        return [id_text(recorded.stream_id)] if isinstance(recorded.event, event_types) else []

    return touches


def existing(document: Document | None, recorded: RecordedEvent) -> Document:
    if document is None:
        raise ValueError(
            f"{recorded.type} at position {recorded.position} changes {recorded.stream_type} "
            f"{recorded.stream_id}, which has no document"
        )
    return document
