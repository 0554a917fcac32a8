"""One document per order, as the `order` and `orders` queries show it."""

from domain.events import OrderCancelled, OrderPlaced, OrderShipped, PlacedLine
from domain.order import OrderStatus, line_total
from domain.values import cents
from projections.per_stream import existing, own_stream
from projections.projection import Projection
from store.documents import Collection, Document
from store.events import RecordedEvent


def line_document(line: PlacedLine) -> Document:
    return {
        "productId": str(line.product_id),
        "sku": line.sku,
        "name": line.name,
        "quantity": line.quantity,
        "unitPrice": cents(line.unit_price),
        "lineTotal": line_total(line),
    }


def evolve(document: Document | None, recorded: RecordedEvent) -> Document:
    event, at = recorded.event, recorded.recorded_at
    if isinstance(event, OrderPlaced):
        return {
            "customerId": str(event.customer_id),
            "status": OrderStatus.PLACED.value,
            "lines": [line_document(line) for line in event.lines],
            "total": cents(event.total),
            "placedAt": at,
            "shippedAt": None,
            "carrier": None,
            "trackingNumber": None,
            "cancelledAt": None,
            "cancelReason": None,
            "version": recorded.version,
            # Which version of its history is the order as placed (see `orders(asOf:)`).
            "placedPosition": recorded.position,
        }
    changed = {**existing(document, recorded), "version": recorded.version}
    match event:
        case OrderShipped(carrier=carrier, tracking_number=tracking_number):
            return {
                **changed,
                "status": OrderStatus.SHIPPED.value,
                "shippedAt": at,
                "carrier": carrier,
                "trackingNumber": tracking_number,
            }
        case OrderCancelled(reason=reason):
            return {
                **changed,
                "status": OrderStatus.CANCELLED.value,
                "cancelledAt": at,
                "cancelReason": reason,
            }
    raise TypeError(f"unexpected event {recorded.type} for order summaries")


PROJECTION = Projection(
    name="order_summaries",
    collection=Collection(
        name="order_summaries",
        # `orders` filters by status and/or customer, then sorts by placedAt (its range filter too).
        indexes=(("status", "placedAt"), ("customerId", "placedAt"), ("placedAt",)),
    ),
    touches=own_stream(OrderPlaced, OrderShipped, OrderCancelled),
    evolve=evolve,
    # `orders(asOf:)` reads the versions valid then, by the same filters and order as `orders`.
    history=(
        ("status", "placedAt", "_validTo"),
        ("customerId", "placedAt", "_validTo"),
        ("placedAt", "_validTo"),
    ),
)
