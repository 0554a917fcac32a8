"""Value types shared by commands, events and states."""

from decimal import ROUND_HALF_EVEN, Decimal

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel

CENT = Decimal("0.01")


def cents(amount: Decimal) -> Decimal:
    """Money is always shown with two decimals ("19.90", never "19.9")."""
    # Positional: C's quantize parses a keyword argument at twice the cost of the rounding itself.
    return amount.quantize(CENT, ROUND_HALF_EVEN)


class Value(BaseModel):
    """Immutable, camelCase on the wire (event payloads are read by frontends as JSON)."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )


class Address(Value):
    model_config = ConfigDict(extra="ignore")  # recorded in events: see `domain.events`
    street: str
    city: str
    postal_code: str
    country: str
