"""Opaque cursors and page sizes for Relay-style connections."""

import base64
import binascii

from domain.errors import InvalidInput

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100
SEPARATOR = "|"


def page_size(first: int, field: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidInput(field, f"must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    return first


def encode_cursor(kind: str, *parts: object) -> str:
    text = SEPARATOR.join([kind, *(str(part) for part in parts)])
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_cursor(cursor: str, kind: str, parts: int, field: str = "after") -> list[str]:
    """The parts of a cursor this field gave out; anything else is BAD_USER_INPUT."""
    try:
        found_kind, *values = base64.urlsafe_b64decode(cursor.encode()).decode().split(SEPARATOR)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        found_kind, values = "", []
    if found_kind != kind or len(values) != parts:
        raise InvalidInput(field, f"{cursor!r} is not a cursor this field gave out")
    return values
