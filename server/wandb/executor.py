"""A permissive GraphQL executor: selection sets are walked over plain Python values.

W&B's schema is not reproduced. A resolver returns dicts (and lists of them) whose values may
be callables taking the field's arguments; the executor picks the selected fields, follows
fragments and ``@include``/``@skip``, and answers null for any field it does not know, so a
newer SDK asking for more degrades instead of breaking. Documents are parsed by graphql-core.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    value_from_ast_untyped,
)

Resolver = Callable[..., Any]


class Context:
    """One request's document: fragments and variables, for walking selection sets."""

    def __init__(self, fragments: dict[str, FragmentDefinitionNode], variables: dict[str, Any]):
        self.fragments = fragments
        self.variables = variables

    def arguments(self, node: FieldNode) -> dict[str, Any]:
        return {
            arg.name.value: value_from_ast_untyped(arg.value, self.variables)
            for arg in node.arguments or ()
        }

    def _included(self, node) -> bool:
        for directive in node.directives or ():
            name = directive.name.value
            if name not in ("include", "skip"):
                continue
            args = {
                a.name.value: value_from_ast_untyped(a.value, self.variables)
                for a in directive.arguments
            }
            if bool(args.get("if")) != (name == "include"):
                return False
        return True

    def fields(self, selection_set: SelectionSetNode | None) -> list[FieldNode]:
        """The fields of a selection set with fragments spread (type conditions ignored:
        every object here has one type)."""
        found: list[FieldNode] = []
        for node in selection_set.selections if selection_set else ():
            if not self._included(node):
                continue
            if isinstance(node, FieldNode):
                found.append(node)
            elif isinstance(node, InlineFragmentNode):
                found.extend(self.fields(node.selection_set))
            elif isinstance(node, FragmentSpreadNode):
                fragment = self.fragments.get(node.name.value)
                if fragment is not None:
                    found.extend(self.fields(fragment.selection_set))
        return found


def complete(ctx: Context, value: Any, selection_set: SelectionSetNode | None) -> Any:
    """Shape ``value`` to ``selection_set``: leaves as they are, objects field by field."""
    if value is None or selection_set is None:
        return value
    if isinstance(value, list | tuple):
        return [complete(ctx, item, selection_set) for item in value]
    if not isinstance(value, Mapping):
        return None
    result: dict[str, Any] = {}
    for node in ctx.fields(selection_set):
        key = node.alias.value if node.alias else node.name.value
        field = value.get(node.name.value)
        if callable(field):
            field = field(**ctx.arguments(node))
        result[key] = complete(ctx, field, node.selection_set)
    return result


def operation_of(document, name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if name:
        for operation in operations:
            if operation.name and operation.name.value == name:
                return operation
    return operations[0] if len(operations) == 1 or not name else None


def fragments_of(document) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
