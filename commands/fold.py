"""An entity as its recorded events make it: the one replay that writes and `asOf` reads share."""

from collections.abc import Sequence

from domain.decider import Evolve
from store.events import RecordedEvent


def fold[S](evolve: Evolve[S], history: Sequence[RecordedEvent], state: S | None = None) -> S | None:
    for recorded in history:
        state = evolve(state, recorded.event, recorded.stream_id, recorded.recorded_at)
    return state


def fold_entity[S](kind: str, evolve: Evolve[S], history: Sequence[RecordedEvent]) -> S | None:
    """The entity a stream holds, or None when there is none of that kind: an id of another kind of
    entity (an order's id sent as a customer's) names no such entity."""
    if history and history[0].stream_type != kind:
        return None
    return fold(evolve, history)
