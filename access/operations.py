"""The walk over what a GraphQL operation selects at its root, shared by everything that judges an
operation by the fields it asks for: access (which root fields) and metrics (how to label it)."""

from collections.abc import Iterator, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_operation_ast,
)

type Fragments = Mapping[str, FragmentDefinitionNode]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }


def fields(selections: SelectionSetNode, fragments: Fragments | None, seen: set[str]) -> Iterator[FieldNode]:
    """The fields of a selection set in document order, those of its fragments (named or inline)
    in their place. Each named fragment is opened once per walk (`seen`): a second spread adds no
    field name, and opening it again would let fragments that spread each other twice cost time
    exponential in the document's length (cycles, which validation reports, end the same way). With
    `fragments` None no fragment is looked into: only the fields written out directly are found."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif fragments is None:
            continue
        elif isinstance(selection, InlineFragmentNode):
            yield from fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
            seen.add(selection.name.value)
            if (fragment := fragments.get(selection.name.value)) is not None:
                yield from fields(fragment.selection_set, fragments, seen)


def root_fields(
    document: DocumentNode, operation_name: str | None, *, expand_fragments: bool = True
) -> tuple[OperationType, list[str]] | None:
    """The operation's type and the names of the root fields it selects, in document order; None
    if the document names no such operation (validation will say so)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    selected = fields(operation.selection_set, fragments_of(document) if expand_fragments else None, set())
    return operation.operation, [field.name.value for field in selected]
