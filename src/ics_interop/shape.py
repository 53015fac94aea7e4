"""The shape of a model: its fields as the codecs and the schema generators see them.

One reading of the pydantic models, cached per class, so the XML codec, the XSD generator,
the documentation and the path mapper agree on every name, type and cardinality.
"""

from __future__ import annotations

import datetime as dt
import enum
import types
import typing
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal

import annotated_types
from pydantic.fields import FieldInfo

from .model._base import CodeSet, IcsModel, SimpleType, json_name, xml_name

__all__ = ["FieldShape", "ScalarKind", "field_by_json", "field_by_xml", "format_path", "shape_of", "walk_models"]

ScalarKind = Literal["model", "enum", "simple", "date", "datetime", "bool", "int", "str"]


@dataclass(frozen=True)
class FieldShape:
    """One field of a model, as every serialisation sees it."""

    name: str
    json: str
    xml: str
    kind: ScalarKind
    is_list: bool
    required: bool
    description: str
    model: type[IcsModel] | None = None
    enum: type[CodeSet] | None = None
    simple: SimpleType | None = None
    min_items: int = 0
    max_items: int | None = None
    choice_group: int | None = None  # index into the model's choice_groups

    @property
    def cardinality(self) -> str:
        """Cardinality as the data dictionary writes it: 1, 0..1, 0..*, 1..*, 1..5."""
        if self.is_list:
            upper = "*" if self.max_items is None else str(self.max_items)
            return f"{self.min_items}..{upper}"
        return "1" if self.required else "0..1"

    @property
    def type_name(self) -> str:
        """The name of the field's type in the schemas."""
        if self.model is not None:
            return self.model.__name__
        if self.enum is not None:
            return self.enum.__name__
        if self.simple is not None:
            return self.simple.name
        return {"date": "Date", "datetime": "Timestamp", "bool": "boolean", "int": "integer", "str": "string"}[
            self.kind
        ]


def _strip_optional(annotation: Any) -> tuple[Any, bool]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unions other than Optional are not part of the standard: {annotation!r}")
        return args[0], True
    return annotation, False


def _unannotate(annotation: Any, metadata: list[Any]) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        args = typing.get_args(annotation)
        annotation = args[0]
        metadata.extend(args[1:])
    return annotation


def _field_shape(name: str, info: FieldInfo, choice: int | None) -> FieldShape:
    metadata: list[Any] = list(info.metadata)
    annotation, optional = _strip_optional(info.annotation)
    annotation = _unannotate(annotation, metadata)
    is_list = typing.get_origin(annotation) is list
    item_meta: list[Any] = []
    if is_list:
        (annotation,) = typing.get_args(annotation)
        annotation = _unannotate(annotation, item_meta)
    simple = next((m for m in (*item_meta, *metadata) if isinstance(m, SimpleType)), None)
    kind: ScalarKind
    model = enum_cls = None
    if isinstance(annotation, type) and issubclass(annotation, IcsModel):
        kind, model = "model", annotation
    elif isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        if not issubclass(annotation, CodeSet):
            raise TypeError(f"{name}: enums of the standard are CodeSets")
        kind, enum_cls = "enum", annotation
    elif simple is not None:
        kind = "simple"
    elif annotation is bool:
        kind = "bool"
    elif annotation is int:
        kind = "int"
    elif annotation is dt.datetime:
        kind = "datetime"
    elif annotation is dt.date:
        kind = "date"
    elif annotation is str:
        kind = "str"
    else:
        raise TypeError(f"{name}: type {annotation!r} has no place in the standard's schemas")
    min_items = next((m.min_length for m in metadata if isinstance(m, annotated_types.MinLen)), 0)
    max_items = next((m.max_length for m in metadata if isinstance(m, annotated_types.MaxLen)), None)
    required = info.is_required() and not optional
    return FieldShape(
        name=name,
        json=info.alias or json_name(name),
        xml=xml_name(name, metadata),
        kind=kind,
        is_list=is_list,
        required=required,
        description=info.description or "",
        model=model,
        enum=enum_cls,
        simple=simple,
        min_items=min_items if is_list else 0,
        max_items=max_items if is_list else None,
        choice_group=choice,
    )


@cache
def shape_of(cls: type[IcsModel]) -> tuple[FieldShape, ...]:
    """The fields of a model class in declaration order."""
    groups = {name: i for i, group in enumerate(cls.choice_groups) for name in group}
    shapes = tuple(_field_shape(n, f, groups.get(n)) for n, f in cls.model_fields.items())
    for i, group in enumerate(cls.choice_groups):
        positions = [k for k, s in enumerate(shapes) if s.choice_group == i]
        if len(positions) != len(group) or positions != list(range(positions[0], positions[0] + len(group))):
            raise TypeError(f"{cls.__name__}: choice group {group} must name adjacent fields")
    return shapes


@cache
def field_by_xml(cls: type[IcsModel]) -> dict[str, FieldShape]:
    """The fields of a model class by XML element name."""
    return {s.xml: s for s in shape_of(cls)}


@cache
def field_by_json(cls: type[IcsModel]) -> dict[str, FieldShape]:
    """The fields of a model class by JSON member name."""
    return {s.json: s for s in shape_of(cls)}


def format_path(loc: typing.Iterable[str | int]) -> str:
    """A location as every finding writes it, in JSON member names: `child.formerNames[0].givenNames`."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else ("." if text else "") + str(part)
    return text


def walk_models(roots: typing.Iterable[type[IcsModel]]) -> list[type[IcsModel]]:
    """Every model class reachable from `roots`, each once, in a stable order (first reached first)."""
    seen: dict[type[IcsModel], None] = {}

    def visit(cls: type[IcsModel]) -> None:
        if cls in seen:
            return
        seen[cls] = None
        for s in shape_of(cls):
            if s.model is not None:
                visit(s.model)

    for root in roots:
        visit(root)
    return list(seen)
