"""Every error a client sees carries `extensions.code` (listed in the README); unexpected ones are masked."""

import logging
from collections.abc import Iterator

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from domain.errors import DomainError, InvalidInput
from store.unavailable import StoreUnavailable

logger = logging.getLogger("eventfold.errors")

INTERNAL_MESSAGE = "Internal server error; the details are in the server log."
UNAVAILABLE_MESSAGE = (
    "The database is unreachable right now; try again in a moment. A write cut short by this may have "
    "been recorded: repeat it with the same idempotencyKey or expectedVersion so it is not applied twice."
)


def is_unexpected(error: GraphQLError) -> bool:
    """A failure while executing a field that is not a domain rejection. Errors before execution
    (parsing, validation, coercing variables and literals) have no path: the request is at fault."""
    original = error.original_error
    return (
        error.path is not None
        and original is not None
        and not isinstance(original, (DomainError, GraphQLError, StoreUnavailable))
    )


def domain_extensions(error: DomainError) -> dict[str, object]:
    extensions: dict[str, object] = {"code": error.code}
    if isinstance(error, InvalidInput):
        extensions["field"] = error.field
    return extensions


def coded(error: DomainError) -> GraphQLError:
    """A domain error as a GraphQL error that already carries its code (for results streamed by
    subscriptions, which the ErrorCodes extension does not see)."""
    return GraphQLError(error.message, extensions=domain_extensions(error))


def unavailable() -> GraphQLError:
    """The database being away, as subscriptions stream it."""
    return GraphQLError(UNAVAILABLE_MESSAGE, extensions={"code": "SERVICE_UNAVAILABLE"})


def with_code(error: GraphQLError) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions = domain_extensions(original)
        message = original.message
    elif isinstance(original, StoreUnavailable):
        extensions, message = {"code": "SERVICE_UNAVAILABLE"}, UNAVAILABLE_MESSAGE
    elif is_unexpected(error):
        extensions, message = {"code": "INTERNAL_SERVER_ERROR"}, INTERNAL_MESSAGE
    else:
        # Parse errors, unknown fields, variables of the wrong type: the request itself is malformed.
        extensions, message = {"code": "BAD_USER_INPUT", **(error.extensions or {})}, error.message
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        extensions=extensions,
    )


class ErrorCodes(SchemaExtension):
    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is not None and result.errors:
            result.errors = [with_code(error) for error in result.errors]


def log_unexpected(errors: list[GraphQLError]) -> None:
    for error in errors:
        if is_unexpected(error):
            logger.error("unexpected error at %s", error.path, exc_info=error.original_error)
        elif isinstance(error.original_error, StoreUnavailable):
            logger.warning("database unreachable at %s: %s", error.path, error.original_error)
