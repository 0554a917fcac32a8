"""Mutations: each input becomes one command; the payload is the entity plus the events recorded."""

import uuid
from typing import Any

import strawberry
from strawberry import Info

from access.ownership import sees_stream
from access.rules import sees
from commands.handler import Outcome
from domain import commands
from domain.errors import NotFound
from projections.projector import owners
from projections.read_models import BY_NAME
from projections.skipping import skip
from schema.context import Context
from schema.inputs import (
    CancelOrderInput,
    ChangeCustomerAddressInput,
    ChangeCustomerEmailInput,
    ChangeProductPriceInput,
    CreateProductInput,
    PlaceOrderInput,
    RegisterCustomerInput,
    ShipOrderInput,
    VerifyCustomerEmailInput,
)
from schema.types import CustomerPayload, OrderPayload, ProductPayload, ProjectionStatus
from schema.validation import build, parse_id

ContextInfo = Info[Context, None]


async def _run(
    info: ContextInfo, command_type: type[commands.Command], input: object, **assigned: object
) -> Outcome[Any]:
    """The input as a command, handled. `assigned` is what the server sets itself: what a new entity is
    called (where the rules need an id that follows from a natural key, SKU or idempotency key, the
    handler derives it instead), and whose idempotency key it is."""
    command = build(command_type, {**strawberry.asdict(input), **assigned})
    return await info.context.commands.handle(command, info.context.metadata())


def _uuid(value: object) -> uuid.UUID | None:
    """An id as given, if it is one; a malformed one is left to the command's own checks to report."""
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_customer(self, info: ContextInfo, input: RegisterCustomerInput) -> CustomerPayload:
        outcome = await _run(info, commands.RegisterCustomer, input, customer_id=uuid.uuid4())
        return CustomerPayload.from_outcome(outcome)

    @strawberry.mutation
    async def change_customer_address(
        self, info: ContextInfo, input: ChangeCustomerAddressInput
    ) -> CustomerPayload:
        return CustomerPayload.from_outcome(await _run(info, commands.ChangeCustomerAddress, input))

    @strawberry.mutation
    async def change_customer_email(
        self, info: ContextInfo, input: ChangeCustomerEmailInput
    ) -> CustomerPayload:
        return CustomerPayload.from_outcome(await _run(info, commands.ChangeCustomerEmail, input))

    @strawberry.mutation
    async def verify_customer_email(
        self, info: ContextInfo, input: VerifyCustomerEmailInput
    ) -> CustomerPayload:
        return CustomerPayload.from_outcome(await _run(info, commands.VerifyCustomerEmail, input))

    @strawberry.mutation(
        description=(
            "Erase a customer's personal data (GDPR), admin only: its data key is deleted, so that its name, "
            'email and address read as "[erased]" (the address as null) in every answer from then on, its '
            "orders' copies included, and the read models and the search index drop them. Every other fact "
            "(its orders, totals, the sales report) stays. INVALID_STATE if it is erased already, NOT_FOUND "
            "if there is no such customer."
        )
    )
    async def erase_customer(self, info: ContextInfo, id: strawberry.ID) -> CustomerPayload:
        outcome = await info.context.erasure.erase(parse_id(id, "id"), info.context.metadata())
        return CustomerPayload.from_outcome(outcome)

    @strawberry.mutation
    async def create_product(self, info: ContextInfo, input: CreateProductInput) -> ProductPayload:
        currency = info.context.currency if input.currency is None else input.currency
        outcome = await _run(info, commands.CreateProduct, input, product_id=uuid.uuid4(), currency=currency)
        return ProductPayload.from_outcome(outcome)

    @strawberry.mutation
    async def change_product_price(self, info: ContextInfo, input: ChangeProductPriceInput) -> ProductPayload:
        return ProductPayload.from_outcome(await _run(info, commands.ChangeProductPrice, input))

    @strawberry.mutation
    async def place_order(self, info: ContextInfo, input: PlaceOrderInput) -> OrderPayload:
        if (customer_id := _uuid(input.customer_id)) is not None and not sees(
            info.context.caller, customer_id
        ):
            # Another customer is, to a customer, one that does not exist (as the rules would say).
            raise NotFound("customer", customer_id)
        principal = info.context.caller.principal
        scope = None if principal is None else principal.name
        outcome = await _run(info, commands.PlaceOrder, input, order_id=uuid.uuid4(), idempotency_scope=scope)
        return OrderPayload.from_outcome(outcome)

    @strawberry.mutation
    async def ship_order(self, info: ContextInfo, input: ShipOrderInput) -> OrderPayload:
        return OrderPayload.from_outcome(await _run(info, commands.ShipOrder, input))

    @strawberry.mutation
    async def cancel_order(self, info: ContextInfo, input: CancelOrderInput) -> OrderPayload:
        order_id = _uuid(input.order_id)
        if order_id is not None and not await sees_stream(info.context.caller, info.context.events, order_id):
            raise NotFound("order", order_id)
        return OrderPayload.from_outcome(await _run(info, commands.CancelOrder, input))

    @strawberry.mutation(
        description=(
            "Skip, on purpose, the event a read model stopped at because this release cannot read it: it "
            "goes on after it, and rebuilds pass over it too (admin only). `position` must be the one "
            "it is stopped at (`projections { stoppedAt }`)."
        )
    )
    async def skip_event(self, info: ContextInfo, projection: str, position: int) -> ProjectionStatus:
        context = info.context
        state = await skip(context.states, BY_NAME, projection, position)
        context.progress.skip_recorded(state.name)
        held = owners(await context.leases.holders())
        return ProjectionStatus.from_state(state, await context.events.head(), held.get(state.name))
