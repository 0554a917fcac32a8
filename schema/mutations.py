"""Mutations: each input becomes one command; the payload is the entity plus the events recorded."""

import uuid

import strawberry
from strawberry import Info

from domain import commands
from domain.identity import order_id_for_idempotency_key, product_id_for_sku
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
from schema.types import CustomerPayload, OrderPayload, ProductPayload
from schema.validation import build

ContextInfo = Info[Context, None]


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def register_customer(self, info: ContextInfo, input: RegisterCustomerInput) -> CustomerPayload:
        values = {**strawberry.asdict(input), "customer_id": uuid.uuid4()}
        command = build(commands.RegisterCustomer, values)
        return CustomerPayload.from_outcome(
            await info.context.commands.register_customer(command, info.context.metadata())
        )

    @strawberry.mutation
    async def change_customer_address(
        self, info: ContextInfo, input: ChangeCustomerAddressInput
    ) -> CustomerPayload:
        command = build(commands.ChangeCustomerAddress, strawberry.asdict(input))
        return CustomerPayload.from_outcome(
            await info.context.commands.change_customer(command, info.context.metadata())
        )

    @strawberry.mutation
    async def change_customer_email(
        self, info: ContextInfo, input: ChangeCustomerEmailInput
    ) -> CustomerPayload:
        command = build(commands.ChangeCustomerEmail, strawberry.asdict(input))
        return CustomerPayload.from_outcome(
            await info.context.commands.change_customer(command, info.context.metadata())
        )

    @strawberry.mutation
    async def verify_customer_email(
        self, info: ContextInfo, input: VerifyCustomerEmailInput
    ) -> CustomerPayload:
        command = build(commands.VerifyCustomerEmail, strawberry.asdict(input))
        return CustomerPayload.from_outcome(
            await info.context.commands.change_customer(command, info.context.metadata())
        )

    @strawberry.mutation
    async def create_product(self, info: ContextInfo, input: CreateProductInput) -> ProductPayload:
        values = {**strawberry.asdict(input), "product_id": uuid.uuid4()}
        command = build(commands.CreateProduct, values)
        # The id follows from the SKU, so a second product with the same SKU finds the first one.
        command = command.model_copy(update={"product_id": product_id_for_sku(command.sku)})
        return ProductPayload.from_outcome(
            await info.context.commands.create_product(command, info.context.metadata())
        )

    @strawberry.mutation
    async def change_product_price(self, info: ContextInfo, input: ChangeProductPriceInput) -> ProductPayload:
        command = build(commands.ChangeProductPrice, strawberry.asdict(input))
        return ProductPayload.from_outcome(
            await info.context.commands.change_product_price(command, info.context.metadata())
        )

    @strawberry.mutation
    async def place_order(self, info: ContextInfo, input: PlaceOrderInput) -> OrderPayload:
        values = {**strawberry.asdict(input), "order_id": uuid.uuid4()}
        command = build(commands.PlaceOrder, values)
        if command.idempotency_key is not None:
            # Repeats of one key land on one stream, where only the first placement can be appended.
            order_id = order_id_for_idempotency_key(command.idempotency_key)
            command = command.model_copy(update={"order_id": order_id})
        return OrderPayload.from_outcome(
            await info.context.commands.place_order(command, info.context.metadata())
        )

    @strawberry.mutation
    async def ship_order(self, info: ContextInfo, input: ShipOrderInput) -> OrderPayload:
        command = build(commands.ShipOrder, strawberry.asdict(input))
        return OrderPayload.from_outcome(
            await info.context.commands.change_order(command, info.context.metadata())
        )

    @strawberry.mutation
    async def cancel_order(self, info: ContextInfo, input: CancelOrderInput) -> OrderPayload:
        command = build(commands.CancelOrder, strawberry.asdict(input))
        return OrderPayload.from_outcome(
            await info.context.commands.change_order(command, info.context.metadata())
        )
