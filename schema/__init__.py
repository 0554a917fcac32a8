"""The GraphQL surface: types, queries, mutations, error codes. Thin: it translates, it does not decide."""

from decimal import Decimal

import strawberry
from graphql import GraphQLError
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.errors import ErrorCodes, log_unexpected
from schema.mutations import Mutation
from schema.queries import AuditQuery
from schema.read_queries import ReadModelQuery
from schema.scalars import DecimalScalar
from schema.subscriptions import Subscription


class EventfoldSchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # Rejections of bad input are the client's business, not the server log's.
        log_unexpected(errors)


def build_schema() -> strawberry.Schema:
    return EventfoldSchema(
        query=merge_types("Query", (ReadModelQuery, AuditQuery)),
        mutation=Mutation,
        subscription=Subscription,
        extensions=[ErrorCodes],
        scalar_overrides={Decimal: DecimalScalar},
    )
