"""Commands: what a client asks for, validated on construction (pydantic).

A command that exists is well-formed; whether it is allowed is for the decider to say.
"""

import hashlib
import json
import re
from collections.abc import Sequence
from decimal import Decimal
from typing import Annotated
from uuid import UUID

import pycountry
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


PRICE_FORM = re.compile(r"[0-9]{1,10}(\.[0-9]{1,2})?")
"""The one form a price takes on the wire. `[0-9]`, unlike `\\d` and unlike `Decimal()`, is ASCII digits
only: no exponent, no digit separators, no fullwidth or Arabic-Indic digits, no whitespace."""


def _price(value: object) -> object:
    """A price as sent: a string of the one form, never a JSON number (a float is not money). A Decimal
    comes from Python callers (the seeder), not from the wire, and is checked by the constraints alone."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, str) and PRICE_FORM.fullmatch(value):
        return Decimal(value)
    raise ValueError(
        'must be a string of 1 to 10 digits, optionally with a point and 1 or 2 decimals, e.g. "19.90"'
    )


def _upper_stripped(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Name = Annotated[str, _text(200)]
Sku = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"),
]
Email = Annotated[EmailStr, StringConstraints(max_length=254)]
Money = Annotated[
    Decimal, BeforeValidator(_price), Field(gt=0, max_digits=12, decimal_places=2, allow_inf_nan=False)
]
Quantity = Annotated[int, Field(ge=1, le=1000)]
Version = Annotated[int, Field(ge=0)]
Country = Annotated[CountryAlpha2, BeforeValidator(_upper_stripped)]


def _iso_4217(code: str) -> str:
    if len(code) != 3 or pycountry.currencies.get(alpha_3=code) is None:
        raise ValueError(f"{code!r} is not an ISO 4217 currency code (such as EUR, USD, GBP)")
    return code


Currency = Annotated[str, BeforeValidator(_upper_stripped), AfterValidator(_iso_4217)]
"""An ISO 4217 code: "EUR", "usd" and " gbp " are EUR, USD and GBP."""


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


class EraseCustomer(Command):
    """Forget the customer's personal data (GDPR erasure): its events stay, their personal fields become
    unreadable."""

    customer_id: UUID


class CreateProduct(Command):
    product_id: UUID
    sku: Sku
    name: Name
    price: Money
    currency: Currency


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
    idempotency_scope: str | None = None
    """Whose key it is: the principal that sent it (`key:<name>`, `jwt:<subject>`), None for an anonymous
    caller. Set by the server, never by the client: a key names an order among one caller's requests."""


def request_fingerprint(customer_id: UUID, lines: Sequence[tuple[UUID, int]]) -> str:
    """The hash of a placement's normalized input: the buyer and each line's product and quantity, in
    the order sent (the idempotency key is the same by construction, the scope is in the order's id)."""
    request = json.dumps([str(customer_id), [[str(product), quantity] for product, quantity in lines]])
    return hashlib.sha256(request.encode()).hexdigest()


class ShipOrder(Command):
    order_id: UUID
    carrier: Name
    tracking_number: Annotated[str, _text(100)]
    expected_version: Version | None = None


class CancelOrder(Command):
    order_id: UUID
    reason: Annotated[str, _text(500)]
    expected_version: Version | None = None
