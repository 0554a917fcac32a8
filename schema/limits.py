"""Limits on what one operation may ask for, so that no single request can tie up the server.

Each is checked before execution and its error names the limit and its value. The document is
parsed with the token limit in force, and everything judged from it (depth, aliases, cost, page
sizes) comes from one walk that works out each named fragment's figures once and reuses them: the
checks take time linear in the document, however its fragments spread each other. Page sizes given
by variables are checked where they are read (schema/pagination.py), request bodies by the app
(app/body_limit.py).
"""

import contextlib
import functools
import hashlib
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    Node,
    OperationDefinitionNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
    get_named_type,
    get_nullable_type,
    get_operation_ast,
    is_list_type,
    parse,
    specified_rules,
)
from graphql.validation import ASTValidationRule
from strawberry.extensions import AddValidationRules, DisableIntrospection, SchemaExtension
from strawberry.schema.schema import validate_document

from access.operations import fragments_of
from domain.commands import MAX_ORDER_LINES
from projections.read_models import ALL
from schema.pagination import MAX_PAGE_SIZE
from schema.read_queries import MAX_TOP_PRODUCTS

MAX_REPEATS = 10
"""Most fields answering at one response path, or fragment spreads in one selection (see
crowding_error)."""
CACHED_DOCUMENTS = 250
"""Parsed and validated documents remembered: clients send the same few documents over and over."""
CACHED_LENGTH = 4_000
"""Longest document remembered, in characters: the documents clients repeat are short (GraphiQL's
introspection query is 1,500), and a parsed document holds about 80 bytes per character, so at most
250 x 4,000 characters, about 80 MB, however many distinct documents an attacker sends."""

SIZE_ARGUMENTS = {"first": MAX_PAGE_SIZE, "top": MAX_TOP_PRODUCTS}
"""Arguments that size a list, with their largest value."""
LIST_LENGTHS = {
    "Order.lines": MAX_ORDER_LINES,
    "SalesReport.topProducts": MAX_TOP_PRODUCTS,
    "Query.projections": len(ALL),
    # Every command records at most one event.
    "CustomerPayload.events": 1,
    "ProductPayload.events": 1,
    "OrderPayload.events": 1,
}
"""The longest each list field without a `first` can be. A connection's `edges` count once: its page
size already multiplies what is below the connection; any other list counts as a page of the
largest size."""


@dataclass(frozen=True, slots=True)
class Limits:
    max_depth: int = 12
    max_aliases: int = 20
    max_tokens: int = 2_000
    max_document_chars: int = 20_000
    max_cost: int = 5_000
    max_batch: int = 10
    introspection: bool = True


@dataclass(frozen=True, slots=True)
class Figures:
    """What a selection set asks for: how deep it nests, its aliases and its cost, each fragment
    spread counted as often as it is spread."""

    depth: int = 0
    aliases: int = 0
    cost: int = 0

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(max(self.depth, other.depth), self.aliases + other.aliases, self.cost + other.cost)


NOTHING = Figures()


def _size(node: FieldNode, name: str, definition: GraphQLField) -> tuple[int, GraphQLError | None]:
    """The size `node` asks for with argument `name`: its literal value, the largest when a variable
    gives it, the schema's default when absent; and the error if the literal is out of bounds."""
    largest = SIZE_ARGUMENTS[name]
    for argument in node.arguments or ():
        if argument.name.value == name:
            if not isinstance(argument.value, IntValueNode):
                return largest, None
            value = int(argument.value.value)
            if 1 <= value <= largest:
                return value, None
            message = f"{name}: must be between 1 and {largest}, got {value}"
            return largest, GraphQLError(message, argument, extensions={"field": name})
    default = definition.args[name].default_value
    return (default if isinstance(default, int) else largest), None


class Walk:
    """One document's figures, each named fragment's worked out once (`fragment`)."""

    def __init__(self, schema: GraphQLSchema, document: DocumentNode) -> None:
        self._schema = schema
        self._fragments = fragments_of(document)
        self._figured: dict[str, Figures] = {}
        self._open: set[str] = set()
        self.errors: list[GraphQLError] = []
        """Sizes out of bounds, each reported once, wherever it is (under @skip too)."""

    def operation(self, operation: OperationDefinitionNode) -> Figures:
        return self.selections(operation.selection_set, self._schema.get_root_type(operation.operation))

    def selections(self, selections: SelectionSetNode, parent: GraphQLNamedType | None) -> Figures:
        total = NOTHING
        for selection in selections.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._schema.get_type(condition.name.value) if condition else parent
                total += self.selections(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _fragment(self, name: str) -> Figures:
        if (figured := self._figured.get(name)) is not None:
            return figured
        fragment = self._fragments.get(name)
        # Unknown fragments and cycles are reported by GraphQL's own rules.
        if fragment is None or name in self._open:
            return NOTHING
        self._open.add(name)
        figured = self.selections(
            fragment.selection_set, self._schema.get_type(fragment.type_condition.name.value)
        )
        self._open.discard(name)
        self._figured[name] = figured
        return figured

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> Figures:
        name = node.name.value
        fields = parent.fields if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType) else {}
        definition = fields.get(name)
        aliases = 1 if node.alias else 0
        if node.selection_set is None:
            return Figures(0, aliases, 1)
        inner = self.selections(node.selection_set, get_named_type(definition.type) if definition else None)
        # Introspection fields do not count towards the depth, as GraphiQL's query nests deeply.
        depth = 0 if name.startswith("__") else 1 + inner.depth
        length = self._length(node, parent, definition) if definition and parent else 1
        return Figures(depth, aliases + inner.aliases, 1 + inner.cost * length)

    def _length(self, node: FieldNode, parent: GraphQLNamedType, definition: GraphQLField) -> int:
        """How many times what is selected inside `node` may be resolved."""
        length = 1
        for name in SIZE_ARGUMENTS.keys() & definition.args.keys():
            size, error = _size(node, name, definition)
            if error is not None:
                self.errors.append(error)
            if name == "first":
                length = size
        if "first" in definition.args or parent.name.startswith("__"):
            return length
        if not is_list_type(get_nullable_type(definition.type)):
            return 1
        if parent.name.endswith("Connection") and node.name.value == "edges":
            return 1
        return LIST_LENGTHS.get(f"{parent.name}.{node.name.value}", MAX_PAGE_SIZE)


def operation_cost(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> int:
    """What the operation that runs costs (0 when the document names none: validation says so)."""
    operation = get_operation_ast(document, operation_name)
    return 0 if operation is None else Walk(schema, document).operation(operation).cost


def length_error(query: str | None, max_chars: int) -> GraphQLError | None:
    """A document too long to read at all: the token limit does not count comments and blanks, and
    the lexer reads those a character at a time (a 1 MB comment costs a second of CPU)."""
    if query is None or len(query) <= max_chars:
        return None
    return GraphQLError(
        f"this document has {len(query)} characters, above the limit of {max_chars}",
        extensions={"code": "BAD_USER_INPUT", "limit": "max_document_chars", "max": max_chars},
    )


def cost_error(found: int, max_cost: int, what: str = "operation", node: Node | None = None) -> GraphQLError:
    return GraphQLError(
        f"this {what} costs {found}, above the limit of {max_cost} (a field costs 1, times the page size "
        "of each connection or list it is in; ask for fewer fields or smaller pages)",
        node,
        extensions={"limit": "max_cost", "max": max_cost},
    )


def _limit_errors(walk: Walk, document: DocumentNode, limits: Limits) -> Iterator[GraphQLError]:
    aliases = 0
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        figures = walk.operation(operation)
        aliases += figures.aliases
        if figures.depth > limits.max_depth:
            name = operation.name.value if operation.name else "anonymous"
            yield GraphQLError(
                f"'{name}' exceeds maximum operation depth of {limits.max_depth}",
                operation,
                extensions={"limit": "max_depth", "max": limits.max_depth},
            )
        if figures.cost > limits.max_cost:
            yield cost_error(figures.cost, limits.max_cost, node=operation)
    if aliases > limits.max_aliases:
        yield GraphQLError(
            f"{aliases} aliases found. Allowed: {limits.max_aliases}",
            extensions={"limit": "max_aliases", "max": limits.max_aliases},
        )
    yield from walk.errors


def limits_rule(limits: Limits) -> type[ValidationRule]:
    class OperationLimits(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            for error in _limit_errors(Walk(context.schema, context.document), context.document, limits):
                self.report_error(error)

    return OperationLimits


def _bounded[K, V](cache: "OrderedDict[K, V]", key: K, value: V) -> V:
    cache[key] = value
    if len(cache) > CACHED_DOCUMENTS:
        cache.popitem(last=False)
    return value


class Documents:
    """Documents parsed with the token limit in force, and their validation, remembered by the
    hash of their text when they are short (CACHED_LENGTH), the least recently used forgotten."""

    def __init__(self, max_tokens: int) -> None:
        self.max_tokens = max_tokens
        self._parsed: OrderedDict[bytes, DocumentNode] = OrderedDict()
        self._validated: OrderedDict[tuple[bytes, Sequence[type[ASTValidationRule]]], list[GraphQLError]]
        self._validated = OrderedDict()
        self._last: tuple[str | None, DocumentNode] = (None, DocumentNode(definitions=()))

    @staticmethod
    def _key(query: str) -> bytes | None:
        if len(query) > CACHED_LENGTH:
            return None
        # JSON may carry lone surrogates ("\ud800"), which strict UTF-8 refuses to encode.
        return hashlib.sha256(query.encode("utf-8", "surrogatepass")).digest()

    def parse(self, query: str) -> DocumentNode:
        """Raises GraphQLSyntaxError, also for a document of more than `max_tokens` tokens."""
        if (key := self._key(query)) is None:
            # Too long to remember, but the schema reads the operation and Strawberry then parses
            # the same text again: the last one is kept for that second time.
            if query is not self._last[0]:
                self._last = (query, parse(query, max_tokens=self.max_tokens))
            return self._last[1]
        if (found := self._parsed.get(key)) is not None:
            self._parsed.move_to_end(key)
            return found
        return _bounded(self._parsed, key, parse(query, max_tokens=self.max_tokens))

    def validate(
        self,
        schema: GraphQLSchema,
        query: str,
        document: DocumentNode,
        rules: tuple[type[ASTValidationRule], ...],
    ) -> list[GraphQLError]:
        if (key := self._key(query)) is None:
            return _validated(schema, document, rules)
        if (found := self._validated.get((key, rules))) is not None:
            self._validated.move_to_end((key, rules))
            return found
        return _bounded(self._validated, (key, rules), _validated(schema, document, rules))


def _validated(
    schema: GraphQLSchema, document: DocumentNode, rules: tuple[type[ASTValidationRule], ...]
) -> list[GraphQLError]:
    if (error := crowding_error(document)) is not None:
        return [error]
    # GraphQL's own rules cost about 75 µs a token; the limits, a quarter of that, go first, so a
    # document over a limit is refused without them.
    ours = tuple(rule for rule in rules if rule not in specified_rules)
    if ours and (errors := validate_document(schema, document, ours)):
        return errors
    return validate_document(schema, document, rules)


def crowding_error(document: DocumentNode) -> GraphQLError | None:
    """A field reached by one response path (`orders.edges.node.id`) more often, or fragments
    spread into one selection more often, than a client needs.

    GraphQL's rule that overlapping fields can be merged compares every pair of fields that answer
    at the same path, and every pair of fragments spread into a selection: 20 copies of a field
    each selecting 20 copies of another (a 2 KB document) cost 0.2 s of CPU. Bounding the copies per
    path bounds the pairs by MAX_REPEATS times the length of the document; this check runs first."""
    for definition in document.definitions:
        selection_set = getattr(definition, "selection_set", None)
        if not isinstance(selection_set, SelectionSetNode):
            continue
        paths: Counter[str] = Counter()
        pending: list[tuple[SelectionSetNode, str]] = [(selection_set, "")]
        while pending:
            node, path = pending.pop()
            spreads = 0
            for selection in node.selections:
                if isinstance(selection, FieldNode):
                    key = f"{path}.{(selection.alias or selection.name).value}"
                    paths[key] += 1
                    if paths[key] > MAX_REPEATS:
                        return _crowded(f"the field at {key[1:]!r} more than {MAX_REPEATS} times", selection)
                    if selection.selection_set is not None:
                        pending.append((selection.selection_set, key))
                elif isinstance(selection, InlineFragmentNode):
                    pending.append((selection.selection_set, path))
                elif isinstance(selection, FragmentSpreadNode):
                    spreads += 1
                    if spreads > MAX_REPEATS:
                        return _crowded(
                            f"more than {MAX_REPEATS} fragment spreads in one selection", selection
                        )
    return None


def _crowded(what: str, node: Node) -> GraphQLError:
    return GraphQLError(
        f"this document selects {what} (the limit)",
        node,
        extensions={"code": "BAD_USER_INPUT", "limit": "max_repeats", "max": MAX_REPEATS},
    )


class CachedDocuments(SchemaExtension):
    """Parses and validates through `Documents` (in place of Strawberry's own steps)."""

    def __init__(self, documents: Documents) -> None:
        self.documents = documents

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.parse_options["max_tokens"] = self.documents.max_tokens
        if context.graphql_document is None and context.query:
            # One that does not parse is left to Strawberry's own parse, which fails the same way.
            with contextlib.suppress(GraphQLError):
                context.graphql_document = self.documents.parse(context.query)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        assert context.graphql_document is not None
        assert context.query is not None
        context.pre_execution_errors = self.documents.validate(
            context.schema._schema, context.query, context.graphql_document, context.validation_rules
        )
        yield


def limit_extensions(limits: Limits, documents: Documents) -> list[Callable[[], SchemaExtension]]:
    """Factories, so that each operation gets extensions of its own, but all of them with the same rule
    classes: built once here, they let the validation cache recognise a document it validated before."""
    rules: list[type[ASTValidationRule]] = [limits_rule(limits)]
    extensions: list[Callable[[], SchemaExtension]] = [
        functools.partial(AddValidationRules, rules),
        functools.partial(CachedDocuments, documents),
    ]
    if not limits.introspection:
        extensions.append(DisableIntrospection)
    return extensions
