"""Searching a collection's words, whole and by prefix, on both backends: the contract customers,
products and searchOrders are read through."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from store.documents import WORD, Collection, Document, DocumentStore, Query, Range, Words, words_of
from tests.conftest import StoreLocation
from tests.store.test_document_store import doc, ids, opened

PEOPLE = Collection(name="people", indexes=(("name",),), words=("words", "name"))


def person(person_id: str, name: str, email: str, position: int = 1, **fields: Any) -> Document:
    return doc(person_id, position, name=name, email=email, words=words_of(name, email), **fields)


ALICE = person("p1", "Alice Smith", "alice@example.com", team="red")
SMITHY = person("p2", "Bob Smithers", "bob.smithers@mail.example.org", team="blue")
ZOE = person("p3", "Zoë Ålander", "zoe_a@example.com", team="red")
STRASSE = person("p4", "Jörg Straße", "j.strasse@example.de", team="blue")


@pytest.fixture
async def documents(location: StoreLocation) -> AsyncIterator[DocumentStore]:
    async with opened(location) as store:
        await store.ensure(PEOPLE)
        await store.bulk_upsert("people", [ALICE, SMITHY, ZOE, STRASSE])
        yield store


async def named(
    documents: DocumentStore, *prefixes: str, whole: tuple[str, ...] = (), **query: Any
) -> list[str]:
    words = Words("words", whole=whole, prefixes=prefixes)
    return ids(await documents.find("people", Query(words=words, sort="name", **query)))


def test_words_are_letters_and_digits_case_folded_each_once() -> None:
    assert words_of("Alice Smith", "alice.smith@Example.com") == ["alice", "smith", "example", "com"]
    assert words_of("Zoë Ålander", "zoe_a@x.io") == ["zoë", "ålander", "zoe", "a", "x", "io"]
    assert words_of("Straße", None, "JD-0146/00") == ["strasse", "jd", "0146", "00"]
    assert words_of("", "  --  ") == []


# ASCII text takes a path of its own: mixing it with the rest must not change a single word.
texts = st.lists(
    st.one_of(st.none(), st.text(alphabet=st.characters(max_codepoint=127)), st.text()), max_size=4
)


@given(texts=texts)
def test_words_are_the_case_folded_runs_of_letters_and_digits_of_each_text(texts: list[str | None]) -> None:
    found = [word for text in texts if text for word in WORD.findall(text.casefold())]
    assert words_of(*texts) == list(dict.fromkeys(found))


async def test_a_prefix_finds_every_document_with_a_word_starting_so(documents: DocumentStore) -> None:
    assert await named(documents, "ali") == ["p1"]
    assert await named(documents, "smi") == ["p1", "p2"]
    assert await named(documents, "smith") == ["p1", "p2"]
    assert await named(documents, "smithe") == ["p2"]
    assert await named(documents, "example") == ["p1", "p2", "p4", "p3"]
    assert await named(documents, "zoë") == ["p3"]
    assert await named(documents, "zo") == ["p3"]
    assert await named(documents, "stras") == ["p4"]
    assert await named(documents, "lice") == []
    assert await named(documents, "xyz") == []


async def test_whole_words_match_only_whole(documents: DocumentStore) -> None:
    assert await named(documents, whole=("smith",)) == ["p1"]
    assert await named(documents, whole=("smi",)) == []
    assert await named(documents, whole=("example",)) == ["p1", "p2", "p4", "p3"]


async def test_every_word_must_match(documents: DocumentStore) -> None:
    assert await named(documents, "ali", "smi") == ["p1"]
    assert await named(documents, "bob", "ali") == []
    assert await named(documents, "smi", whole=("bob",)) == ["p2"]
    assert await named(documents, "smi", whole=("mail",)) == ["p2"]
    assert await named(documents, "exa", whole=("com",)) == ["p1", "p3"]


async def test_words_combine_with_filters_sort_cursor_and_limit(documents: DocumentStore) -> None:
    assert await named(documents, "exa", equals={"team": "red"}) == ["p1", "p3"]
    assert await named(documents, "exa", limit=2) == ["p1", "p2"]
    assert await named(documents, "exa", limit=2, after=("Bob Smithers", "p2")) == ["p4", "p3"]
    assert await named(documents, "exa", descending=True, after=("Jörg Straße", "p4")) == ["p2", "p1"]
    assert await named(documents, "exa", range=Range("name", gte="B", lte="K")) == ["p2", "p4"]


async def test_words_follow_replacements_and_deletes(documents: DocumentStore) -> None:
    await documents.bulk_upsert("people", [person("p1", "Alice Jones", "aj@example.net", position=2)])
    await documents.bulk_upsert("people", [person("p1", "Stale Write", "stale@example.net", position=1)])
    assert await named(documents, "smi") == ["p2"]
    assert await named(documents, "jon") == ["p1"]
    assert await named(documents, "stale") == []
    # A write that changes other fields keeps the words it had.
    await documents.bulk_upsert("people", [{**person("p1", "Alice Jones", "aj@example.net", 3), "team": "x"}])
    assert await named(documents, "jon") == ["p1"]

    await documents.delete("people", ["p1", "p3"])
    assert await named(documents, "exa") == ["p2", "p4"]


async def test_words_declared_later_cover_what_is_already_stored(location: StoreLocation) -> None:
    async with opened(location) as store:
        await store.ensure(Collection(name="later"))
        stored = [person("l1", "Blue Widget", "w@x.io"), person("l2", "Red", "r@x.io")]
        await store.bulk_upsert("later", stored)
        await store.ensure(Collection(name="later", words=("words",)))
        await store.ensure(Collection(name="later", words=("words",)))

        found = await store.find("later", Query(words=Words("words", prefixes=("wid",))))
        assert ids(found) == ["l1"]


async def test_words_of_a_collection_never_written_or_without_words_find_nothing(
    location: StoreLocation,
) -> None:
    async with opened(location) as store:
        assert await store.find("nothing", Query(words=Words("words", prefixes=("a",)))) == []
        await store.ensure(Collection(name="plain"))
        await store.bulk_upsert("plain", [doc("p1", name="Ann")])
        assert await store.find("plain", Query(words=Words("words", prefixes=("a",)))) == []


async def test_a_prefix_is_taken_literally(documents: DocumentStore) -> None:
    await documents.bulk_upsert(
        "people", [doc("x1", name="X", words=["a.b", "a+"]), doc("x2", name="Y", words=["ab"])]
    )

    assert await named(documents, "a.") == ["x1"]
    assert await named(documents, "a+") == ["x1"]
    assert await named(documents, ".") == []
    assert await named(documents, "a", whole=("a.b",)) == ["x1"]


async def test_a_dropped_collection_takes_its_words_with_it(documents: DocumentStore) -> None:
    await documents.drop("people")
    await documents.ensure(PEOPLE)
    assert await named(documents, "ali") == []
    await documents.bulk_upsert("people", [ALICE])
    assert await named(documents, "ali") == ["p1"]
