"""One aggregate as one value, as Emmett's `Decider` type has it: what commands decide, how events evolve
the state, and the state before any event. The write side needs nothing else to handle any command."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

type Evolve[S] = Callable[[S | None, Any, UUID, datetime], S]
"""The state after one more event, given the stream it was recorded in and when."""


@dataclass(frozen=True, slots=True)
class Decider[C, E, S]:
    stream_type: str
    """The kind of entity the aggregate's streams hold, as recorded with each of their events."""
    decide: Callable[[C, S | None], Sequence[E]]
    evolve: Callable[[S | None, E, UUID, datetime], S]
    initial_state: S | None = None
    """None: no entity until its first event."""
