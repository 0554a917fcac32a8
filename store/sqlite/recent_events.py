"""The events decoded last, by position, shared by everyone who reads the log.

Every read model follows the same log at about the same place, each with a feed of its own; without
this, each event was decoded once per read model, a third of what catching up cost.
"""

from collections.abc import Callable, Sequence
from typing import Any

from store.events import RecordedEvent

SIZE = 10_000
"""At most this many decoded events (about 30 MB), at least half of it: runners that drift apart
while catching up (the sales report is the slowest) still share most of what they decode."""


class RecentEvents[Row]:
    """Two generations: new events go into the young one; when it holds half the size it becomes the
    old one and the old one is dropped whole. Evicting one event at a time cost a twentieth of reading
    the log (popping a dict's first key again and again scans the holes earlier pops left)."""

    def __init__(self, decode: Callable[[Row], RecordedEvent], size: int = SIZE) -> None:
        self._decode = decode
        self._half = (size + 1) // 2
        self._young: dict[int, RecordedEvent] = {}
        self._old: dict[int, RecordedEvent] = {}

    def decoded(self, position: int, row: Row) -> RecordedEvent:
        found = self._young.get(position)
        if found is None:
            found = self._old.get(position)
            if found is None:
                found = self._young[position] = self._decode(row)
                if len(self._young) >= self._half:
                    self._old, self._young = self._young, {}
        return found

    def decoded_page[Page: tuple[Any, ...]](
        self: "RecentEvents[Page]", rows: Sequence[Page]
    ) -> list[RecordedEvent]:
        """`decoded` for each of a page of rows whose first column is the position, in one loop."""
        page: list[RecordedEvent] = []
        append, decode, half = page.append, self._decode, self._half
        for row in rows:
            position = row[0]
            found = self._young.get(position)
            if found is None:
                found = self._old.get(position)
                if found is None:
                    found = self._young[position] = decode(row)
                    if len(self._young) >= half:
                        self._old, self._young = self._young, {}
            append(found)
        return page
