"""Custom scalars: money travels as a decimal string, never a float."""

from decimal import Decimal, InvalidOperation

import strawberry


def _parse_decimal(value: object) -> Decimal:
    # A JSON number arrives as int or float; str() keeps what the client wrote (19.9, not 19.899...).
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError('a Decimal is a string such as "19.90"')
    try:
        parsed = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a decimal number") from None
    if not parsed.is_finite():
        raise ValueError(f"{value!r} is not a finite decimal number")
    return parsed


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description='Money as a decimal string, e.g. "19.90".',
    serialize=str,
    parse_value=_parse_decimal,
)
