"""Who is calling: the roles, the principal a credential stands for, and the caller of one request."""

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID


class Role(StrEnum):
    """admin: everything; clerk: queries and mutations; viewer: queries and subscriptions; customer:
    its own customer and orders, and the products (a storefront acting for one customer)"""

    ADMIN = "admin"
    CLERK = "clerk"
    VIEWER = "viewer"
    CUSTOMER = "customer"


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    """Who acted, as recorded in each event's metadata: `key:<name>` or `jwt:<subject>`."""
    role: Role
    customer_id: UUID | None = None
    """The one customer a `customer` principal acts for and sees; None for every other role."""


@dataclass(frozen=True, slots=True)
class Caller:
    """What authentication made of one request or WebSocket connection."""

    principal: Principal | None = None
    required: bool = False
    """This server refuses anonymous callers."""
    rejected: str | None = None
    """Why the credential presented was refused; such a caller may do nothing."""
    unverified: bool = False
    """The credential could not be checked: the database that holds the keys is away."""
