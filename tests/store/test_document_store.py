"""The document store contract. Every test runs on SQLite and on MongoDB (through PyMongo)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from store.documents import Collection, Document, DocumentStore, Holding, Query, Range, Words, words_of
from store.mongo.client import connect
from store.mongo.document_store import MongoDocumentStore
from store.sqlite.document_store import SqliteDocumentStore
from tests.conftest import StoreLocation

ORDERS = Collection(
    name="orders",
    indexes=(("status", "placedAt"), ("customerId", "placedAt")),
    words=("words",),
)
NOTES = Collection(name="notes")
# Milliseconds: what MongoDB keeps.
T0 = datetime(2026, 11, 26, 10, 0, 0, 123000, tzinfo=UTC)


def at(seconds: int) -> datetime:
    return T0 + timedelta(seconds=seconds)


def doc(document_id: str, position: int = 1, **fields: Any) -> Document:
    return {"_id": document_id, "_position": position, **fields}


def ids(documents: list[Document]) -> list[str]:
    return [document["_id"] for document in documents]


@asynccontextmanager
async def opened(location: StoreLocation) -> AsyncIterator[DocumentStore]:
    """The backend at `location`, on the database file or MongoDB database the event store uses."""
    if location.mongodb_uri:
        assert location.mongodb_database
        client = connect(location.mongodb_uri)
        try:
            yield await MongoDocumentStore.open(client, location.mongodb_database)
        finally:
            await client.close()
        return
    store = await SqliteDocumentStore.open(location.data_dir / "eventfold.db")
    try:
        yield store
    finally:
        await store.close()


@pytest.fixture
async def documents(location: StoreLocation) -> AsyncIterator[DocumentStore]:
    """A document store with the `orders` collection ensured."""
    async with opened(location) as store:
        await store.ensure(ORDERS)
        yield store


async def test_every_value_type_comes_back_as_it_was_stored(documents: DocumentStore) -> None:
    stored = doc(
        "o-1",
        3,
        text="Zoë ✓",
        count=2**40,
        ratio=0.1,
        flag=True,
        nothing=None,
        price=Decimal("19.90"),
        when=datetime(2026, 11, 26, 11, 0, 0, 123000, tzinfo=timezone(timedelta(hours=1))),
        mixed=["a", 1, None, Decimal("2.50")],
        nested={"when": T0, "amount": Decimal("59.70"), "inner": {"ok": False}, "empty": []},
    )
    await documents.bulk_upsert("orders", [stored])

    got = (await documents.get_many("orders", ["o-1"]))["o-1"]
    [found] = await documents.find("orders", Query())
    for document in (got, found):
        assert document == stored
        assert str(document["price"]) == "19.90"
        assert str(document["nested"]["amount"]) == "59.70"
        assert str(document["mixed"][3]) == "2.50"
        assert document["when"] == T0
        assert document["when"].utcoffset() == timedelta(0)
        assert document["nested"]["when"].utcoffset() == timedelta(0)
        assert document["flag"] is True
        assert document["nested"]["inner"]["ok"] is False
        assert isinstance(document["count"], int)
        assert isinstance(document["ratio"], float)


async def test_get_many_returns_only_the_ids_that_exist(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", [doc("a", status="PLACED"), doc("b")])

    found = await documents.get_many("orders", ["a", "missing", "b", "a"])

    assert found == {"a": doc("a", status="PLACED"), "b": doc("b")}
    assert await documents.get_many("orders", ["missing"]) == {}
    assert await documents.get_many("orders", []) == {}


async def test_an_upsert_replaces_the_whole_document(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", [doc("a", 1, status="PLACED", carrier=None)])
    await documents.bulk_upsert("orders", [doc("a", 2, status="SHIPPED")])
    assert await documents.get_many("orders", ["a"]) == {"a": doc("a", 2, status="SHIPPED")}

    # The same position again (a redelivered batch) is no conflict.
    await documents.bulk_upsert("orders", [doc("a", 2, status="SHIPPED", carrier="DHL")])
    assert await documents.get_many("orders", ["a"]) == {"a": doc("a", 2, status="SHIPPED", carrier="DHL")}


async def test_upsert_all_writes_each_collection_as_bulk_upsert_would(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", [doc("a", 5, status="SHIPPED")])

    await documents.upsert_all(
        {
            "orders_history": [doc("a@1", 1, status="PLACED"), doc("a@5", 5, status="SHIPPED")],
            "orders": [doc("a", 3, status="PLACED"), doc("b", 4, status="PLACED")],
            "untouched": [],
        }
    )

    assert await documents.get_many("orders", ["a", "b"]) == {
        "a": doc("a", 5, status="SHIPPED"),
        "b": doc("b", 4, status="PLACED"),
    }
    assert set(await documents.get_many("orders_history", ["a@1", "a@5"])) == {"a@1", "a@5"}
    assert await documents.find("untouched", Query()) == []


async def test_a_lower_position_never_replaces_a_higher_one(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", [doc("a", 5, status="SHIPPED")])

    await documents.bulk_upsert("orders", [doc("a", 3, status="PLACED"), doc("b", 4, status="PLACED")])
    await documents.bulk_upsert(
        "orders",
        [doc("c", 7, v="new"), doc("c", 6, v="old"), doc("d", 1, v="old"), doc("d", 2, v="new")],
    )

    assert await documents.get_many("orders", ["a", "b", "c", "d"]) == {
        "a": doc("a", 5, status="SHIPPED"),
        "b": doc("b", 4, status="PLACED"),
        "c": doc("c", 7, v="new"),
        "d": doc("d", 2, v="new"),
    }


LISTED = [
    doc("o1", 1, status="PLACED", customerId="c1", placedAt=at(0), total=10, sku="A-1", paid=True),
    doc("o2", 2, status="SHIPPED", customerId="c1", placedAt=at(1), total=20, sku="B-1", carrier="DHL"),
    doc("o3", 3, status="PLACED", customerId="c2", placedAt=at(2), total=30, sku="B-2", paid=False),
    doc("o4", 4, status="PLACED", customerId="c1", placedAt=at(3), total=40, sku="C-1", carrier=None),
]


async def test_equality_filters_and_sorting_either_way(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", LISTED[::-1])

    async def found(query: Query) -> list[str]:
        return ids(await documents.find("orders", query))

    placed = {"status": "PLACED"}
    assert await found(Query(equals=placed, sort="placedAt")) == ["o1", "o3", "o4"]
    assert await found(Query(equals=placed, sort="placedAt", descending=True)) == ["o4", "o3", "o1"]
    assert await found(Query(equals={**placed, "customerId": "c1"}, sort="placedAt")) == ["o1", "o4"]
    assert await found(Query(equals={"placedAt": at(2)})) == ["o3"]
    assert await found(Query(equals={"paid": True})) == ["o1"]
    assert await found(Query(equals={"total": 20})) == ["o2"]
    assert await found(Query(equals={"carrier": None})) == ["o1", "o3", "o4"]
    assert await found(Query(equals={"status": "LOST"})) == []
    assert await found(Query(descending=True)) == ["o4", "o3", "o2", "o1"]
    assert await found(Query(sort="placedAt", limit=2)) == ["o1", "o2"]
    assert await found(Query(sort="_position", descending=True, limit=1)) == ["o4"]


async def test_ranges_are_inclusive_and_either_bound_is_optional(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", LISTED)

    async def found(range_: Range, **query: Any) -> list[str]:
        return ids(await documents.find("orders", Query(range=range_, sort=range_.field, **query)))

    assert await found(Range("placedAt", gte=at(1), lte=at(2))) == ["o2", "o3"]
    assert await found(Range("placedAt", gte=at(2))) == ["o3", "o4"]
    assert await found(Range("placedAt", lte=at(1) - timedelta(milliseconds=1))) == ["o1"]
    since = Range("placedAt", gte=at(1))
    assert await found(since, equals={"status": "PLACED"}, descending=True) == ["o4", "o3"]
    assert await found(Range("total", gte=20, lte=30)) == ["o2", "o3"]
    assert await found(Range("total", lte=10)) == ["o1"]
    assert await found(Range("sku", gte="B", lte="B-2")) == ["o2", "o3"]


async def test_holding_keeps_the_documents_whose_interval_holds_the_instant(documents: DocumentStore) -> None:
    await documents.bulk_upsert(
        "notes",
        [
            doc("before", opened=at(0), closed=at(1)),
            doc("around", opened=at(1), closed=at(3)),
            doc("from_then", opened=at(2), closed=at(9)),
            doc("later", opened=at(3), closed=at(4)),
            doc("versioned", _validFrom=at(0), _validTo=at(5)),
        ],
    )

    async def holding(instant: datetime, start: str = "opened", end: str = "closed") -> list[str]:
        query = Query(holding=Holding(instant, start=start, end=end), sort="_id", range=Range("_id", lte="u"))
        return ids(await documents.find("notes", query))

    # The start is included, the end is not.
    assert await holding(at(1)) == ["around"]
    assert await holding(at(2)) == ["around", "from_then"]
    assert await holding(at(3)) == ["from_then", "later"]
    assert await holding(at(10)) == []
    assert ids(await documents.find("notes", Query(holding=Holding(at(4))))) == ["versioned"]


async def pages(documents: DocumentStore, query: Query) -> list[list[str]]:
    """Every page of the query, each one after the last document of the one before."""
    walked: list[list[str]] = []
    after: tuple[Any, str] | None = None
    for _ in range(10):
        page = await documents.find("orders", replace(query, after=after))
        if not page:
            return walked
        walked.append(ids(page))
        after = (page[-1][query.sort], page[-1]["_id"])
    raise AssertionError(f"the cursor does not move on: {walked}")


async def test_keyset_pages_split_ties_in_the_sort_field_without_losing_or_repeating(
    documents: DocumentStore,
) -> None:
    # Three placed at the same instant, told apart by their ids; one filtered out.
    await documents.bulk_upsert(
        "orders",
        [
            doc("e4", status="PLACED", placedAt=at(1)),
            doc("e1", status="PLACED", placedAt=at(0)),
            doc("e3", status="PLACED", placedAt=at(1)),
            doc("e5", status="PLACED", placedAt=at(2)),
            doc("e2", status="PLACED", placedAt=at(1)),
            doc("x1", status="SHIPPED", placedAt=at(1)),
        ],
    )
    placed = Query(equals={"status": "PLACED"}, sort="placedAt", limit=2)

    assert await pages(documents, placed) == [["e1", "e2"], ["e3", "e4"], ["e5"]]
    assert await pages(documents, replace(placed, descending=True)) == [["e5", "e4"], ["e3", "e2"], ["e1"]]
    assert await pages(documents, replace(placed, limit=3, range=Range("placedAt", lte=at(1)))) == [
        ["e1", "e2", "e3"],
        ["e4"],
    ]
    assert await pages(documents, Query(sort="_id", descending=True, limit=4)) == [
        ["x1", "e5", "e4", "e3"],
        ["e2", "e1"],
    ]


def searchable(document: Document) -> Document:
    texts = [document["customerName"], document["customerEmail"], document.get("trackingNumber")]
    return {**document, "words": words_of(*texts, *document["skus"])}


SEARCHABLE = [
    searchable(document)
    for document in (
        doc(
            "s1",
            1,
            status="PLACED",
            placedAt=at(0),
            customerName="Ann Lee",
            customerEmail="ann@example.com",
            trackingNumber="JD014600",
            skus=["W-1", "GADGET-9"],
        ),
        doc(
            "s2",
            2,
            status="SHIPPED",
            placedAt=at(1),
            customerName="Ann Smith",
            customerEmail="ann.smith@example.org",
            trackingNumber=None,
            skus=["W-2"],
        ),
        doc(
            "s3",
            3,
            status="PLACED",
            placedAt=at(2),
            customerName="Bob Lee",
            customerEmail="bob@example.com",
            skus=[],
        ),
    )
]


async def searched(documents: DocumentStore, text: str) -> list[str]:
    """The documents with every word of `text`, whole (tests/store/test_document_words.py has more)."""
    return ids(await documents.find("orders", Query(words=Words("words", whole=tuple(words_of(text))))))


async def test_ensure_is_idempotent_and_keeps_what_is_stored(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", SEARCHABLE)

    await documents.ensure(ORDERS)
    await documents.ensure(ORDERS)

    assert len(await documents.get_many("orders", ["s1", "s2", "s3"])) == 3
    assert await searched(documents, "JD014600") == ["s1"]
    await documents.bulk_upsert("orders", [doc("s4", 4, customerName="Cy Lee", words=["cy", "lee"])])
    assert await searched(documents, "lee") == ["s1", "s3", "s4"]


async def test_delete_removes_the_documents_that_exist(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", [doc("a"), doc("b"), doc("c")])

    await documents.delete("orders", ["a", "missing", "c"])
    await documents.delete("orders", [])

    assert await documents.get_many("orders", ["a", "b", "c"]) == {"b": doc("b")}
    assert ids(await documents.find("orders", Query())) == ["b"]


async def test_drop_removes_the_collection_and_ensure_brings_it_back_empty(documents: DocumentStore) -> None:
    await documents.bulk_upsert("orders", SEARCHABLE)

    await documents.drop("orders")
    await documents.drop("orders")
    await documents.ensure(ORDERS)

    assert await documents.find("orders", Query()) == []
    assert await searched(documents, "ann") == []
    await documents.bulk_upsert("orders", [doc("s9", customerName="Ann", words=["ann"])])
    assert await searched(documents, "ann") == ["s9"]


async def test_a_collection_never_created_reads_as_empty(documents: DocumentStore) -> None:
    assert await documents.get_many("never_made", ["a"]) == {}
    assert await documents.find("never_made", Query(equals={"status": "PLACED"}, sort="placedAt")) == []
    assert await documents.find("never_made", Query(words=Words("words", whole=("ann",)))) == []
    await documents.delete("never_made", ["a"])
    await documents.drop("never_made")


async def test_a_write_creates_the_collection_it_lands_in(documents: DocumentStore) -> None:
    widget = doc("u1", title="Blue Widget", words=["blue", "widget"])
    await documents.bulk_upsert("unannounced", [widget])

    assert await documents.get_many("unannounced", ["u1"]) == {"u1": widget}
    await documents.ensure(Collection(name="unannounced", indexes=(("title",),), words=("words", "title")))
    found = await documents.find("unannounced", Query(words=Words("words", prefixes=("wid",)), sort="title"))
    assert ids(found) == ["u1"]


async def test_data_survives_reopening(location: StoreLocation) -> None:
    async with opened(location) as first:
        await first.ensure(ORDERS)
        await first.bulk_upsert("orders", SEARCHABLE)

    async with opened(location) as second:
        await second.ensure(ORDERS)
        assert await second.get_many("orders", ["s1", "s2", "s3"]) == {
            document["_id"]: document for document in SEARCHABLE
        }
        assert await searched(second, "ann lee") == ["s1"]


SYNTAX_NAMES = ["", "bad-name", "x; DROP TABLE y", "1st", "a.b", "$cmd"]
"""Names that SQL or MongoDB would read as more than a name."""
RESERVED_NAMES = ["events", "leases", "projection_state"]
"""The collections of the other ports on MongoDB."""


async def test_names_that_could_be_read_as_syntax_or_clash_are_refused(documents: DocumentStore) -> None:
    for name in SYNTAX_NAMES + RESERVED_NAMES:
        with pytest.raises(ValueError, match="collection name"):
            await documents.ensure(Collection(name=name))
        with pytest.raises(ValueError, match="collection name"):
            await documents.find(name, Query())

    for query in [
        Query(equals={"a.b": 1}),
        Query(equals={"$where": "1"}),
        Query(sort="x') DESC; DROP TABLE doc_orders; --"),
        Query(range=Range("a b", gte=1)),
    ]:
        with pytest.raises(ValueError, match="field name"):
            await documents.find("orders", query)
    for collection in (
        Collection(name="bad", indexes=(("a.b",),)),
        Collection(name="bad", words=("$x",)),
    ):
        with pytest.raises(ValueError, match="field name"):
            await documents.ensure(collection)
    assert await documents.find("orders", Query()) == []


def stored_bytes(location: StoreLocation) -> bytes:
    """Everything the backend stores, as bytes: each file of the SQLite data directory (its write-ahead
    log included), or each MongoDB collection's documents."""
    if location.mongodb_uri is None:
        return b"".join(path.read_bytes() for path in location.data_dir.iterdir() if path.is_file())
    client: MongoClient[dict[str, Any]]
    with MongoClient(location.mongodb_uri) as client:
        database: Database[dict[str, Any]] = client[location.mongodb_database or "eventfold"]
        return repr([list(database[name].find({})) for name in database.list_collection_names()]).encode()


async def test_once_scrubbed_no_overwritten_or_deleted_value_is_left_in_storage(
    documents: DocumentStore, location: StoreLocation
) -> None:
    await documents.bulk_upsert(
        "orders",
        [
            doc("gone", customerName="Zebulon Quaggamire", customerEmail="zq@example.org"),
            doc("kept", customerName="Ann Lee", customerEmail="ann@example.com"),
        ],
    )
    await documents.bulk_upsert("orders", [doc("gone", 2, customerName=None, customerEmail=None)])
    await documents.delete("orders", ["kept"])

    await documents.scrub()

    assert await searched(documents, "Quaggamire") == []
    assert b"quaggamire" not in stored_bytes(location).lower()
    assert b"ann@example" not in stored_bytes(location).lower()
