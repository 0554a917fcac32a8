"""Who may do what: the one place where roles are enforced.

`admin` may do everything, key management, erasing customers and skipping events included; `clerk`
runs queries and mutations; `viewer` runs queries and subscriptions. `customer` is bound to one
customer: it may read that customer (alone in `customers`), its orders (one, the list, their history,
a search within them) and the products, place and cancel its orders, and subscribe to their events and
changes; anything about another customer is answered as if it did not exist (`customer_scope`, `sees`,
applied by the resolvers), and every other field is FORBIDDEN. A server that needs no authentication
(loopback, or EVENTFOLD_AUTH=off) lets an anonymous caller do everything, but a presented credential is
still checked and its role applied. The check runs before anything executes: every operation through
schema/access.py's Authorization extension, and every subscription also before it joins a shared
execution (`EventfoldSchema.stream` in schema/__init__.py; see live/multiplex.py), which would
otherwise skip the extension.
"""

from uuid import UUID

from graphql import DocumentNode, OperationType

from access.operations import root_fields
from access.principals import Caller, Role
from domain.errors import DomainError
from store.unavailable import StoreUnavailable

ADMIN_ONLY = frozenset({"createApiKey", "revokeApiKey", "apiKeys", "skipEvent", "eraseCustomer"})

CUSTOMER_FIELDS = frozenset(
    {
        "customer",
        "customers",
        "order",
        "orders",
        "history",
        "searchOrders",
        "product",
        "products",
        "node",
        "nodes",
        "placeOrder",
        "cancelOrder",
        "orderEvents",
        "orderChanged",
    }
)
"""The root fields open to the customer role, each answering only about its own customer."""
INTROSPECTION = frozenset({"__schema", "__type", "__typename"})

ALLOWED = {
    Role.ADMIN: frozenset(OperationType),
    Role.CLERK: frozenset({OperationType.QUERY, OperationType.MUTATION}),
    Role.VIEWER: frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION}),
    Role.CUSTOMER: frozenset(OperationType),
}

PLURAL = {
    OperationType.QUERY: "queries",
    OperationType.MUTATION: "mutations",
    OperationType.SUBSCRIPTION: "subscriptions",
}


class Unauthenticated(DomainError):
    """No credential where one is required, or one that is not valid."""

    code = "UNAUTHENTICATED"


class Forbidden(DomainError):
    """A valid credential whose role may not do what is asked."""

    code = "FORBIDDEN"


type Refusal = Unauthenticated | Forbidden | StoreUnavailable


def refusal(caller: Caller) -> Refusal | None:
    """Why `caller` may do nothing at all, whatever it asks (None: it may ask). A credential that
    could not be checked is refused as the database being away, which it is."""
    if caller.unverified:
        return StoreUnavailable("the database that holds the API keys is away")
    if caller.rejected is not None:
        return Unauthenticated(caller.rejected)
    if caller.principal is None and caller.required:
        return Unauthenticated(
            "authentication required: send the header 'Authorization: Bearer <API key or JWT>' "
            "(over WebSocket, put it in connection_init's payload as 'authorization')"
        )
    return None


def denial(caller: Caller, operation: OperationType, fields: frozenset[str]) -> Refusal | None:
    """Why `caller` may not run an `operation` selecting `fields` (None: it may)."""
    if (refused := refusal(caller)) is not None or caller.principal is None:
        return refused
    role = caller.principal.role
    if operation not in ALLOWED[role]:
        return Forbidden(f"the {role} role may not run {PLURAL[operation]}")
    if (admin_only := sorted(fields & ADMIN_ONLY)) and role is not Role.ADMIN:
        return Forbidden(f"{', '.join(admin_only)} needs the admin role; this key has the {role} role")
    if role is Role.CUSTOMER and (closed := sorted(fields - CUSTOMER_FIELDS - INTROSPECTION)):
        return Forbidden(f"{', '.join(closed)} is not open to the customer role")
    return None


def reads_metrics(caller: Caller) -> bool:
    """Metrics are the operators': every role may read them but the customer role (a storefront's)."""
    principal = caller.principal
    return principal is None or principal.role is not Role.CUSTOMER


def customer_scope(caller: Caller) -> UUID | None:
    """The one customer `caller` acts for and may see (None: it is not bound to a customer)."""
    principal = caller.principal
    return principal.customer_id if principal is not None and principal.role is Role.CUSTOMER else None


def sees(caller: Caller, customer_id: object) -> bool:
    """Whether `caller` may see what belongs to `customer_id` (a UUID or its text; None: nobody's
    known). Whatever it may not see, it is answered about as if it did not exist."""
    scope = customer_scope(caller)
    return scope is None or (customer_id is not None and str(customer_id) == str(scope))


def operation_of(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationType, frozenset[str]] | None:
    """What `denial` judges: the operation's type and the root fields it selects, fragments
    expanded; None if the document names no such operation (validation will say so)."""
    found = root_fields(document, operation_name)
    return None if found is None else (found[0], frozenset(found[1]))
