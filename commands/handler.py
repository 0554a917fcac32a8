"""Command handling: load the streams a command needs, fold them, decide, append.

A lost race (another writer appended first) is retried from a fresh load, as often as the retry policy
allows, only when the client did not pin an `expectedVersion`: with one, the client asked to be told.
"""

import asyncio
import random
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.fold import fold
from commands.identity import identified
from commands.routes import ROUTES, Route, Streams
from domain.commands import Command
from domain.errors import Conflict, NotFound
from store.events import EventStore, RecordedEvent, StreamVersionConflict
from store.ids import uuid4


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often a command that lost a race runs again, and how long it waits first: a random time
    under a ceiling that doubles from `first_backoff` up to `max_backoff` (seconds), so writers that
    collided once do not collide again in lockstep."""

    max_attempts: int = 10
    first_backoff: float = 0.002
    max_backoff: float = 0.1

    async def wait_before(self, attempt: int) -> None:
        if attempt:
            ceiling = min(self.max_backoff, self.first_backoff * 2**attempt)
            await asyncio.sleep(random.uniform(0, ceiling))


@dataclass(frozen=True, slots=True)
class Outcome[S]:
    """The aggregate as the write side now knows it, and what this command recorded."""

    state: S
    events: list[RecordedEvent]


type OnRecorded = Callable[[list[RecordedEvent]], None]


def _ignore(recorded: list[RecordedEvent]) -> None:
    pass


class CommandHandler:
    """Runs any command: `on_recorded` hears of the events each successful append recorded."""

    def __init__(
        self, events: EventStore, *, retry: RetryPolicy = RetryPolicy(), on_recorded: OnRecorded = _ignore
    ) -> None:
        self._events = events
        self._retry = retry
        self._on_recorded = on_recorded

    async def handle(self, command: Command, metadata: Mapping[str, str]) -> Outcome[Any]:
        command = identified(command)
        route: Route[Any] = ROUTES[type(command)]
        stream_id = route.stream_id(command)
        with_causation = _with_causation(metadata, command)
        for attempt in range(self._retry.max_attempts):
            await self._retry.wait_before(attempt)
            outcome = await self._attempt(route, command, stream_id, with_causation)
            if outcome is not None:
                return outcome
        raise Conflict(f"{stream_id} kept changing while this command ran; try again")

    async def _attempt(
        self, route: Route[Any], command: Command, stream_id: UUID, metadata: Mapping[str, str]
    ) -> Outcome[Any] | None:
        """The outcome, or None when another writer appended first and the command may run again."""
        streams = await self._read(stream_id, route.others(command))
        history = streams.get(stream_id, [])
        expected_version = _expected_version(command)
        state = _state(route, stream_id, history, expected_version)
        decided = route.decider.decide(route.given(command, streams), state)
        if not decided:
            return _unchanged(route, state, history)
        try:
            recorded = await self._events.append(stream_id, len(history), decided, metadata)
        except StreamVersionConflict:
            if expected_version is not None:
                raise Conflict(
                    f"{stream_id} changed while this command ran (expectedVersion {expected_version}); "
                    "reload it and try again"
                ) from None
            return None
        self._on_recorded(recorded)
        return Outcome(fold(route.decider.evolve, recorded, state), recorded)

    async def _read(self, stream_id: UUID, others: Sequence[UUID]) -> Streams:
        """Everything the decision needs, in one read."""
        if others:
            return await self._events.read_streams([stream_id, *others])
        return {stream_id: await self._events.read_stream(stream_id)}


def _expected_version(command: Command) -> int | None:
    """A command that has an `expected_version` may pin it; the others act on whatever version they find."""
    version: int | None = getattr(command, "expected_version", None)
    return version


def _state(
    route: Route[Any], stream_id: UUID, history: Sequence[RecordedEvent], expected_version: int | None
) -> Any:
    """The aggregate the stream holds now, refused when it is of another kind or not at the pinned version."""
    kind = route.decider.stream_type
    if history and history[0].stream_type != kind:
        raise NotFound(kind.lower(), stream_id)
    state = fold(route.decider.evolve, history, route.decider.initial_state)
    if expected_version is not None and state is not None and expected_version != len(history):
        raise Conflict(
            f"expectedVersion is {expected_version} but {stream_id} is at version {len(history)}; "
            "reload it and try again"
        )
    return state


def _unchanged(route: Route[Any], state: Any, history: Sequence[RecordedEvent]) -> Outcome[Any]:
    if route.idempotent:
        # A repeat answers exactly what the first run answered.
        first = list(history[:1])
        return Outcome(fold(route.decider.evolve, first, route.decider.initial_state), first)
    assert state is not None
    return Outcome(state, [])


def _with_causation(metadata: Mapping[str, str], command: Command) -> dict[str, str]:
    """Each command gets an id of its own; the events it records name it as their cause."""
    return {**metadata, "causationId": str(uuid4()), "command": type(command).__name__}
