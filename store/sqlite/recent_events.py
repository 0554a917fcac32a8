"""The events decoded last, by position, shared by everyone who reads the log.

Every read model follows the same log at about the same place, each with a feed of its own; without
this, each event was decoded once per read model, a third of what catching up cost.
"""

from collections import OrderedDict
from collections.abc import Callable

from store.events import RecordedEvent

SIZE = 10_000
"""About 30 MB of decoded events: runners that drift apart while catching up (the sales report is
the slowest) still share most of what they decode."""


class RecentEvents[Row]:
    def __init__(self, decode: Callable[[Row], RecordedEvent], size: int = SIZE) -> None:
        self._decode = decode
        self._size = size
        # Not a dict: popping a dict's first key again and again costs a scan over the holes that the
        # earlier pops left, which made evicting the slowest part of reading the log.
        self._by_position: OrderedDict[int, RecordedEvent] = OrderedDict()

    def decoded(self, position: int, row: Row) -> RecordedEvent:
        found = self._by_position.get(position)
        if found is None:
            found = self._by_position[position] = self._decode(row)
            if len(self._by_position) > self._size:
                # Positions arrive mostly in order, so the first inserted is about the oldest.
                self._by_position.popitem(last=False)
        return found
