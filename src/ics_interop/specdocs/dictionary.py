"""The data dictionary of a message type: every field, its type, its constraints and what it means."""

from __future__ import annotations

import html

import attrs

from ..model._base import CodeSet, IcsModel
from ..shape import FieldShape, shape_of
from . import markdown as md
from .sources import SiteBuildError


@attrs.frozen
class DictionaryRow:
    """One element of a message: a nested element or a leaf, at its dotted JSON path."""

    path: str
    depth: int
    json_name: str
    xml_name: str
    cardinality: str
    type_name: str
    code_set: type[CodeSet] | None
    constraints: tuple[str, ...]
    definition: str
    is_nested: bool


def _length(minimum: int | None, maximum: int | None) -> str | None:
    if minimum is not None and minimum == maximum:
        return f"exactly {minimum} characters"
    if minimum is not None and maximum is not None:
        return f"{minimum} to {maximum} characters"
    if maximum is not None:
        return f"at most {maximum} characters"
    if minimum:
        return f"at least {minimum} characters"
    return None


def _constraints(shape: FieldShape, owner: type[IcsModel]) -> tuple[str, ...]:
    found: list[str] = []
    simple = shape.simple
    if simple is not None:
        if simple.base == "dateTime":
            found.append("a date and time with its offset from UTC, " + md.code("2010-03-01T09:30:00Z"))
        if simple.pattern and not simple.xml_chars_only:
            found.append("pattern " + md.code(simple.pattern))
        length = _length(simple.min_length, simple.max_length)
        if length:
            found.append(length)
        if simple.min_value is not None:
            found.append(f"at least {simple.min_value}")
        if simple.max_value is not None:
            found.append(f"at most {simple.max_value}")
    elif shape.kind == "date":
        found.append("a date, " + md.code("YYYY-MM-DD"))
    if shape.choice_group is not None:
        group = owner.choice_groups[shape.choice_group]
        names = ", ".join(md.code(s.json) for s in shape_of(owner) if s.name in group)
        found.append(f"exactly one of {names}")
    return tuple(found)


def data_dictionary(cls: type[IcsModel]) -> list[DictionaryRow]:
    """Every element of a model, nested models walked depth first: one row per nested element and per leaf.

    A path is the dotted JSON path; below a list, `[]` stands for any one item (`episode.tacMembers[].role`).
    """
    rows: list[DictionaryRow] = []

    def walk(model: type[IcsModel], prefix: str, depth: int, ancestors: tuple[type[IcsModel], ...]) -> None:
        if model in ancestors:  # a model that contains itself would never end; v1 has none
            raise SiteBuildError(f"{model.__name__} contains itself: the data dictionary cannot be written")
        for shape in shape_of(model):
            path = prefix + shape.json
            rows.append(
                DictionaryRow(
                    path=path,
                    depth=depth,
                    json_name=shape.json,
                    xml_name=shape.xml,
                    cardinality=shape.cardinality,
                    type_name=shape.type_name,
                    code_set=shape.enum,
                    constraints=_constraints(shape, model),
                    definition=shape.description,
                    is_nested=shape.model is not None,
                )
            )
            if shape.model is not None:
                walk(shape.model, path + ("[]." if shape.is_list else "."), depth + 1, (*ancestors, model))

    walk(cls, "", 0, ())
    return rows


def data_dictionary_table(cls: type[IcsModel]) -> str:
    """The data dictionary of a model as a Markdown table."""
    rows = []
    for row in data_dictionary(cls):
        # A path may break after a dot, and only there; list markers are escaped so they are not read as links.
        path = (
            "<code>"
            + ".<wbr>".join(html.escape(p).replace("[]", "&#91;&#93;") for p in row.path.split("."))
            + "</code>"
        )
        if row.is_nested:
            path = f"<strong>{path}</strong>"
        type_name = row.type_name
        if row.code_set is not None:
            type_name = f"[{type_name}](../code-sets.md#{md.anchor(type_name)}) (code list)"
        rows.append(
            [
                path,
                row.cardinality,
                type_name,
                "; ".join(row.constraints),
                md.text(row.definition),
                md.code(row.xml_name),
                md.code(row.json_name),
            ]
        )
    header = ["Path (JSON)", "Cardinality", "Type", "Constraints", "Definition", "XML name", "JSON name"]
    return md.table(header, rows)
