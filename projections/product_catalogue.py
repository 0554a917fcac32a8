"""One document per product, as the `product` and `products` queries show it, and the readers of them."""

from collections.abc import Sequence

from domain.events import ProductCreated, ProductPriceChanged
from domain.values import cents
from projections.collections import CollectionNames
from projections.per_stream import existing, own_stream
from projections.projection import Projection
from store.documents import Collection, Document, DocumentStore, Query
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
    # `products` pages through the catalogue in sku order.
    collection=Collection(name="product_catalogue", indexes=(("sku",),)),
    touches=own_stream(ProductCreated, ProductPriceChanged),
    evolve=evolve,
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
    documents: DocumentStore, collections: CollectionNames, after: Keyset | None, limit: int
) -> list[Document]:
    """Up to `limit` products after `after`, in SKU order."""
    return await documents.find(collections[PROJECTION.name], Query(sort="sku", after=after, limit=limit))
