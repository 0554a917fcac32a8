"""An entity as its recorded events make it: the one replay that writes and `asOf` reads share."""

from collections.abc import Sequence

from domain.decider import Evolve
from domain.errors import InvalidState
from domain.events import UndecodedEvent
from store.events import RecordedEvent


def fold[S](evolve: Evolve[S], history: Sequence[RecordedEvent], state: S | None = None) -> S | None:
    for recorded in history:
        if isinstance(recorded.event, UndecodedEvent):
            # Folding past it would decide on, or show, a state that leaves out a fact.
            event = recorded.event
            raise InvalidState(
                f"{recorded.stream_type.lower()} {recorded.stream_id} holds an event this server cannot read "
                f"({event.type_name} at schema version {event.schema_version}, position {recorded.position}: "
                f"{event.reason}); a newer release reads it"
            )
        state = evolve(state, recorded.event, recorded.stream_id, recorded.recorded_at)
    return state


def fold_entity[S](kind: str, evolve: Evolve[S], history: Sequence[RecordedEvent]) -> S | None:
    """The entity a stream holds, or None when there is none of that kind: an id of another kind of
    entity (an order's id sent as a customer's) names no such entity."""
    if history and history[0].stream_type != kind:
        return None
    return fold(evolve, history)
