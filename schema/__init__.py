"""The GraphQL surface: types, queries, mutations, error codes. Thin: it translates, it does not decide."""

import functools
from collections.abc import AsyncIterator, Iterable
from decimal import Decimal
from typing import Any, cast

import strawberry
from graphql import GraphQLError, GraphQLSyntaxError, OperationType, get_operation_ast, parse
from strawberry.extensions import SchemaExtension
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType as StrawberryOperationType

from schema.errors import ErrorCodes, log_unexpected
from schema.multiplex import Multiplexer, key_of
from schema.mutations import Mutation
from schema.queries import AuditQuery
from schema.read_queries import ReadModelQuery
from schema.scalars import DecimalScalar
from schema.subscriptions import Subscription


@functools.lru_cache(maxsize=1024)
def is_subscription(query: str, operation_name: str | None) -> bool:
    try:
        operation = get_operation_ast(parse(query), operation_name)
    except GraphQLSyntaxError:
        return False
    return operation is not None and operation.operation is OperationType.SUBSCRIPTION


class EventfoldSchema(strawberry.Schema):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.multiplexer = Multiplexer()

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Rejections of bad input are the client's business, not the server log's.
        log_unexpected(errors)

    async def stream(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[StrawberryOperationType] | None = None,
    ) -> AsyncIterator[ExecutionResult]:
        """Subscriptions asking the same thing share one execution (see schema/multiplex.py)."""

        async def start() -> AsyncIterator[ExecutionResult]:
            results = await super(EventfoldSchema, self).stream(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                operation_extensions,
                allowed_operation_types,
            )
            # Subscriptions yield ExecutionResults only (no incremental delivery here).
            return cast("AsyncIterator[ExecutionResult]", results)

        if query is None or not is_subscription(query, operation_name):
            return await start()
        return self.multiplexer.stream(key_of(query, operation_name, variable_values), start)


def build_schema(extensions: Iterable[type[SchemaExtension]] = ()) -> EventfoldSchema:
    """`extensions` run before the one that codes errors (the app adds its metrics here)."""
    return EventfoldSchema(
        query=merge_types("Query", (ReadModelQuery, AuditQuery)),
        mutation=Mutation,
        subscription=Subscription,
        extensions=[*extensions, ErrorCodes],
        scalar_overrides={Decimal: DecimalScalar},
    )
