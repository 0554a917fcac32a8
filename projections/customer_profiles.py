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
from store.documents import Collection, Document, DocumentStore
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
    collection=Collection(name="customer_profiles"),
    touches=own_stream(
        CustomerRegistered,
        CustomerAddressChanged,
        CustomerEmailChanged,
        CustomerEmailVerified,
        CustomerErased,
    ),
    evolve=evolve,
)


async def profiles(
    documents: DocumentStore, collections: CollectionNames, ids: Sequence[str]
) -> dict[str, Document]:
    return await documents.get_many(collections[PROJECTION.name], ids)
