"""Custom scalars: money travels as a decimal string, never a float."""

import strawberry


class _Structure:
    """A JSON list or object sent where money goes, without its contents: Strawberry copies input values
    recursively (deep nesting would exhaust the stack), and the command refuses anything but a string."""


def _as_sent(value: object) -> object:
    # Whether a price has the one form the contract allows is the command's to say
    # (domain.commands.Money): there the refusal can name the input field, which an error raised
    # while GraphQL coerces a value cannot.
    return _Structure() if isinstance(value, (list, dict)) else value


DecimalScalar = strawberry.scalar(
    name="Decimal",
    description=(
        'Money as a decimal string, e.g. "19.90": 1 to 10 ASCII digits, optionally a point and 1 or 2 '
        "more; never a JSON number."
    ),
    serialize=str,
    parse_value=_as_sent,
)
