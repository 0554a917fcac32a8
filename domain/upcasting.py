"""Upcasters: how a stored event of an older schema version becomes the current version when read.

One pure function per (event type, version it starts from), each lifting a payload by exactly one
version; `upcast` chains them. Stored events are never rewritten, so an upcaster must stay as it is
for as long as events of its version may be stored: adding version 3 is one new function here (and one
test), never an edit of the one before it.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

Payload = dict[str, Any]
"""An event's data as stored: JSON values (SQLite) or BSON values (MongoDB); upcasters only move keys."""


@dataclass(frozen=True, slots=True)
class Deployment:
    """What a version-1 event left implicit because the deployment fixed it."""

    currency: str
    """ISO 4217: the one currency every price was in before events carried theirs (EVENTFOLD_CURRENCY)."""


DEFAULT_CURRENCY = "EUR"
DEFAULT_DEPLOYMENT = Deployment(currency=DEFAULT_CURRENCY)

Upcaster = Callable[[Mapping[str, Any], Deployment], Payload]


def with_currency(data: Mapping[str, Any], deployment: Deployment) -> Payload:
    """Version 1 → 2 of every event that carries money: its amounts are in the deployment's currency."""
    return {**data, "currency": deployment.currency}


def unsealed(data: Mapping[str, Any], deployment: Deployment) -> Payload:
    """The version before the one that seals personal fields → that version: a plaintext payload has
    the fields a sealed one has once `store.sealing` opened it (before upcasting), so nothing moves."""
    return dict(data)


UPCASTERS: Mapping[tuple[str, int], Upcaster] = {
    ("ProductCreated", 1): with_currency,
    ("ProductPriceChanged", 1): with_currency,
    ("OrderPlaced", 1): with_currency,
    ("OrderPlaced", 2): unsealed,
    ("CustomerRegistered", 1): unsealed,
    ("CustomerAddressChanged", 1): unsealed,
    ("CustomerEmailChanged", 1): unsealed,
    ("CustomerEmailVerified", 1): unsealed,
    ("OrderShipped", 1): with_currency,
    ("OrderCancelled", 1): with_currency,
}


def upcast(
    type_name: str, schema_version: int, data: Mapping[str, Any], deployment: Deployment
) -> tuple[int, Payload]:
    """The version the payload ends at, lifted as far as the upcasters go, and the payload then."""
    version = schema_version
    payload = dict(data)
    while (step := UPCASTERS.get((type_name, version))) is not None:
        payload = step(payload, deployment)
        version += 1
    return version, payload
