"""A small shop's first two days: every event type, two customers, two products, three orders."""

from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from domain.events import (
    CustomerAddressChanged,
    CustomerEmailChanged,
    CustomerEmailVerified,
    CustomerRegistered,
    OrderCancelled,
    OrderPlaced,
    OrderShipped,
    PlacedLine,
    ProductCreated,
    ProductPriceChanged,
)
from domain.order import line_total
from domain.values import Address
from tests.projections.given import START, log

ANN, BOB, WIDGET, GADGET, FIRST, SECOND, THIRD = (uuid4() for _ in range(7))
DAY_2 = START + timedelta(days=1)
ADDRESS = Address(street="1 Main St", city="Berlin", postal_code="10115", country="DE")
MOVED = Address(street="2 Side St", city="Paris", postal_code="75001", country="FR")
PRODUCTS = {WIDGET: ("W-1", "Widget", Decimal("19.90")), GADGET: ("G-1", "Gadget", Decimal("5.25"))}


def line(product_id: UUID, quantity: int) -> PlacedLine:
    sku, name, price = PRODUCTS[product_id]
    return PlacedLine(product_id=product_id, sku=sku, name=name, quantity=quantity, unit_price=price)


def placed(customer_id: UUID, *lines: PlacedLine) -> OrderPlaced:
    name, email = ("Ann Lee", "ann@example.com") if customer_id == ANN else ("Bob Ray", "bob@example.com")
    return OrderPlaced(
        currency="EUR",
        customer_id=customer_id,
        customer_name=name,
        customer_email=email,
        lines=lines,
        total=sum((line_total(line) for line in lines), Decimal("0.00")),
    )


def cancelled(order: OrderPlaced, placed_at: datetime, reason: str = "changed my mind") -> OrderCancelled:
    return OrderCancelled(
        currency="EUR",
        reason=reason,
        customer_id=order.customer_id,
        lines=order.lines,
        total=order.total,
        placed_at=placed_at,
    )


PLACED_FIRST = placed(ANN, line(WIDGET, 3), line(GADGET, 2))
PLACED_SECOND = placed(ANN, line(WIDGET, 1))
PLACED_THIRD = placed(BOB, line(GADGET, 4))
SHIPPED = OrderShipped(
    currency="EUR", carrier="DHL", tracking_number="JD014600", placed_at=START + timedelta(hours=1)
)

HISTORY = log(
    (ANN, CustomerRegistered(name="Ann Lee", email="ann@example.com"), START),
    (BOB, CustomerRegistered(name="Bob Ray", email="bob@example.com", address=ADDRESS), START),
    (WIDGET, ProductCreated(currency="EUR", sku="W-1", name="Widget", price=Decimal("19.90")), START),
    (GADGET, ProductCreated(currency="EUR", sku="G-1", name="Gadget", price=Decimal("5.25")), START),
    (FIRST, PLACED_FIRST, START + timedelta(hours=1)),
    (SECOND, PLACED_SECOND, START + timedelta(hours=2)),
    (THIRD, PLACED_THIRD, START + timedelta(hours=3)),
    (FIRST, SHIPPED, START + timedelta(hours=4)),
    (
        WIDGET,
        ProductPriceChanged(currency="EUR", price=Decimal("21"), previous_price=Decimal("19.90")),
        DAY_2,
    ),
    (ANN, CustomerEmailChanged(email="ann@lee.example", previous_email="ann@example.com"), DAY_2),
    (ANN, CustomerEmailVerified(email="ann@lee.example"), DAY_2 + timedelta(minutes=5)),
    (BOB, CustomerAddressChanged(address=MOVED), DAY_2 + timedelta(minutes=10)),
    (SECOND, cancelled(PLACED_SECOND, START + timedelta(hours=2)), DAY_2 + timedelta(hours=1)),
    (
        THIRD,
        OrderShipped(
            currency="EUR", carrier="UPS", tracking_number="1Z999", placed_at=START + timedelta(hours=3)
        ),
        DAY_2 + timedelta(hours=2),
    ),
)
