"""Opaque cursors and page sizes for Relay-style connections."""

import base64
import binascii

from domain.errors import InvalidInput

MAX_PAGE_SIZE = 100


def page_size(first: int, field: str = "first") -> int:
    if not 1 <= first <= MAX_PAGE_SIZE:
        raise InvalidInput(field, f"must be between 1 and {MAX_PAGE_SIZE}, got {first}")
    return first


def encode_cursor(kind: str, value: int) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{value}".encode()).decode()


def decode_cursor(cursor: str, kind: str, field: str = "after") -> int:
    try:
        found_kind, value = base64.urlsafe_b64decode(cursor.encode()).decode().split(":", 1)
        if found_kind == kind:
            return int(value)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise InvalidInput(field, f"{cursor!r} is not a cursor this field gave out")
