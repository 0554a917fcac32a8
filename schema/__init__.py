"""The GraphQL surface: types, queries, mutations, error codes. Thin: it translates, it does not decide."""

from collections.abc import AsyncGenerator, AsyncIterator, Iterable, Mapping
from decimal import Decimal
from typing import Any, cast

import strawberry
from graphql import GraphQLError, OperationType
from strawberry.extensions import SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.execution import PreExecutionError
from strawberry.types.graphql import OperationType as StrawberryOperationType

from access.principals import Caller
from access.rules import customer_scope, operation_of
from live.multiplex import key_of
from schema.access import Authorization, denial, refusal
from schema.api_keys import ApiKeyMutation, ApiKeyQuery
from schema.audit_queries import AuditQuery
from schema.context import Context
from schema.errors import ErrorCodes, log_unexpected, with_code
from schema.limits import Documents, Limits, cost_error, length_error, limit_extensions, operation_cost
from schema.mutations import Mutation
from schema.node_queries import NodeQuery
from schema.persisted import PersistedDocuments, PersistedRefusal
from schema.read_queries import ReadModelQuery
from schema.scalars import DecimalScalar
from schema.subscriptions import SharedSubscriptions, Subscription

SUBSCRIPTIONS_STREAM = (
    "subscriptions are served over WebSocket: connect to /graphql with the graphql-transport-ws "
    "(or legacy graphql-ws) protocol"
)


async def _refused(error: GraphQLError) -> AsyncIterator[ExecutionResult]:
    yield PreExecutionError(data=None, errors=[error])


async def _with_codes(results: AsyncGenerator[ExecutionResult]) -> AsyncIterator[ExecutionResult]:
    """Results streamed over a socket with every error coded: the ErrorCodes extension does not see
    what fails before execution there (unknown operation names, variables of the wrong type)."""
    try:
        async for result in results:
            if result.errors:
                result.errors = [
                    error if "code" in (error.extensions or {}) else with_code(error)
                    for error in result.errors
                ]
            yield result
    finally:
        await results.aclose()


class EventfoldSchema(strawberry.Schema):
    def __init__(
        self, limits: Limits, documents: Documents, persisted: PersistedDocuments, *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.documents = documents
        self.persisted = persisted
        self.multiplexer = SharedSubscriptions()

    def _persisted(self, query: str | None, extensions: Mapping[str, Any] | None) -> str | None:
        """The document a request names, by its text or its hash (schema/persisted.py). Raises
        GraphQLError when it names none this server will run."""
        try:
            return self.persisted.document(query, extensions)
        except PersistedRefusal as refused:
            raise GraphQLError(str(refused), extensions={"code": refused.code}) from None

    def _operation(
        self, query: str | None, operation_name: str | None
    ) -> tuple[OperationType, frozenset[str]] | None:
        """The operation's type and root fields; None when there is no query. Raises GraphQLError
        when it does not parse: answered at once, not parsed again by Strawberry to fail the same way."""
        if query is None:
            return None
        return operation_of(self.documents.parse(query), operation_name)

    def batch_refusal(
        self, caller: Caller, operations: list[tuple[str | None, str | None, dict[str, Any] | None]]
    ) -> GraphQLError | None:
        """Why a batch of (query, operation name, extensions) may not run as a whole: it costs more
        than one operation may. A caller refused outright is answered per operation, nothing parsed."""
        if refusal(caller) is not None:
            return None
        found = 0
        for named, operation_name, extensions in operations:
            query = self.persisted.peek(named, extensions)
            if length_error(query, self.limits.max_document_chars) is not None:
                continue  # refused on its own, unread
            try:
                document = self.documents.parse(query or "")
            except GraphQLError:
                continue
            found += operation_cost(self._schema, document, operation_name)
        if found <= self.limits.max_cost:
            return None
        error = cost_error(found, self.limits.max_cost, "batch")
        return GraphQLError(error.message, extensions={"code": "BAD_USER_INPUT", **(error.extensions or {})})

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Rejections of bad input are the client's business, not the server log's.
        log_unexpected(errors)

    async def execute(self, query: str | None, *args: Any, **kwargs: Any) -> ExecutionResult:
        """One answer per request: a subscription sent that way cannot be answered (it would be
        executed as a query that returns a stream, which GraphQL then reports as a server error).
        Strawberry's views pass everything after the query by keyword. A caller refused outright
        costs nothing more than that answer: the document is not even parsed."""
        if (error := refusal(cast("Context", kwargs.get("context_value")).caller)) is not None:
            return ExecutionResult(data=None, errors=[error])
        if (error := length_error(query, self.limits.max_document_chars)) is not None:
            return ExecutionResult(data=None, errors=[error])
        try:
            query = self._persisted(query, kwargs.get("operation_extensions"))
            found = self._operation(query, kwargs.get("operation_name"))
        except GraphQLError as malformed:
            return ExecutionResult(data=None, errors=[with_code(malformed)])
        if found is not None and found[0] is OperationType.SUBSCRIPTION:
            return ExecutionResult(
                data=None, errors=[GraphQLError(SUBSCRIPTIONS_STREAM, extensions={"code": "BAD_USER_INPUT"})]
            )
        return await super().execute(query, *args, **kwargs)

    async def subscribe(  # type: ignore[override]
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> AsyncIterator[ExecutionResult]:
        """What Strawberry's handler of the legacy graphql-ws protocol runs each operation with: any
        operation, as that protocol's specification allows and clients such as `gql` expect (fetching
        the schema over it), not only subscriptions; with `stream`'s rules and limits."""
        return await self.stream(
            query, variable_values, context_value, root_value, operation_name, operation_extensions
        )

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
        """Subscriptions asking the same thing share one execution (see live/multiplex.py)."""

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
            return _with_codes(cast("AsyncGenerator[ExecutionResult]", results))

        if (error := refusal(cast("Context", context_value).caller)) is not None:
            return _refused(error)
        if (error := length_error(query, self.limits.max_document_chars)) is not None:
            return _refused(error)
        try:
            query = self._persisted(query, operation_extensions)
            found = self._operation(query, operation_name)
        except GraphQLError as malformed:
            return _refused(with_code(malformed))
        if query is None or found is None or found[0] is not OperationType.SUBSCRIPTION:
            return await start()
        # A subscription that joins a running execution skips the extensions: check its caller here.
        if (error := denial(cast("Context", context_value).caller, *found)) is not None:
            return _refused(error)
        scope = customer_scope(cast("Context", context_value).caller)
        audience = "" if scope is None else f"customer:{scope}"
        return self.multiplexer.stream(key_of(query, operation_name, variable_values, audience), start)


def build_schema(
    limits: Limits | None = None,
    extensions: Iterable[type[SchemaExtension]] = (),
    persisted: PersistedDocuments | None = None,
) -> EventfoldSchema:
    """`extensions` run before the one that codes errors (the app adds its metrics here); `persisted`:
    the documents requests may name by hash (by default automatic persisted queries, any document)."""
    limits = limits or Limits()
    documents = Documents(limits.max_tokens)
    return EventfoldSchema(
        limits,
        documents,
        persisted or PersistedDocuments(max_chars=limits.max_document_chars),
        query=merge_types("Query", (ReadModelQuery, NodeQuery, AuditQuery, ApiKeyQuery)),
        mutation=merge_types("Mutation", (Mutation, ApiKeyMutation)),
        subscription=Subscription,
        extensions=[Authorization, *limit_extensions(limits, documents), *extensions, ErrorCodes],
        scalar_overrides={Decimal: DecimalScalar},
        config=StrawberryConfig(batching_config={"max_operations": limits.max_batch}),
    )
