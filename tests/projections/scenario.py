"""A realistic history written through the command handler, for tests that run projections on a store."""

import uuid
from decimal import Decimal

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
from schema.command_handler import CommandHandler
from store.events import EventStore

META = {"correlationId": "scenario"}


async def write_history(events: EventStore, orders: int = 30) -> int:
    """Customers, products, orders shipped and cancelled, a price and an email change; returns the head."""
    handler = CommandHandler(events)
    customers = [uuid.uuid4() for _ in range(4)]
    products = [uuid.uuid4() for _ in range(3)]
    for n, customer in enumerate(customers):
        await handler.register_customer(
            RegisterCustomer(customer_id=customer, name=f"Customer {n}", email=f"c{n}@example.com"), META
        )
    for n, product in enumerate(products):
        await handler.create_product(
            CreateProduct(product_id=product, sku=f"P-{n}", name=f"Product {n}", price=Decimal(n + 1)), META
        )
    for n in range(orders):
        order = uuid.uuid4()
        lines = (OrderLineInput(product_id=products[n % 3], quantity=n % 5 + 1),)
        await handler.place_order(PlaceOrder(order_id=order, customer_id=customers[n % 4], lines=lines), META)
        if n % 3 == 0:
            await handler.change_order(
                ShipOrder(order_id=order, carrier="DHL", tracking_number=f"T{n}"), META
            )
        elif n % 3 == 1:
            await handler.change_order(CancelOrder(order_id=order, reason="changed mind"), META)
        if n == orders // 2:
            await handler.change_product_price(
                ChangeProductPrice(product_id=products[0], price=Decimal(7)), META
            )
            await handler.change_customer(
                ChangeCustomerEmail(customer_id=customers[0], email="c0@new.example"), META
            )
    return await events.head()
