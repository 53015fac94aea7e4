"""One walk over a message, shared by every rule.

Rules ask about kinds of value wherever they appear (every NHS number, every child, every
start and end pair). Walking the message once and indexing what it holds, with locations
kept as tuples and turned into path strings only when a rule fails, keeps the rules cheap
enough to run on every message of a large batch.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from typing import Any, TypeVar

import attrs

from ..model._base import IcsModel
from ..shape import shape_of

__all__ = ["INDEXED_TYPES", "MessageIndex", "Parts"]

Parts = tuple[str | int, ...]
T = TypeVar("T", bound=IcsModel)


@attrs.frozen
class _ClassPlan:
    """What the index needs to know of one model class, computed once."""

    models_reversed: tuple[tuple[str, str, bool], ...]  # (attribute, JSON name, is a list) of nested models, last first
    simples: tuple[tuple[str, str, bool, str], ...]  # (attribute, JSON name, is a list, simple type name)


#: The simple types rules ask about; values of other types are not indexed.
INDEXED_TYPES = frozenset({"NhsNumber", "Upn", "LaCode", "ContactPointId", "ShortText", "Text"})


@cache
def _plan(cls: type[IcsModel]) -> _ClassPlan:
    shapes = shape_of(cls)
    return _ClassPlan(
        models_reversed=tuple((s.name, s.json, s.is_list) for s in reversed(shapes) if s.model is not None),
        simples=tuple(
            (s.name, s.json, s.is_list, s.simple.name)
            for s in shapes
            if s.simple is not None and s.simple.name in INDEXED_TYPES
        ),
    )


class MessageIndex:
    """Every model inside a message (with its location), and every value of each named simple type."""

    __slots__ = ("_by_class", "models", "values")

    def __init__(self, root: IcsModel) -> None:
        self.models: list[tuple[Parts, IcsModel]] = []
        self.values: defaultdict[str, list[tuple[Parts, Any]]] = defaultdict(list)
        self._by_class: dict[type[IcsModel], list[tuple[Parts, Any]]] = {}
        stack: list[tuple[Parts, IcsModel]] = [((), root)]
        models = self.models
        values = self.values
        while stack:
            parts, model = stack.pop()
            models.append((parts, model))
            plan = _plan(type(model))
            for name, json, is_list, type_name in plan.simples:
                value = getattr(model, name)
                if value is None:
                    continue
                if is_list:
                    values[type_name].extend(((*parts, json, i), v) for i, v in enumerate(value))
                else:
                    values[type_name].append(((*parts, json), value))
            for name, json, is_list in plan.models_reversed:
                value = getattr(model, name)
                if value is None:
                    continue
                if is_list:
                    for i in range(len(value) - 1, -1, -1):
                        stack.append(((*parts, json, i), value[i]))
                else:
                    stack.append(((*parts, json), value))

    def of_class(self, cls: type[T]) -> list[tuple[Parts, T]]:
        """Every model of the class (or a subclass) in the message, each parent before its parts."""
        found = self._by_class.get(cls)
        if found is None:
            found = [(p, m) for p, m in self.models if isinstance(m, cls)]
            self._by_class[cls] = found
        return found

    def of_type(self, type_name: str) -> list[tuple[Parts, Any]]:
        """Every value of the named simple type (for example 'NhsNumber'), each parent's before its parts'.

        Only the types in `INDEXED_TYPES` are indexed; asking for another is a programming error.
        """
        if type_name not in INDEXED_TYPES:
            raise KeyError(f"{type_name} is not indexed: add it to INDEXED_TYPES")
        return self.values.get(type_name, [])
