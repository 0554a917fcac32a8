"""Given/when/then for deciders: fold the given events, decide, compare the events decided."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def given[S](
    evolve: Callable[[S | None, Any, UUID, datetime], S], stream_id: UUID, *events: object
) -> S | None:
    """The state after `events`, recorded one minute apart from START."""
    state: S | None = None
    for minute, event in enumerate(events):
        state = evolve(state, event, stream_id, START + timedelta(minutes=minute))
    return state
