"""A clock the test sets: events recorded at chosen instants."""

from dataclasses import dataclass
from datetime import UTC, datetime

START = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now
