"""`node` and `nodes`: orders, customers and products by id alone, from their read models (one read
of each for a whole list), as Relay's Node interface has it."""

import asyncio
from collections.abc import Sequence

import strawberry
from strawberry import Info

from access.rules import sees
from domain.errors import InvalidInput
from projections import customer_profiles, order_summaries, product_catalogue
from schema.context import Context
from schema.types import Customer, Node, Order, Product
from schema.validation import parse_id

ContextInfo = Info[Context, None]

MAX_NODES = 100


async def _nodes(info: ContextInfo, ids: Sequence[str]) -> list[Node | None]:
    keys = [str(parse_id(node_id, f"ids[{index}]")) for index, node_id in enumerate(ids)]
    context = info.context
    documents, collections = context.documents, context.collections
    orders, customers, products = await asyncio.gather(
        order_summaries.summaries(documents, collections, keys),
        customer_profiles.profiles(documents, collections, keys),
        product_catalogue.products(documents, collections, keys),
    )
    found: list[Node | None] = []
    for key in keys:
        node: Node | None = None
        if key in orders:
            node = Order.from_document(orders[key])
            # To a customer, another customer's order or the customer itself does not exist.
            node = node if sees(context.caller, node.customer_id) else None
        elif key in customers:
            node = Customer.from_document(customers[key])
            node = node if sees(context.caller, node.id) else None
        elif key in products:
            node = Product.from_document(products[key])
        found.append(node)
    return found


@strawberry.type
class NodeQuery:
    @strawberry.field(description="The order, customer or product with this id; null if there is none.")
    async def node(self, info: ContextInfo, id: strawberry.ID) -> Node | None:
        [found] = await _nodes(info, [id])
        return found

    @strawberry.field(
        description=f"The orders, customers and products with these ids, in the order asked, null "
        f"where there is none (at most {MAX_NODES} ids)."
    )
    async def nodes(self, info: ContextInfo, ids: list[strawberry.ID]) -> list[Node | None]:
        if len(ids) > MAX_NODES:
            raise InvalidInput("ids", f"must be at most {MAX_NODES} ids, got {len(ids)}")
        return await _nodes(info, ids)
