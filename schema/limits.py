"""Limits on what one operation may ask for, so that no single request can tie up the server.

Each is checked before execution and its error names the limit and its value. Page sizes are
checked where they are read (schema/pagination.py), request bodies by the app (app/body_limit.py).
"""

import functools
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLError,
    IntValueNode,
    OperationDefinitionNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)

from access.operations import Field, fields, fragments_of
from schema.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

CACHED_DOCUMENTS = 1_000
"""Validated documents remembered: clients send the same few documents over and over."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 20
    max_tokens: int = 2_000
    max_cost: int = 5_000
    max_batch: int = 10
    introspection: bool = True


def _page_size(field: FieldNode) -> int:
    """A connection's page size: `first` when written out, its maximum when a variable gives it
    (the validation does not see variables), its default when absent."""
    for argument in field.arguments or ():
        if argument.name.value == "first":
            value = argument.value
            return int(value.value) if isinstance(value, IntValueNode) else MAX_PAGE_SIZE
    return DEFAULT_PAGE_SIZE


def _is_connection(field: FieldNode) -> bool:
    return field.selection_set is not None and any(
        isinstance(selection, FieldNode) and selection.name.value == "edges"
        for selection in field.selection_set.selections
    )


def cost(selected: Iterable[Field]) -> int:
    """Each field costs 1, and everything selected inside a connection costs once per node of its
    page: an estimate of the documents the operation can make the server read and encode."""
    return sum(
        1 + cost(field.fields()) * (_page_size(field.node) if _is_connection(field.node) else 1)
        for field in selected
    )


def cost_limit(max_cost: int) -> type[ValidationRule]:
    class CostLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            self.fragments = fragments_of(context.document)

        def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
            found = cost(fields(node.selection_set, self.fragments))
            if found > max_cost:
                self.report_error(
                    GraphQLError(
                        f"this operation costs {found}, above the limit of {max_cost} (a field costs 1, "
                        "times the page size of each connection it is in; ask for fewer fields or "
                        "smaller pages)",
                        node,
                        extensions={"limit": "max_cost", "max": max_cost},
                    )
                )

    return CostLimit


def limit_extensions(limits: Limits) -> list[Callable[[], SchemaExtension]]:
    """Factories, so that each operation gets extensions of its own, but all of them with the same rule
    classes: built once here, they let the validation cache recognise a document it validated before."""
    rules = [
        *QueryDepthLimiter(max_depth=limits.max_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=limits.max_aliases).validation_rules,
        cost_limit(limits.max_cost),
    ]
    extensions: list[Callable[[], SchemaExtension]] = [
        functools.partial(MaxTokensLimiter, max_token_count=limits.max_tokens),
        functools.partial(AddValidationRules, rules),
        functools.partial(ValidationCache, maxsize=CACHED_DOCUMENTS),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return extensions
