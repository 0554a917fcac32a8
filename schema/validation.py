"""Turn GraphQL input into a domain command; pydantic's complaints become BAD_USER_INPUT naming the field."""

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic.alias_generators import to_camel

from domain.commands import Currency
from domain.errors import InvalidInput
from store.documents import words_of

CURRENCY: TypeAdapter[str] = TypeAdapter(Currency)

MAX_SEARCH_CHARS = 200
MAX_SEARCH_WORDS = 10
"""Each word of a search is one more lookup in an index."""


def _field_path(location: tuple[int | str, ...]) -> str:
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + to_camel(part)
    return path or "input"


def build[C: BaseModel](command_type: type[C], values: dict[str, Any]) -> C:
    try:
        return command_type.model_validate(values)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        raise InvalidInput(_field_path(first["loc"]), first["msg"]) from None


def parse_id(value: str, field: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        raise InvalidInput(field, f"{value!r} is not a valid id (a UUID)") from None


def parse_currency(value: str, field: str) -> str:
    try:
        return CURRENCY.validate_python(value)
    except ValidationError as error:
        raise InvalidInput(field, error.errors(include_url=False)[0]["msg"]) from None


def aware(value: datetime | None, field: str) -> datetime | None:
    """Instants must say which offset they are in; they are compared in UTC."""
    if value is None:
        return None
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInput(field, f"{value.isoformat()} has no UTC offset (add Z or +hh:mm)")
    return value.astimezone(UTC)


def search_text(text: str, field: str) -> str:
    """A search as typed, bounded; one without a single word to search for is BAD_USER_INPUT."""
    if not text.strip():
        raise InvalidInput(field, "must contain a word to search for")
    if len(text) > MAX_SEARCH_CHARS:
        raise InvalidInput(field, f"must be at most {MAX_SEARCH_CHARS} characters")
    if len(words := words_of(text)) > MAX_SEARCH_WORDS:
        raise InvalidInput(field, f"must be at most {MAX_SEARCH_WORDS} words, got {len(words)}")
    return text
