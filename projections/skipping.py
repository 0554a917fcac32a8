"""Skipping, on purpose, the event a projection stopped at because this release cannot read it.

Used by `eventfold projections skip NAME POSITION` and by the admin mutation `skipEvent` alike. The
skip is recorded in the projection's state (durably, with the state's compare-and-set), so that the
runner, wherever it runs, goes on after it and every later rebuild passes over it too.
"""

from collections.abc import Collection
from dataclasses import replace
from datetime import UTC, datetime

from domain.errors import InvalidInput
from store.projection_state import ProjectionState, ProjectionStates

ATTEMPTS = 5


async def skip(states: ProjectionStates, names: Collection[str], name: str, position: int) -> ProjectionState:
    """The state with `position` skipped. Only the position the projection is stopped at may be
    skipped: anything else is InvalidInput (field "projection" for an unknown read model, "position"
    for the wrong position, saying where it is stopped, if anywhere)."""
    if name not in names:
        raise InvalidInput("projection", f"no read model named {name!r}; there are {', '.join(names)}")
    for _ in range(ATTEMPTS):
        state = await states.load(name)
        if state is None or state.stopped_at is None:
            raise InvalidInput("position", f"{name} is not stopped at any event, so there is nothing to skip")
        if state.stopped_at != position:
            raise InvalidInput(
                "position", f"{name} is stopped at position {state.stopped_at}, not {position}; skip that one"
            )
        # The generation moves on too, so that a rebuild about to swap over the state it read before
        # the skip is refused and swaps over this one instead, keeping the skip.
        skipped = replace(
            state,
            generation=state.generation + 1,
            skipped=tuple(sorted({*state.skipped, position})),
            updated_at=datetime.now(UTC),
        )
        if await states.save(skipped, expected_generation=state.generation):
            return skipped
    raise InvalidInput("projection", f"{name} kept changing while the skip was being recorded; try again")
