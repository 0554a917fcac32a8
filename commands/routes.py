"""Where each command is decided: its aggregate's decider, the stream it names, and what else the
decision reads."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from commands.fold import fold_entity
from domain import customer, order, product
from domain.commands import (
    CancelOrder,
    ChangeCustomerAddress,
    ChangeCustomerEmail,
    ChangeProductPrice,
    Command,
    CreateProduct,
    EraseCustomer,
    PlaceOrder,
    RegisterCustomer,
    ShipOrder,
    VerifyCustomerEmail,
)
from domain.decider import Decider
from store.events import RecordedEvent

type Streams = Mapping[UUID, Sequence[RecordedEvent]]


def _no_other_streams(command: object) -> Sequence[UUID]:
    return ()


def _the_command_alone(command: object, streams: Streams) -> object:
    return command


@dataclass(frozen=True, slots=True)
class Route[C: Command]:
    decider: Decider[Any, Any, Any]
    stream_id: Callable[[C], UUID]
    """The stream the command decides on and appends to."""
    others: Callable[[C], Sequence[UUID]] = _no_other_streams
    """Streams the decision reads besides its own, read in the same call."""
    given: Callable[[C, Streams], object] = _the_command_alone
    """What `decide` receives, from the command and all the streams read."""
    idempotent: bool = False
    """A decision of nothing is a repeat of the command that created the stream, so it answers what
    that one answered."""


def _entity[S](decider: Decider[Any, Any, S], history: Sequence[RecordedEvent]) -> S | None:
    return fold_entity(decider.stream_type, decider.evolve, history)


def _buyer_and_products(command: PlaceOrder) -> Sequence[UUID]:
    return [command.customer_id, *(line.product_id for line in command.lines)]


def _placing(command: PlaceOrder, streams: Streams) -> order.Placing:
    products = {
        line.product_id: found
        for line in command.lines
        if (found := _entity(product.DECIDER, streams.get(line.product_id, []))) is not None
    }
    buyer = _entity(customer.DECIDER, streams.get(command.customer_id, []))
    return order.Placing(command, buyer, products)


_CUSTOMER = Route[customer.CustomerCommand](customer.DECIDER, lambda command: command.customer_id)
_PRODUCT = Route[product.ProductCommand](product.DECIDER, lambda command: command.product_id)
_ORDER = Route[ShipOrder | CancelOrder](order.DECIDER, lambda command: command.order_id)
_PLACE_ORDER = Route[PlaceOrder](
    order.DECIDER,
    lambda command: command.order_id,
    others=_buyer_and_products,
    given=_placing,
    idempotent=True,
)

ROUTES: Mapping[type[Command], Route[Any]] = {
    RegisterCustomer: _CUSTOMER,
    ChangeCustomerAddress: _CUSTOMER,
    ChangeCustomerEmail: _CUSTOMER,
    VerifyCustomerEmail: _CUSTOMER,
    EraseCustomer: _CUSTOMER,
    CreateProduct: _PRODUCT,
    ChangeProductPrice: _PRODUCT,
    PlaceOrder: _PLACE_ORDER,
    ShipOrder: _ORDER,
    CancelOrder: _ORDER,
}
