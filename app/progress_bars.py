"""How the CLI shows a replay's progress: a bar whose total is the head of the log, with its rate and
time left."""

from typing import Any

from tqdm import tqdm


def show(bar: "tqdm[Any]", position: int, head: int) -> None:
    """`bar` at `position` of a log that ends at `head` (which moves while events arrive)."""
    bar.total = head
    bar.update(position - bar.n)
