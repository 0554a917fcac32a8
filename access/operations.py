"""The one walk over what a GraphQL operation selects, shared by everything that judges an operation
before it runs: which root fields it asks for (access, metrics) and what it may cost (limits)."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

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


@dataclass(frozen=True, slots=True)
class Field:
    """A field selected, with what a walk below it needs."""

    node: FieldNode
    fragments: Fragments | None
    within: frozenset[str]
    """The named fragments this field was reached through. A walk below it expands none of them
    again, so that cyclic fragments, which validation reports in the same pass, still end."""

    def fields(self) -> Iterator["Field"]:
        """The fields selected inside this one, as `fields` finds them."""
        if self.node.selection_set is None:
            return iter(())
        return fields(self.node.selection_set, self.fragments, self.within)


def fields(
    selections: SelectionSetNode, fragments: Fragments | None, within: frozenset[str] = frozenset()
) -> Iterator[Field]:
    """The fields of a selection set in document order, those of its fragments (named or inline)
    in their place. With `fragments` None no fragment is looked into: only the fields written out
    directly are found."""
    for selection in selections.selections:
        if isinstance(selection, FieldNode):
            yield Field(selection, fragments, within)
        elif fragments is None:
            continue
        elif isinstance(selection, InlineFragmentNode):
            yield from fields(selection.selection_set, fragments, within)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name) if name not in within else None
            if fragment is not None:
                yield from fields(fragment.selection_set, fragments, within | {name})


def root_fields(
    document: DocumentNode, operation_name: str | None, *, expand_fragments: bool = True
) -> tuple[OperationType, list[str]] | None:
    """The operation's type and the names of the root fields it selects, in document order; None
    if the document names no such operation (validation will say so)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None
    selected = fields(operation.selection_set, fragments_of(document) if expand_fragments else None)
    return operation.operation, [field.node.name.value for field in selected]
