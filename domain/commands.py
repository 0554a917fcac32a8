"""Commands: what a client asks for, validated on construction (pydantic).

A command that exists is well-formed; whether it is allowed is for the decider to say.
"""

from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import (
    AfterValidator,
    BeforeValidator,
    EmailStr,
    Field,
    StringConstraints,
)
from pydantic_extra_types.country import CountryAlpha2

from domain.values import Address, Value

MAX_ORDER_LINES = 100


def _text(max_length: int) -> StringConstraints:
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


def _upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Name = Annotated[str, _text(200)]
Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Money = Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)]
Quantity = Annotated[int, Field(ge=1, le=1000)]
Version = Annotated[int, Field(ge=0)]
Country = Annotated[CountryAlpha2, BeforeValidator(_upper_stripped)]


class AddressInput(Value):
    street: Annotated[str, _text(200)]
    city: Annotated[str, _text(100)]
    postal_code: Annotated[str, _text(20)]
    country: Country

    def to_address(self) -> Address:
        return Address(
            street=self.street,
            city=self.city,
            postal_code=self.postal_code,
            country=str(self.country),
        )


class Command(Value):
    pass


class RegisterCustomer(Command):
    customer_id: UUID
    name: Name
    email: Email
    address: AddressInput | None = None


class ChangeCustomerAddress(Command):
    customer_id: UUID
    address: AddressInput
    expected_version: Version | None = None


class ChangeCustomerEmail(Command):
    customer_id: UUID
    email: Email
    expected_version: Version | None = None


class VerifyCustomerEmail(Command):
    customer_id: UUID
    expected_version: Version | None = None


class CreateProduct(Command):
    product_id: UUID
    sku: Sku
    name: Name
    price: Money


class ChangeProductPrice(Command):
    product_id: UUID
    price: Money
    expected_version: Version | None = None


class OrderLineInput(Value):
    product_id: UUID
    quantity: Quantity


def _distinct_products(lines: tuple[OrderLineInput, ...]) -> tuple[OrderLineInput, ...]:
    seen: set[UUID] = set()
    for line in lines:
        if line.product_id in seen:
            raise ValueError(f"product {line.product_id} appears in more than one line")
        seen.add(line.product_id)
    return lines


class PlaceOrder(Command):
    order_id: UUID
    customer_id: UUID
    lines: Annotated[
        tuple[OrderLineInput, ...],
        Field(min_length=1, max_length=MAX_ORDER_LINES),
        AfterValidator(_distinct_products),
    ]
    idempotency_key: Annotated[str, _text(200)] | None = None


class ShipOrder(Command):
    order_id: UUID
    carrier: Name
    tracking_number: Annotated[str, _text(100)]
    expected_version: Version | None = None


class CancelOrder(Command):
    order_id: UUID
    reason: Annotated[str, _text(500)]
    expected_version: Version | None = None
