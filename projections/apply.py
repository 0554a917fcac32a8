"""Apply a batch of events to one read model: one read, pure evolves, one bulk write (two with history);
after a batch that erased a customer's personal data, the store scrubs what it overwrote."""

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from domain.events import CustomerErased, UndecodedEvent
from projections.projection import ENTITY, FOREVER, Match, Projection, history_name, version_id
from store.documents import VALID_FROM, VALID_TO, Document, DocumentStore, Query, find_all
from store.events import RecordedEvent

logger = logging.getLogger("eventfold.projections")

MATCH_PAGE = 1000


class ProjectionFailed(Exception):
    """An event this read model cannot apply. The projection stops before it."""

    def __init__(self, projection: str, event: RecordedEvent, cause: Exception | str) -> None:
        super().__init__(
            f"{projection} cannot apply {event.type} at position {event.position} (event {event.id}): {cause}"
        )
        self.event = event


class UnreadableEvent(ProjectionFailed):
    """An event this release cannot decode (an unknown type, a newer schema version, data that does not
    fit). Every read model stops before it, even one that would ignore its type: none can tell whether
    it would have changed something. It waits there until the position is skipped on purpose."""

    def __init__(self, projection: str, event: RecordedEvent) -> None:
        assert isinstance(event.event, UndecodedEvent)
        super().__init__(
            projection,
            event,
            f"this release cannot read it (schema version {event.schema_version}: {event.event.reason}); "
            f"skip it with `eventfold projections skip {projection} {event.position}` or skipEvent",
        )


@dataclass(frozen=True, slots=True)
class Applied:
    position: int | None
    """The position of the last event applied and written (None: none of the batch)."""
    failure: ProjectionFailed | None = None


def _readable(
    projection: Projection, events: Sequence[RecordedEvent], skipped: Collection[int]
) -> tuple[list[RecordedEvent], UnreadableEvent | None]:
    """The events before the first one that cannot be read and is not skipped (and that one's failure).
    A skipped position is passed over whatever it holds."""
    readable: list[RecordedEvent] = []
    for event in events:
        if event.position in skipped:
            continue
        if isinstance(event.event, UndecodedEvent):
            return readable, UnreadableEvent(projection.name, event)
        readable.append(event)
    return readable, None


async def apply_batch(
    projection: Projection,
    documents: DocumentStore,
    collection: str,
    events: Sequence[RecordedEvent],
    skipped: Collection[int] = (),
) -> Applied:
    """Events are applied in order; a document skips events at or below its `_position`, which makes
    redelivery harmless. If one event fails, what came before it is still written. Positions in
    `skipped` are passed over; an event that cannot be read stops the batch just before it."""
    readable, unreadable = _readable(projection, events, skipped)
    touches = projection.touches
    # Most events touch nothing in a given read model: those are dropped here, once.
    touched = [(event, keys) for event in readable if (keys := touches(event))]
    working = await _load(documents, collection, [keys for _, keys in touched])
    changed: dict[str, Document] = {}
    versions: dict[str, Document] = {}
    failure: ProjectionFailed | None = None
    with_history = projection.history is not None
    for event, keys in touched:
        try:
            updates = _evolve_all(projection, working, event, keys)
        except Exception as error:  # noqa: BLE001 - any failure of a read model's code stops it here
            failure = ProjectionFailed(projection.name, event, error)
            break
        if with_history:
            _add_versions(versions, working, updates, event)
        working.update(updates)
        changed.update(updates)
    # History first: if the process dies in between (MongoDB), the events are applied again and
    # write the same.
    await documents.upsert_all(
        {history_name(collection): list(versions.values()), collection: list(changed.values())}
    )
    if changed and any(isinstance(event.event, CustomerErased) for event, _ in touched):
        # What the erased documents held before must not stay readable in the database's files either.
        await documents.scrub()
    failure = failure or unreadable
    # Everything before where it stopped is applied, skipped events included.
    stop = failure.event.position if failure is not None else None
    applied = max((event.position for event in events if stop is None or event.position < stop), default=None)
    return Applied(applied, failure)


def _add_versions(
    versions: dict[str, Document],
    working: dict[str, Document],
    updates: dict[str, Document],
    event: RecordedEvent,
) -> None:
    """Adds the version each update closes (valid until this event) and the one it opens."""
    position = event.position
    for doc_id, document in updates.items():
        previous = working.get(doc_id)
        if previous is not None:
            closed_id = version_id(doc_id, previous["_position"])
            versions[closed_id] = {
                **previous,
                "_id": closed_id,
                VALID_TO: event.recorded_at,
                ENTITY: doc_id,
                "_position": position,
            }
        opened_id = version_id(doc_id, position)
        versions[opened_id] = {**document, "_id": opened_id, ENTITY: doc_id, VALID_TO: FOREVER}


async def _load(
    documents: DocumentStore, collection: str, key_lists: Sequence[Sequence[str | Match]]
) -> dict[str, Document]:
    ids = {key for keys in key_lists for key in keys if isinstance(key, str)}
    matches = {key for keys in key_lists for key in keys if isinstance(key, Match)}
    loaded = await documents.get_many(collection, list(ids)) if ids else {}
    for match in matches:
        found = await find_all(
            documents, collection, Query(equals={match.field: match.value}, limit=MATCH_PAGE)
        )
        loaded.update((document["_id"], document) for document in found)
    return loaded


def _evolve_all(
    projection: Projection, working: dict[str, Document], event: RecordedEvent, keys: Sequence[str | Match]
) -> dict[str, Document]:
    """Every document the event changes, all or none (a failure leaves `working` untouched)."""
    updates: dict[str, Document] = {}
    for key in keys:
        if isinstance(key, str):
            targets: list[tuple[str, Document | None]] = [(key, working.get(key))]
        else:
            # Documents created earlier in this batch match too, not only those loaded.
            targets = [(doc_id, doc) for doc_id, doc in working.items() if doc.get(key.field) == key.value]
        for doc_id, current in targets:
            current = updates.get(doc_id, current)
            if current is not None and current["_position"] >= event.position:
                continue
            if current is None and projection.initial is not None:
                current = projection.initial(doc_id)
            evolved = projection.evolve(current, event)
            if evolved is not None:
                updates[doc_id] = {
                    **evolved,
                    "_id": doc_id,
                    "_position": event.position,
                    VALID_FROM: event.recorded_at,
                }
    return updates
