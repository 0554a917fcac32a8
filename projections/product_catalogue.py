"""One document per product, as the `product` and `products` queries show it, and the readers of them."""

from collections.abc import Sequence
from datetime import datetime

from domain.events import ProductCreated, ProductPriceChanged
from domain.values import cents
from projections.collections import CollectionNames
from projections.per_stream import existing, own_stream
from projections.projection import Projection, history_name
from projections.words import WORDS, starting, with_words
from store.documents import Collection, Document, DocumentStore, Holding, Query
from store.events import RecordedEvent


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event, at = recorded.event, recorded.recorded_at
    if isinstance(event, ProductCreated):
        return {
            "sku": event.sku,
            "name": event.name,
            "price": cents(event.price),
            "currency": event.currency,
            "version": recorded.version,
            "createdAt": at,
            "updatedAt": at,
        }
    changed = {**existing(document, recorded), "version": recorded.version, "updatedAt": at}
    if isinstance(event, ProductPriceChanged):
        return {**changed, "price": cents(event.price), "currency": event.currency}
    raise TypeError(f"unexpected event {recorded.type} for the product catalogue")


PROJECTION = Projection(
    name="product_catalogue",
    # `products` pages through the catalogue in sku order, all of it or the words of names and SKUs.
    collection=Collection(name="product_catalogue", indexes=(("sku",),), words=(WORDS, "sku")),
    touches=own_stream(ProductCreated, ProductPriceChanged),
    evolve=with_words(evolve, "name", "sku"),
    # `products(asOf:)` reads the versions valid then in the same order, _validTo after it as for
    # `orders(asOf:)`.
    history=(("sku", "_id", "_validTo"),),
)


Keyset = tuple[str, str]
"""Where a product stands in SKU order."""


def keyset(product: Document) -> Keyset:
    return product["sku"], product["_id"]


async def products(
    documents: DocumentStore, collections: CollectionNames, ids: Sequence[str]
) -> dict[str, Document]:
    return await documents.get_many(collections[PROJECTION.name], ids)


async def in_sku_order(
    documents: DocumentStore,
    collections: CollectionNames,
    after: Keyset | None,
    limit: int,
    search: str | None = None,
    as_of: datetime | None = None,
) -> list[Document]:
    """Up to `limit` products after `after`, in SKU order, with a word of their name or SKU starting
    with each word of `search` if given; with `as_of`, the versions valid then."""
    words = None if search is None else starting(search)
    if words is not None and not words.prefixes:
        return []
    query = Query(
        sort="sku", after=after, limit=limit, words=words, holding=None if as_of is None else Holding(as_of)
    )
    collection = collections[PROJECTION.name]
    return await documents.find(collection if as_of is None else history_name(collection), query)
