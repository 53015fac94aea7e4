"""One reading of a schema family (XSD, JSON Schema), so two versions can be compared alike.

Both families are read into the same small model: message roots, named object types with
their fields (in order, with cardinality and choice groups), and scalar types reduced to the
facets that decide which values are valid (base, codes, pattern, bounds, format).
"""

from __future__ import annotations

import attrs

__all__ = ["Field", "ObjectType", "Scalar", "SchemaSet", "TypeRef"]


@attrs.frozen
class Scalar:
    """The facets of a scalar type that decide which values it accepts."""

    base: str  # string | integer | boolean | date | dateTime
    name: str = attrs.field(default="", eq=False)  # the named simple type, where it has a name
    codes: tuple[tuple[str, str], ...] | None = None  # (code, meaning), in order
    patterns: tuple[str, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    format: str | None = None


#: A field's type: the name of an object type, or a scalar.
TypeRef = str | Scalar


@attrs.frozen
class Field:
    """One element (XML) or member (JSON) of an object type."""

    name: str
    type: TypeRef
    min_occurs: int
    max_occurs: int | None  # None: unbounded
    is_list: bool
    choice: int | None = None  # the index of its choice group, if any


@attrs.frozen
class ObjectType:
    """A complex type (XML) or an object schema (JSON): its fields in order, and its choice groups."""

    name: str
    fields: tuple[Field, ...]
    choices: tuple[frozenset[str], ...] = ()
    open: bool = False  # accepts members it does not name

    def field(self, name: str) -> Field | None:
        """The field called `name`, if there is one."""
        return next((f for f in self.fields if f.name == name), None)


@attrs.frozen
class SchemaSet:
    """One family of schemas of one version: its roots and its object types by name."""

    family: str  # "xsd" | "json" | "openapi:<service>"
    roots: dict[str, TypeRef]
    objects: dict[str, ObjectType]
    ordered: bool  # whether the order of fields matters (XML sequences do)
