"""What `searchOrders` matches an order by: the words of who ordered it, what is in it, and how it
was shipped.

The customer's name and email are the ones recorded when the order was placed, except that an email
change is carried over to every order of that customer, so that their current address finds them all,
and an erasure takes both out of every order of that customer.
"""

from uuid import UUID

from domain.events import CustomerEmailChanged, CustomerErased, OrderPlaced, OrderShipped
from projections import order_summaries
from projections.collections import CollectionNames
from projections.per_stream import existing
from projections.projection import Key, Match, Projection, id_text
from projections.words import WORDS, typed, with_words
from store.documents import Collection, Document, DocumentStore, Query
from store.events import RecordedEvent


def touches(recorded: RecordedEvent) -> list[Key]:
    match recorded.event:
        case OrderPlaced() | OrderShipped():
            return [id_text(recorded.stream_id)]
        case CustomerEmailChanged() | CustomerErased():
            return [Match("customerId", id_text(recorded.stream_id))]
    return []


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event = recorded.event
    if isinstance(event, OrderPlaced):
        return {
            "customerId": id_text(event.customer_id),
            "customerName": event.customer_name,
            "customerEmail": event.customer_email,
            # One list for names and SKUs: a text index may cover only one array field on some servers.
            "products": [text for line in event.lines for text in (line.name, line.sku)],
            "trackingNumber": None,
            # Search results come newest first.
            "placedAt": recorded.recorded_at,
        }
    match event:
        case OrderShipped(tracking_number=tracking_number):
            return {**existing(document, recorded), "trackingNumber": tracking_number}
        case CustomerEmailChanged(email=email):
            return {**existing(document, recorded), "customerEmail": email}
        case CustomerErased():
            # Null, not the placeholder the API shows: nothing is left to match.
            return {**existing(document, recorded), "customerName": None, "customerEmail": None}
    raise TypeError(f"unexpected event {recorded.type} for order search")


SEARCHED = ("customerName", "customerEmail", "products", "trackingNumber")

PROJECTION = Projection(
    name="order_search",
    collection=Collection(
        name="order_search",
        indexes=(("customerId",), ("placedAt",)),
        # Newest first among the orders with a word: the words' index ends with the order of the results.
        words=(WORDS, "placedAt"),
    ),
    touches=touches,
    evolve=with_words(evolve, *SEARCHED),
    cost=11,
)


async def matching(
    documents: DocumentStore,
    collections: CollectionNames,
    text: str,
    after: order_summaries.Keyset | None,
    limit: int,
    customer_id: UUID | None = None,
) -> list[Document]:
    """The summaries of up to `limit` orders (of one customer, if given) after `after`, newest first,
    with every word of `text`, the last one perhaps only begun."""
    words = typed(text)
    if not words.prefixes:
        return []
    equals = {} if customer_id is None else {"customerId": str(customer_id)}
    hits = await documents.find(
        collections[PROJECTION.name],
        Query(equals=equals, words=words, sort="placedAt", descending=True, after=after, limit=limit),
    )
    ids = [hit["_id"] for hit in hits]
    found = await order_summaries.summaries(documents, collections, ids)
    return [found[order_id] for order_id in ids if order_id in found]
