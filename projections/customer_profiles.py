"""One document per customer, as the `customer` query shows it, and the reader of them."""

from collections.abc import Sequence

from domain.events import (
    ERASED,
    CustomerAddressChanged,
    CustomerEmailChanged,
    CustomerEmailVerified,
    CustomerErased,
    CustomerRegistered,
)
from domain.values import Address
from projections.collections import CollectionNames
from projections.per_stream import existing, own_stream
from projections.projection import Projection
from projections.words import WORDS, starting, with_words
from store.documents import Collection, Document, DocumentStore, Query
from store.events import RecordedEvent


def address_document(address: Address | None) -> Document | None:
    if address is None:
        return None
    return {
        "street": address.street,
        "city": address.city,
        "postalCode": address.postal_code,
        "country": address.country,
    }


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event, at = recorded.event, recorded.recorded_at
    if isinstance(event, CustomerRegistered):
        return {
            "name": event.name,
            "email": event.email,
            "emailVerified": False,
            "address": address_document(event.address),
            "version": recorded.version,
            "createdAt": at,
            "updatedAt": at,
        }
    changed = {**existing(document, recorded), "version": recorded.version, "updatedAt": at}
    match event:
        case CustomerAddressChanged(address=address):
            return {**changed, "address": address_document(address)}
        case CustomerEmailChanged(email=email):
            # A new email is unproven until it is verified in turn.
            return {**changed, "email": email, "emailVerified": False}
        case CustomerEmailVerified():
            return {**changed, "emailVerified": True}
        case CustomerErased():
            return {**changed, "name": ERASED, "email": ERASED, "address": None, "erased": True}
    raise TypeError(f"unexpected event {recorded.type} for customer profiles")


PROJECTION = Projection(
    name="customer_profiles",
    # `customers` lists them by name, or by the words of their name and email.
    collection=Collection(name="customer_profiles", indexes=(("name",),), words=(WORDS, "name")),
    touches=own_stream(
        CustomerRegistered,
        CustomerAddressChanged,
        CustomerEmailChanged,
        CustomerEmailVerified,
        CustomerErased,
    ),
    evolve=with_words(evolve, "name", "email"),
    cost=1,
)

Keyset = tuple[str, str]
"""Where a customer stands in the order of names."""


def keyset(profile: Document) -> Keyset:
    return profile["name"], profile["_id"]


async def profiles(
    documents: DocumentStore, collections: CollectionNames, ids: Sequence[str]
) -> dict[str, Document]:
    return await documents.get_many(collections[PROJECTION.name], ids)


async def listing(
    documents: DocumentStore,
    collections: CollectionNames,
    search: str | None,
    after: Keyset | None,
    limit: int,
    only: str | None = None,
) -> list[Document]:
    """Up to `limit` profiles after `after` by name (only the one with id `only`, if given), with a
    word starting with each word of `search` if given."""
    words = None if search is None else starting(search)
    if words is not None and not words.prefixes:
        return []
    query = Query(
        equals={} if only is None else {"_id": only}, sort="name", after=after, limit=limit, words=words
    )
    return await documents.find(collections[PROJECTION.name], query)
