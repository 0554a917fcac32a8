"""The document store port: the materialized collections that read models keep.

A document is a dict with a string `_id`. Values may be str, int, float, bool, None, lists, dicts,
`Decimal` and tz-aware `datetime`; each backend gives back the same Python values it was given
(datetimes in UTC; MongoDB keeps milliseconds). Every document also carries `_position`, the global
position of the last event applied to it: a write never replaces a document with one of a lower
`_position`, so a redelivered or stale batch cannot move a read model backwards.
"""

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

Document = dict[str, Any]

VALID_FROM = "_validFrom"
VALID_TO = "_validTo"
"""The interval of a version in a history collection."""


@dataclass(frozen=True, slots=True)
class Collection:
    """A materialized collection as its read model declares it."""

    name: str
    indexes: tuple[tuple[str, ...], ...] = ()
    """Ascending compound indexes on top-level fields (each query's equality fields, then its sort)."""
    words: tuple[str, ...] = ()
    """A top-level list of words (`words_of`) that `Query.words` searches, then the fields its queries
    sort by: on MongoDB a multikey index on them, on SQLite a table of (word, document) beside the
    collection."""


@dataclass(frozen=True, slots=True)
class Range:
    """`gte <= document[field] <= lte`, either bound optional (datetime, int or str fields)."""

    field: str
    gte: Any = None
    lte: Any = None


@dataclass(frozen=True, slots=True)
class Holding:
    """`document[start] <= instant < document[end]`."""

    instant: datetime
    start: str = VALID_FROM
    end: str = VALID_TO


@dataclass(frozen=True, slots=True)
class Words:
    """Documents whose list `field` (the collection's `words`) holds each of `whole` and, for each of
    `prefixes`, a word that starts with it. Give them as `words_of` makes them: a word of other
    characters, or in capitals, matches nothing."""

    field: str
    whole: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    equals: Mapping[str, Any] = field(default_factory=dict)
    range: Range | None = None
    sort: str = "_id"
    """Results are ordered by (sort, _id), both ascending or both descending."""
    descending: bool = False
    after: tuple[Any, str] | None = None
    """Keyset cursor: the (sort value, _id) of the last document of the previous page."""
    limit: int = 20
    holding: Holding | None = None
    """Only documents whose interval holds an instant (history versions valid then, for one)."""
    words: Words | None = None


class DocumentStore(Protocol):
    async def ensure(self, collection: Collection) -> None:
        """Create the collection and its indexes if they are missing (idempotent)."""
        ...

    async def get_many(self, collection: str, ids: Sequence[str]) -> dict[str, Document]:
        """The documents with these ids that exist, in one round trip."""
        ...

    async def find(self, collection: str, query: Query) -> list[Document]: ...

    async def bulk_upsert(self, collection: str, documents: Sequence[Document]) -> None:
        """Insert or replace whole documents in one round trip, except where the stored one has a
        higher `_position` (that one is kept)."""
        ...

    async def upsert_all(self, writes: Mapping[str, Sequence[Document]]) -> None:
        """`bulk_upsert` into each collection, in the mapping's order: on SQLite all in one
        transaction, on MongoDB one bulk write per collection (a crash between them leaves the first
        written, which is why a read model writes its history before its documents)."""
        ...

    async def delete(self, collection: str, ids: Sequence[str]) -> None: ...

    async def drop(self, collection: str) -> None: ...

    async def scrub(self) -> None:
        """Leave nothing of what was overwritten or deleted so far readable in the database's files,
        after an erasure. SQLite: every connection sets secure_delete, so freed pages and cells are
        zeroed (a collection's words among them); each FTS5 text index an earlier release left is
        merged (FTS5 keeps a deleted term in its older segments until then); and the write-ahead log is
        checkpointed and truncated, so that it keeps no old page.
        MongoDB: nothing a client can do; its storage engine reuses the space (see README)."""
        ...


NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,62}")
FIELD = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
RESERVED = frozenset({"events", "projection_state", "leases"})
"""The collections of the other ports on MongoDB: refused on both backends, so that a read model that
runs on one runs on the other."""
WORD = re.compile(r"[^\W_]+")
"""A word of what `words_of` indexes and searches: letters and digits, so that an email, a SKU or a
tracking number splits at every other character."""


def collection_name(name: str) -> str:
    # Names end up in SQL text and MongoDB namespaces, so only plain identifiers get there.
    if not NAME.fullmatch(name) or name in RESERVED:
        raise ValueError(f"invalid collection name {name!r}")
    return name


async def find_all(documents: DocumentStore, collection: str, query: Query) -> list[Document]:
    """Every document `query` matches, read `query.limit` at a time by its keyset cursor."""
    found: list[Document] = []
    while page := await documents.find(collection, query):
        found += page
        if len(page) < query.limit:
            break
        query = replace(query, after=(page[-1][query.sort], page[-1]["_id"]))
    return found


def field_name(field: str) -> str:
    # Names starting with $ or holding dots would be read as operators or paths.
    if not FIELD.fullmatch(field):
        raise ValueError(f"invalid field name {field!r}")
    return field


ASCII_WORDS = bytes(
    ord(char.casefold()) if char.isascii() and char.isalnum() else ord(" ") for char in map(chr, range(256))
)
"""For ASCII text, the case folded `WORD` characters and a space for every other: translating and
splitting bytes does in C what the Unicode regex does at over twice the cost."""


def words_of(*texts: str | None) -> list[str]:
    """The words of `texts`, case folded, each once, in the order they first appear."""
    # A space between the texts splits them as `WORD` would (case folding maps each character alone).
    joined = " ".join(filter(None, texts))
    if joined.isascii():
        found = joined.encode("ascii").translate(ASCII_WORDS).decode("ascii").split()
    else:
        found = WORD.findall(joined.casefold())
    return list(dict.fromkeys(found))
