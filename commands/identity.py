"""Ids derived from natural keys, so that uniqueness is enforced by the event store itself.

Two commands for the same natural key target the same stream; only one can create it (the append at
version 0 wins once), with no lookup table that could drift from the events.
"""

from uuid import UUID, uuid5

from domain.commands import Command, CreateProduct, PlaceOrder

_PRODUCT_SKU = UUID("6f1b7c2e-3a56-4d4e-9b1a-2f6c1e0d9a11")
_ORDER_IDEMPOTENCY_KEY = UUID("0c5e8d43-71b2-4f0a-8e6d-5a9b3c2d1e7f")
_IDEMPOTENCY_SCOPE = UUID("9d2f4a61-58c3-4e7b-a0d9-3b6e1f8c2a54")


def product_id_for_sku(sku: str) -> UUID:
    """SKUs are unique regardless of letter case."""
    return uuid5(_PRODUCT_SKU, sku.casefold())


def order_id_for_idempotency_key(key: str, scope: str | None = None) -> UUID:
    """A key names an order among one caller's requests only. Each principal (`scope`) has a namespace of
    its own, derived from its name; the anonymous caller keeps the one every key was in before keys were
    scoped, so its repeats of those keys still find their orders."""
    if scope is None:
        return uuid5(_ORDER_IDEMPOTENCY_KEY, key)
    return uuid5(uuid5(_IDEMPOTENCY_SCOPE, scope), key)


def identified[C: Command](command: C) -> C:
    """The command aimed at the stream its natural key names: a new product's id follows from its SKU, so
    a second product with the same SKU finds the first; repeats of one idempotency key by one caller
    land on one order, where only the first placement can be appended. Whatever id the caller put there
    is replaced."""
    match command:
        case CreateProduct(sku=sku):
            return command.model_copy(update={"product_id": product_id_for_sku(sku)})
        case PlaceOrder(idempotency_key=str() as key, idempotency_scope=scope):
            return command.model_copy(update={"order_id": order_id_for_idempotency_key(key, scope)})
    return command
