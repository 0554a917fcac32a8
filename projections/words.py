"""The words a read model's documents are searched by (`Query.words`), kept beside the fields they
come from."""

from collections.abc import Callable

from domain.events import ERASED
from store.documents import Document, Words, words_of
from store.events import RecordedEvent

WORDS = "words"
"""The field that holds them."""

Evolve = Callable[[Document | None, RecordedEvent], Document | None]


def _searched(value: object) -> list[str]:
    """The texts of a field's value that give words: an erased field's placeholder gives none."""
    if isinstance(value, str):
        return [value] if value != ERASED else []
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str) and item != ERASED]
    return []


def with_words(evolve: Evolve, *fields: str) -> Evolve:
    """`evolve`, with each document it returns holding the words of its `fields` (strings, or lists
    of them) as they are after the event: whatever changes a field, its words follow. An erased
    field's placeholder gives none: an erased customer is found by no word at all. The words a
    document holds before the event are taken to be its fields' (this is what wrote them), so that an
    event that leaves the fields as they were splits none of them again."""

    def evolving(document: Document | None, recorded: RecordedEvent) -> Document | None:
        evolved = evolve(document, recorded)
        if evolved is None:
            return None
        if (
            document is not None
            and WORDS in document
            and all(evolved.get(field) == document.get(field) for field in fields)
        ):
            return {**evolved, WORDS: list(document[WORDS])}
        texts = [text for field in fields for text in _searched(evolved.get(field))]
        return {**evolved, WORDS: words_of(*texts)}

    return evolving


def starting(text: str) -> Words:
    """Documents with a word starting with each word of `text` (as typed into a lookup)."""
    return Words(WORDS, prefixes=tuple(words_of(text)))


def typed(text: str) -> Words:
    """Documents with each word of `text`, the last one perhaps not typed to its end yet."""
    words = words_of(text)
    return Words(WORDS, whole=tuple(words[:-1]), prefixes=tuple(words[-1:]))
