"""Reading a folder of JSON Schemas (or an OpenAPI document's components) into the comparison model.

Reads both forms the standard has published: 1.0's self-contained schemas (pydantic's
layout, code lists as `enum`, choice groups as `oneOf` of `required`) and 1.1's common schema
with references (code lists as `oneOf` of `const`, choice groups as `oneOf` of variants).
"""

from __future__ import annotations

import itertools
from typing import Any

from ._model import Field, ObjectType, Scalar, SchemaSet, TypeRef

__all__ = ["read_json_schemas"]

_FORMATS = {"date": "date", "date-time": "dateTime"}


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def _non_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A member pydantic wrote as `anyOf: [X, {"type": "null"}]` (optional, may be null) read as X."""
    alternatives = schema.get("anyOf")
    if isinstance(alternatives, list):
        rest = [a for a in alternatives if isinstance(a, dict) and a.get("type") != "null"]
        if len(rest) == 1:
            return {**{k: v for k, v in schema.items() if k != "anyOf"}, **rest[0]}
    return schema


class _Reader:
    def __init__(self, definitions: dict[str, Any]) -> None:
        self.definitions = definitions
        self.objects: dict[str, ObjectType] = {}

    def is_object(self, schema: dict[str, Any]) -> bool:
        if "properties" in schema or schema.get("type") == "object":
            return True
        branches = schema.get("oneOf", [])
        return bool(branches) and all(isinstance(b, dict) and "properties" in b for b in branches)

    def scalar(self, schema: dict[str, Any], name: str = "") -> Scalar:
        base = _FORMATS.get(schema.get("format", ""), schema.get("type", "string"))
        codes: tuple[tuple[str, str], ...] | None = None
        if "enum" in schema:
            codes = tuple((str(code), "") for code in schema["enum"])
        elif "const" in schema:
            codes = ((str(schema["const"]), ""),)
        elif schema.get("oneOf") and all("const" in b for b in schema["oneOf"]):
            codes = tuple((str(b["const"]), str(b.get("title", ""))) for b in schema["oneOf"])
        return Scalar(
            base=base,
            name=name,
            codes=codes,
            patterns=(schema["pattern"],) if "pattern" in schema else (),
            min_length=schema.get("minLength"),
            max_length=schema.get("maxLength"),
            minimum=schema.get("minimum"),
            maximum=schema.get("maximum"),
            format=schema.get("format"),
        )

    def type_of(self, schema: dict[str, Any], owner: str) -> TypeRef:
        schema = _non_null(schema)
        if "$ref" in schema:
            name = _ref_name(schema["$ref"])
            target = self.definitions.get(name, {})
            if "properties" in schema and self.is_object(target):
                return self.pinned(name, target, schema["properties"], owner)
            if self.is_object(target):
                self.object(name, target)
                return name
            return self.scalar(target, name)
        if self.is_object(schema):
            name = str(schema.get("title") or owner)
            self.object(name, schema)
            return name
        return self.scalar(schema)

    def pinned(self, name: str, target: dict[str, Any], overrides: dict[str, Any], owner: str) -> str:
        """A referenced object with some members narrowed in place (1.1's `header.messageType`)."""
        base = self.object(name, target)
        fields = []
        for field in base.fields:
            extra = overrides.get(field.name)
            if extra is not None and isinstance(field.type, Scalar) and "const" in extra:
                narrowed = Scalar(**{**_asdict(field.type), "codes": ((str(extra["const"]), ""),), "name": ""})
                fields.append(
                    Field(field.name, narrowed, field.min_occurs, field.max_occurs, field.is_list, field.choice)
                )
            else:
                fields.append(field)
        pinned = owner
        self.objects[pinned] = ObjectType(pinned, tuple(fields), base.choices, base.open)
        return pinned

    def field(self, name: str, schema: dict[str, Any], required: bool, owner: str) -> Field:
        schema = _non_null(schema)
        if schema.get("type") == "array":
            return Field(
                name,
                self.type_of(schema.get("items", {}), f"{owner}.{name}"),
                schema.get("minItems", 0),
                schema.get("maxItems"),
                True,
            )
        return Field(name, self.type_of(schema, f"{owner}.{name}"), 1 if required else 0, 1, False)

    def object(self, name: str, schema: dict[str, Any]) -> ObjectType:
        if name in self.objects:
            return self.objects[name]
        self.objects[name] = ObjectType(name, ())  # a placeholder, for recursive types
        branches = schema.get("oneOf", [])
        if branches and all("properties" in b for b in branches):
            found = self._variants(name, branches)
        else:
            found = self._plain(name, schema)
        self.objects[name] = found
        return found

    def _plain(self, name: str, schema: dict[str, Any]) -> ObjectType:
        required = set(schema.get("required", []))
        groups: list[list[str]] = []
        for alternatives in [schema.get("oneOf", [])] + [part.get("oneOf", []) for part in schema.get("allOf", [])]:
            names = [n for branch in alternatives for n in branch.get("required", []) if set(branch) == {"required"}]
            if names:
                groups.append(names)
        in_group = {n: i for i, names in enumerate(groups) for n in names}
        fields = []
        for member, sub in schema.get("properties", {}).items():
            field = self.field(member, sub, member in required or member in in_group, name)
            fields.append(Field(field.name, field.type, field.min_occurs, field.max_occurs, field.is_list,
                                in_group.get(member)))  # fmt: skip
        return ObjectType(
            name, tuple(fields), tuple(frozenset(g) for g in groups), schema.get("additionalProperties") is not False
        )

    def _variants(self, name: str, branches: list[dict[str, Any]]) -> ObjectType:
        members: dict[str, dict[str, Any]] = {}
        present: list[set[str]] = []
        required: set[str] = set()
        for branch in branches:
            members.update(branch["properties"])
            present.append(set(branch["properties"]))
            required.update(branch.get("required", []))
        everywhere = set.intersection(*present)
        varying = [m for m in members if m not in everywhere]
        groups: list[frozenset[str]] = []
        for member in varying:
            never_with = frozenset(
                other for other in varying if not any(member in p and other in p for p in present)
            ) | {member}
            if never_with not in groups:
                groups.append(never_with)
        in_group = {m: i for i, g in enumerate(groups) for m in g}
        fields = []
        for member, sub in members.items():
            field = self.field(member, sub, member in required, name)
            fields.append(Field(field.name, field.type, field.min_occurs, field.max_occurs, field.is_list,
                                in_group.get(member)))  # fmt: skip
        open_ = any(b.get("additionalProperties") is not False for b in branches)
        return ObjectType(name, tuple(fields), tuple(groups), open_)


def _asdict(scalar: Scalar) -> dict[str, Any]:
    import attrs

    return attrs.asdict(scalar, recurse=False)


def read_json_schemas(documents: dict[str, Any], family: str = "json") -> SchemaSet:
    """Read JSON Schemas (file name -> parsed document); every document with a `title` and properties is a root."""
    definitions: dict[str, Any] = {}
    for document in documents.values():
        for key in ("$defs", "definitions"):
            definitions.update(document.get(key, {}))
        definitions.update(document.get("components", {}).get("schemas", {}))
    reader = _Reader(definitions)
    roots: dict[str, TypeRef] = {}
    for document in documents.values():
        if reader.is_object(document) and document.get("title"):
            roots[str(document["title"])] = reader.type_of(
                {k: v for k, v in document.items() if k not in ("$defs", "definitions")}, str(document["title"])
            )
    for name in itertools.chain(definitions):
        if reader.is_object(definitions[name]):
            reader.object(name, definitions[name])
    return SchemaSet(family=family, roots=roots, objects=reader.objects, ordered=False)
