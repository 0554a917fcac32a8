"""Who may do what: the one place where roles are enforced.

`admin` may do everything, key management included; `clerk` runs queries and mutations; `viewer`
runs queries and subscriptions. A server that needs no authentication (loopback, or
EVENTFOLD_AUTH=off) lets an anonymous caller do everything, but a presented credential is still
checked and its role applied. The check runs before anything executes: every operation through the
Authorization extension, and every subscription also before it joins a shared execution (see
schema/multiplex.py), which would otherwise skip the extension.
"""

import functools
from collections.abc import Iterator
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSyntaxError,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
    parse,
)
from strawberry.extensions import SchemaExtension

from schema.errors import unavailable
from store.api_keys import Role

ADMIN_ONLY = frozenset({"createApiKey", "revokeApiKey", "apiKeys"})

ALLOWED = {
    Role.ADMIN: frozenset(OperationType),
    Role.CLERK: frozenset({OperationType.QUERY, OperationType.MUTATION}),
    Role.VIEWER: frozenset({OperationType.QUERY, OperationType.SUBSCRIPTION}),
}

PLURAL = {
    OperationType.QUERY: "queries",
    OperationType.MUTATION: "mutations",
    OperationType.SUBSCRIPTION: "subscriptions",
}


@dataclass(frozen=True, slots=True)
class Principal:
    name: str
    """Who acted, as recorded in each event's metadata: `key:<name>` or `jwt:<subject>`."""
    role: Role


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


def _unauthenticated(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "UNAUTHENTICATED"})


def _forbidden(message: str) -> GraphQLError:
    return GraphQLError(message, extensions={"code": "FORBIDDEN"})


def refusal(caller: Caller) -> GraphQLError | None:
    """Why `caller` may do nothing at all, whatever it asks (None: it may ask)."""
    if caller.unverified:
        return unavailable()
    if caller.rejected is not None:
        return _unauthenticated(caller.rejected)
    if caller.principal is None and caller.required:
        return _unauthenticated(
            "authentication required: send the header 'Authorization: Bearer <API key or JWT>' "
            "(over WebSocket, put it in connection_init's payload as 'authorization')"
        )
    return None


def denial(caller: Caller, operation: OperationType, fields: frozenset[str]) -> GraphQLError | None:
    """The error to answer with, or None when `caller` may run an `operation` selecting `fields`."""
    if (refused := refusal(caller)) is not None or caller.principal is None:
        return refused
    role = caller.principal.role
    if operation not in ALLOWED[role]:
        return _forbidden(f"the {role} role may not run {PLURAL[operation]}")
    if (admin_only := sorted(fields & ADMIN_ONLY)) and role is not Role.ADMIN:
        return _forbidden(f"{', '.join(admin_only)} needs the admin role; this key has the {role} role")
    return None


def _root_fields(
    selections: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode], seen: frozenset[str]
) -> Iterator[str]:
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection.name.value
        elif isinstance(selection, InlineFragmentNode):
            yield from _root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name) if name not in seen else None
            if fragment is not None:
                yield from _root_fields(fragment.selection_set, fragments, seen | {name})


def operation_of(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationType, frozenset[str]] | None:
    """The operation's type and the root fields it selects; None if the document names no such
    operation (validation will say so)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return operation.operation, frozenset(_root_fields(operation.selection_set, fragments, frozenset()))


@functools.lru_cache(maxsize=1024)
def parsed_operation(query: str, operation_name: str | None) -> tuple[OperationType, frozenset[str]] | None:
    try:
        return operation_of(parse(query), operation_name)
    except GraphQLSyntaxError:
        return None


class Authorization(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        found = operation_of(document, context.operation_name) if document is not None else None
        if found is not None and (error := denial(context.context.caller, *found)) is not None:
            raise error
        yield
