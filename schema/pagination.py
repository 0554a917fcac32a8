"""Opaque cursors and page sizes for Relay-style connections."""

import base64
import binascii
from datetime import datetime

from domain.errors import InvalidInput
from projections import customer_profiles, order_summaries, product_catalogue
from schema.validation import aware
from store.documents import Document

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
        # The last part may hold the separator itself (a customer's name does).
        found_kind, *values = base64.urlsafe_b64decode(cursor.encode()).decode().split(SEPARATOR, parts)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        found_kind, values = "", []
    if found_kind != kind or len(values) != parts:
        raise InvalidInput(field, f"{cursor!r} is not a cursor this field gave out")
    return values


def order_cursor(summary: Document) -> str:
    placed_at, order_id = order_summaries.keyset(summary)
    return encode_cursor("order", placed_at.isoformat(), order_id)


def order_keyset(after: str | None) -> order_summaries.Keyset | None:
    """Where a page of orders (newest first) goes on from: the cursor of the last one shown."""
    if not after:
        return None
    placed_at, order_id = decode_cursor(after, "order", 2)
    try:
        parsed = datetime.fromisoformat(placed_at)
    except ValueError:
        raise InvalidInput("after", "is not a cursor this field gave out") from None
    instant = aware(parsed, "after")
    assert instant is not None
    return instant, order_id


def customer_cursor(profile: Document) -> str:
    name, customer_id = customer_profiles.keyset(profile)
    return encode_cursor("customer", customer_id, name)


def customer_keyset(after: str | None) -> customer_profiles.Keyset | None:
    if not after:
        return None
    customer_id, name = decode_cursor(after, "customer", 2)
    return name, customer_id


def product_cursor(product: Document) -> str:
    return encode_cursor("product", *product_catalogue.keyset(product))


def product_keyset(after: str | None) -> product_catalogue.Keyset | None:
    if not after:
        return None
    sku, product_id = decode_cursor(after, "product", 2)
    return sku, product_id
