"""The Order aggregate. Placing an order also reads the customer and the products it names."""

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID

from domain.commands import CancelOrder, PlaceOrder, ShipOrder, request_fingerprint
from domain.customer import Customer
from domain.decider import Decider
from domain.errors import Conflict, InvalidInput, InvalidState, NotFound
from domain.events import (
    OrderCancelled,
    OrderEvent,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
)
from domain.product import Product
from domain.values import cents


class OrderStatus(StrEnum):
    PLACED = "PLACED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


def line_total(line: PlacedLine) -> Decimal:
    return cents(line.unit_price * line.quantity)


@dataclass(frozen=True, slots=True)
class Order:
    id: UUID
    customer_id: UUID
    lines: tuple[PlacedLine, ...]
    total: Decimal
    currency: str
    status: OrderStatus
    placed_at: datetime
    version: int
    idempotency_key: str | None = None
    request_fingerprint: str | None = None
    """What the keyed placement asked for (see `OrderPlaced.request_fingerprint`)."""
    shipped_at: datetime | None = None
    carrier: str | None = None
    tracking_number: str | None = None
    cancelled_at: datetime | None = None
    cancel_reason: str | None = None


def evolve(state: Order | None, event: OrderEvent, stream_id: UUID, at: datetime) -> Order:
    if isinstance(event, OrderPlaced):
        return Order(
            id=stream_id,
            customer_id=event.customer_id,
            lines=event.lines,
            total=cents(event.total),
            currency=event.currency,
            status=OrderStatus.PLACED,
            placed_at=at,
            version=1,
            idempotency_key=event.idempotency_key,
            request_fingerprint=_fingerprint(event),
        )
    if state is None:
        raise ValueError(f"{event.type_name} before OrderPlaced in stream {stream_id}")
    # One `replace` an event, as domain.customer does.
    version = state.version + 1
    match event:
        case OrderShipped(carrier=carrier, tracking_number=tracking_number):
            return replace(
                state,
                version=version,
                status=OrderStatus.SHIPPED,
                shipped_at=at,
                carrier=carrier,
                tracking_number=tracking_number,
            )
        case OrderCancelled(reason=reason):
            return replace(
                state,
                version=version,
                status=OrderStatus.CANCELLED,
                cancelled_at=at,
                cancel_reason=reason,
            )
    raise TypeError(f"unexpected order event {event.type_name}")


def _fingerprint(event: OrderPlaced) -> str | None:
    if event.idempotency_key is None:
        return None
    # A placement recorded before fingerprints were kept asked for exactly the buyer and lines it records.
    return event.request_fingerprint or request_fingerprint(
        event.customer_id, [(line.product_id, line.quantity) for line in event.lines]
    )


def _asked(command: PlaceOrder) -> str:
    return request_fingerprint(
        command.customer_id, [(line.product_id, line.quantity) for line in command.lines]
    )


@dataclass(frozen=True, slots=True)
class Placing:
    """`PlaceOrder` with what deciding it reads beyond the order's own stream: the buyer, and those of
    the products it names that exist."""

    command: PlaceOrder
    customer: Customer | None
    products: Mapping[UUID, Product]


def place(
    command: PlaceOrder,
    state: Order | None,
    customer: Customer | None,
    products: Mapping[UUID, Product],
) -> list[OrderEvent]:
    """Decide `PlaceOrder`. A repeat of an idempotent placement decides nothing; another request under its
    key is refused without a word about the order it placed (whose buyer that is, or its id)."""
    if state is not None:
        if command.idempotency_key is None or state.idempotency_key != command.idempotency_key:
            raise InvalidState(f"order {command.order_id} already exists")
        if state.request_fingerprint != _asked(command):
            raise Conflict(
                "this idempotencyKey was already used for a different order (other customer or lines); "
                "send a new key for a new order"
            )
        return []
    if customer is None:
        raise NotFound("customer", command.customer_id)
    if customer.erased:
        raise InvalidState(f"customer {command.customer_id} is erased: it can place no more orders")
    lines = []
    currency: str | None = None
    for index, line in enumerate(command.lines):
        product = products.get(line.product_id)
        if product is None:
            raise NotFound("product", line.product_id)
        if currency is not None and product.currency != currency:
            raise InvalidInput(
                f"lines[{index}].productId",
                f"product {product.sku} is priced in {product.currency}, the lines before it in {currency}: "
                "an order's products must share one currency",
            )
        currency = product.currency
        lines.append(
            PlacedLine(
                product_id=product.id,
                sku=product.sku,
                name=product.name,
                quantity=line.quantity,
                unit_price=product.price,
            )
        )
    total = cents(sum((line.unit_price * line.quantity for line in lines), Decimal(0)))
    return [
        OrderPlaced(
            customer_id=customer.id,
            customer_name=customer.name,
            customer_email=customer.email,
            lines=tuple(lines),
            total=total,
            currency=str(currency),
            idempotency_key=command.idempotency_key,
            request_fingerprint=None if command.idempotency_key is None else _asked(command),
        )
    ]


def decide(command: Placing | ShipOrder | CancelOrder, state: Order | None) -> list[OrderEvent]:
    if isinstance(command, Placing):
        return place(command.command, state, command.customer, command.products)
    if state is None:
        raise NotFound("order", command.order_id)
    if state.status is not OrderStatus.PLACED:
        verb = "shipped" if isinstance(command, ShipOrder) else "cancelled"
        raise InvalidState(f"order {state.id} is {state.status.value}; only a PLACED order can be {verb}")
    if isinstance(command, ShipOrder):
        return [
            OrderShipped(
                carrier=command.carrier,
                tracking_number=command.tracking_number,
                currency=state.currency,
                placed_at=state.placed_at,
            )
        ]
    return [
        OrderCancelled(
            reason=command.reason,
            customer_id=state.customer_id,
            lines=state.lines,
            total=state.total,
            currency=state.currency,
            placed_at=state.placed_at,
        )
    ]


DECIDER = Decider[Placing | ShipOrder | CancelOrder, OrderEvent, Order]("Order", decide, evolve)
