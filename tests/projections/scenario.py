"""A realistic history written through the command handler, for tests that run projections on a store."""

import uuid
from decimal import Decimal

from commands.handler import CommandHandler
from commands.identity import product_id_for_sku
from domain.commands import (
    CancelOrder,
    ChangeCustomerEmail,
    ChangeProductPrice,
    CreateProduct,
    OrderLineInput,
    PlaceOrder,
    RegisterCustomer,
    ShipOrder,
)
from store.events import EventStore

META = {"correlationId": "scenario"}


async def write_history(events: EventStore, orders: int = 30) -> int:
    """Customers, products, orders shipped and cancelled, a price and an email change; returns the head."""
    handler = CommandHandler(events)
    customers = [uuid.uuid4() for _ in range(4)]
    # A product's id follows from its SKU, and a history may be written twice to one store.
    skus = [f"P-{uuid.uuid4().hex[:8]}" for _ in range(3)]
    products = [product_id_for_sku(sku) for sku in skus]
    for n, customer in enumerate(customers):
        await handler.handle(
            RegisterCustomer(customer_id=customer, name=f"Customer {n}", email=f"c{n}@example.com"), META
        )
    for n, (product, sku) in enumerate(zip(products, skus, strict=True)):
        await handler.handle(
            CreateProduct(
                currency="EUR", product_id=product, sku=sku, name=f"Product {n}", price=Decimal(n + 1)
            ),
            META,
        )
    for n in range(orders):
        order = uuid.uuid4()
        lines = (OrderLineInput(product_id=products[n % 3], quantity=n % 5 + 1),)
        await handler.handle(PlaceOrder(order_id=order, customer_id=customers[n % 4], lines=lines), META)
        if n % 3 == 0:
            await handler.handle(ShipOrder(order_id=order, carrier="DHL", tracking_number=f"T{n}"), META)
        elif n % 3 == 1:
            await handler.handle(CancelOrder(order_id=order, reason="changed mind"), META)
        if n == orders // 2:
            await handler.handle(ChangeProductPrice(product_id=products[0], price=Decimal(7)), META)
            await handler.handle(ChangeCustomerEmail(customer_id=customers[0], email="c0@new.example"), META)
    return await events.head()
