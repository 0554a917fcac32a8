"""access/rules.py's judgements as GraphQL errors, and the extension that applies them to every
operation before it executes."""

from collections.abc import Iterator

from graphql import GraphQLError, OperationType
from strawberry.extensions import SchemaExtension

from access import rules
from access.principals import Caller
from schema.errors import coded, unavailable
from store.unavailable import StoreUnavailable


def _error(refused: rules.Refusal | None) -> GraphQLError | None:
    if isinstance(refused, StoreUnavailable):
        return unavailable()
    return None if refused is None else coded(refused)


def refusal(caller: Caller) -> GraphQLError | None:
    """Why `caller` may do nothing at all, whatever it asks (None: it may ask)."""
    return _error(rules.refusal(caller))


def denial(caller: Caller, operation: OperationType, fields: frozenset[str]) -> GraphQLError | None:
    """The error to answer with, or None when `caller` may run an `operation` selecting `fields`."""
    return _error(rules.denial(caller, operation, fields))


class Authorization(SchemaExtension):
    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        found = rules.operation_of(document, context.operation_name) if document is not None else None
        if found is not None and (error := denial(context.context.caller, *found)) is not None:
            raise error
        yield
