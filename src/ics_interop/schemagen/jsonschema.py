"""JSON Schema generation from the models: a common schema, and one schema (2020-12) per message type.

Written from the models' shape (`shape_of`), the reading the XSD generator and the codecs
use, so the three cannot disagree on a name, a type, a bound or a cardinality:

- every model, code set and named simple type is defined once, in `common.schema.json`,
  under its own name (`Child`, `Gender`, `Identifier`, `Date`), and the message schemas
  `$ref` it: a code generator makes one `Envelope` class, not twelve;
- a code set is a `oneOf` of `const` + `title`, so each code carries its meaning, as the
  XSD's `xs:enumeration` documentation does;
- a model with choice groups is a `oneOf` of complete variants, each with one member of
  each group and `additionalProperties: false`: exactly as strict as the `xs:choice`, and a
  form code generators keep (a union of classes, each refusing the other members);
- each message schema pins `header.messageType` to its own type (`const`);
- optional members are absent rather than null: the codec never writes null, and the
  library refuses it.

Identifiers are the file names (`$id: "Acknowledgement.schema.json"`), and references are
relative (`common.schema.json#/$defs/Envelope`), so they resolve against wherever the folder
is loaded from: a web site, the installed package or a local copy.

`json_schema_components` gives the same definitions for any models, with any reference
prefix, so an OpenAPI document can reuse them (`#/components/schemas/`).
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from pydantic.alias_generators import to_pascal

from ..messages import MESSAGE_CLASSES, SCHEMA_VERSION, Message, MessageType
from ..messages.envelope import TIMESTAMP_PATTERN
from ..model._base import CodeSet, IcsModel, SimpleType
from ..model.scalars import DATE_PATTERN
from ..shape import FieldShape, shape_of, walk_models

__all__ = [
    "COMMON_SCHEMA",
    "generate_common_schema",
    "generate_json_schema",
    "generate_json_schemas",
    "json_schema_components",
    "json_schema_validator",
]

#: The file (and `$id`) of the definitions every message schema shares.
COMMON_SCHEMA = "common.schema.json"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_NOTE = "Generated from the models by `ics-interop schema generate`; do not edit by hand."

_DATE = {
    "title": "Date",
    "description": "A calendar date, YYYY-MM-DD, without a time zone.",
    "type": "string",
    "format": "date",
    "pattern": DATE_PATTERN,
}


def _simple_schema(simple: SimpleType) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": simple.name, "description": simple.doc}
    if simple.base == "integer":
        schema["type"] = "integer"
        if simple.min_value is not None:
            schema["minimum"] = simple.min_value
        if simple.max_value is not None:
            schema["maximum"] = simple.max_value
        return schema
    schema["type"] = "string"
    if simple.base == "dateTime":
        # The pattern says what `format` leaves to each validator: XML Schema's and RFC 3339's
        # common ground, offsets within ±14:00 (many validators only annotate `format`).
        schema["format"] = "date-time"
        schema["pattern"] = TIMESTAMP_PATTERN
        return schema
    if simple.base == "date":
        schema["format"] = "date"
    if simple.min_length is not None:
        schema["minLength"] = simple.min_length
    if simple.max_length is not None:
        schema["maxLength"] = simple.max_length
    if simple.pattern is not None:
        schema["pattern"] = simple.pattern
    return schema


def _code_set_schema(code_set: type[CodeSet]) -> dict[str, Any]:
    return {
        "title": code_set.__name__,
        "description": (code_set.__doc__ or "").strip().splitlines()[0],
        "type": "string",
        "oneOf": [{"const": member.value, "title": member.label or member.value} for member in code_set],
    }


def _value_schema(shape: FieldShape, prefix: str) -> dict[str, Any]:
    if shape.model is not None:
        return {"$ref": prefix + shape.model.__name__}
    if shape.enum is not None:
        return {"$ref": prefix + shape.enum.__name__}
    if shape.simple is not None:
        return {"$ref": prefix + shape.simple.name}
    if shape.kind in ("date", "datetime"):
        return {"$ref": prefix + ("Date" if shape.kind == "date" else "Timestamp")}
    if shape.kind == "bool":
        return {"type": "boolean"}
    if shape.kind == "int":
        return {"type": "integer"}
    raise TypeError(f"{shape.name}: a field of the standard needs a named type, not a bare {shape.kind}")


def _property(shape: FieldShape, prefix: str) -> dict[str, Any]:
    value = _value_schema(shape, prefix)
    if shape.is_list:
        value = {"type": "array", "items": value}
        if shape.min_items:
            value["minItems"] = shape.min_items
        if shape.max_items is not None:
            value["maxItems"] = shape.max_items
    return {"title": to_pascal(shape.name), "description": shape.description, **value}


def _object(title: str, description: str, shapes: Iterable[FieldShape], prefix: str) -> dict[str, Any]:
    chosen = list(shapes)
    schema: dict[str, Any] = {
        "title": title,
        "description": description,
        "type": "object",
        "additionalProperties": False,
        "properties": {s.json: _property(s, prefix) for s in chosen},
    }
    required = [s.json for s in chosen if s.required or s.choice_group is not None]
    if required:
        schema["required"] = required
    return schema


def _description(model: type[IcsModel]) -> str:
    return (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " ")


def model_schema(model: type[IcsModel], prefix: str) -> dict[str, Any]:
    """The JSON Schema of one model, its fields referring to named definitions under `prefix`."""
    shapes = shape_of(model)
    if not model.choice_groups:
        return _object(model.__name__, _description(model), shapes, prefix)
    groups = [[s for s in shapes if s.choice_group == i] for i in range(len(model.choice_groups))]
    variants = []
    for picks in itertools.product(*groups):
        keep = {p.name for p in picks}
        title = model.__name__ + "With" + "And".join(to_pascal(p.name) for p in picks)
        names = ", ".join(p.json for p in picks)
        fields = [s for s in shapes if s.choice_group is None or s.name in keep]
        variants.append(_object(title, f"{model.__name__} with {names}.", fields, prefix))
    return {"title": model.__name__, "description": _description(model), "oneOf": variants}


def json_schema_components(roots: Iterable[type[IcsModel]], *, prefix: str = "#/$defs/") -> dict[str, dict[str, Any]]:
    """Named definitions of every model, code set and simple type reachable from `roots`, by name.

    `prefix` is where the definitions will live: `#/$defs/` in a JSON Schema,
    `#/components/schemas/` in an OpenAPI document. Choice groups are `oneOf`s of variants.
    """
    models = walk_models(roots)
    components: dict[str, dict[str, Any]] = {}
    scalars: dict[str, dict[str, Any]] = {}
    for model in models:
        components[model.__name__] = model_schema(model, prefix)
        for shape in shape_of(model):
            if shape.enum is not None:
                scalars[shape.enum.__name__] = _code_set_schema(shape.enum)
            elif shape.simple is not None:
                scalars[shape.simple.name] = _simple_schema(shape.simple)
            elif shape.kind == "date":
                scalars["Date"] = dict(_DATE)
    for name in sorted(scalars):
        if name in components:
            raise TypeError(f"a model and a scalar type are both named {name}")
        components[name] = scalars[name]
    return components


def generate_common_schema() -> dict[str, Any]:
    """The definitions every message schema shares (models, code sets, simple types)."""
    messages = list(MESSAGE_CLASSES.values())
    names = {m.__name__ for m in messages}
    components = json_schema_components(messages)
    return {
        "$schema": _DIALECT,
        "$id": COMMON_SCHEMA,
        "title": "IcsInteropCommon",
        "description": f"ics-interop v{SCHEMA_VERSION}: the definitions the message schemas share. {_NOTE}",
        "$defs": {name: schema for name, schema in components.items() if name not in names},
    }


def generate_json_schema(cls: type[Message]) -> dict[str, Any]:
    """The JSON Schema of one message type; it refers to `common.schema.json` for everything it shares."""
    body = model_schema(cls, COMMON_SCHEMA + "#/$defs/")
    header = body["properties"]["header"]
    # Pinned: a message valid against its own schema is a message of that type.
    header.update(properties={"messageType": {"const": cls.message_type.value}})
    return {
        "$schema": _DIALECT,
        "$id": f"{cls.message_type.value}.schema.json",
        "title": cls.message_type.value,
        "description": f"ics-interop v{SCHEMA_VERSION}. {cls.message_type.label}. {_NOTE}",
        **{k: v for k, v in body.items() if k not in ("title", "description")},
    }


def _dump(schema: dict[str, Any]) -> bytes:
    return (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def generate_json_schemas() -> dict[str, bytes]:
    """The common schema and every message type's JSON Schema, as file name -> bytes (deterministic)."""
    files = {COMMON_SCHEMA: _dump(generate_common_schema())}
    files.update({f"{t.value}.schema.json": _dump(generate_json_schema(cls)) for t, cls in MESSAGE_CLASSES.items()})
    return files


def _one_of(validator: Any, branches: Any, instance: Any, schema: Any) -> Any:
    """`oneOf`, with a shortcut for the two forms the standard's schemas use; the same verdicts.

    A code list (`oneOf` of `const`) is a look-up; choice-group variants (objects with
    `additionalProperties: false`) are narrowed first to the one whose members the instance
    has, since every other variant fails on a missing or an unexpected member. Anything the
    shortcut cannot settle goes to jsonschema's own `oneOf`, which also gives the errors.
    """
    from jsonschema import Draft202012Validator

    if isinstance(instance, str) and all(isinstance(b, dict) and "const" in b for b in branches):
        if sum(1 for b in branches if b["const"] == instance) == 1:
            return
    elif isinstance(instance, dict) and all(
        isinstance(b, dict) and b.get("additionalProperties") is False and "properties" in b for b in branches
    ):
        keys = instance.keys()
        fits = [b for b in branches if keys <= b["properties"].keys() and all(r in keys for r in b.get("required", ()))]
        if len(fits) == 1 and next(iter(validator.descend(instance, fits[0])), None) is None:
            return
    yield from Draft202012Validator.VALIDATORS["oneOf"](validator, branches, instance, schema)


def _bundled(message: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """The message schema with the common definitions it uses written in place: the same constraints, checked faster.

    jsonschema resolves every `$ref` again for every instance; the standard's definitions
    are not recursive, so each reference is replaced by a copy of what it names (a cycle, if
    one ever appears, keeps its reference into a local copy of the definitions).
    """
    definitions: dict[str, Any] = common.get("$defs", {})
    prefix = COMMON_SCHEMA + "#/$defs/"

    def rewrite(node: Any, within: tuple[str, ...]) -> Any:
        if isinstance(node, list):
            return [rewrite(item, within) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        rest = {key: rewrite(value, within) for key, value in node.items() if key != "$ref"}
        if not (isinstance(ref, str) and ref.startswith((prefix, "#/$defs/"))):
            return {**rest, "$ref": ref} if ref is not None else rest
        name = ref.rsplit("/", 1)[1]  # the message schema's references and the common schema's own
        if name in within or name not in definitions:
            return {**rest, "$ref": "#/$defs/" + name}
        target = rewrite(definitions[name], (*within, name))
        extra = {k: v for k, v in rest.items() if k not in ("title", "description")}
        return {**target, **extra} if not (extra.keys() & target.keys()) else {"allOf": [target, extra]}

    bundled: dict[str, Any] = rewrite({k: v for k, v in message.items() if k != "$defs"}, ())
    if '"$ref"' in json.dumps(bundled):  # a cycle kept a reference: give it the definitions to point into
        bundled["$defs"] = {name: rewrite(schema, (name,)) for name, schema in definitions.items()}
    return bundled


@cache
def _validator_for_folder(folder: str, message_type: str) -> Any:
    from jsonschema import Draft202012Validator, validators
    from referencing import Registry, Resource

    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in Path(folder).glob("*.schema.json")}
    registry: Registry[Any] = Registry().with_resources(
        (schema.get("$id", name), Resource.from_contents(schema)) for name, schema in schemas.items()
    )
    message = schemas[f"{message_type}.schema.json"]
    common = schemas.get(COMMON_SCHEMA)
    if common is not None:
        message = _bundled(message, common)
    validator_class = validators.extend(Draft202012Validator, {"oneOf": _one_of})  # type: ignore[no-untyped-call]
    return validator_class(
        message,
        registry=registry,
        format_checker=Draft202012Validator.FORMAT_CHECKER,
    )


def json_schema_validator(message_type: MessageType | str, folder: Path | None = None) -> Any:
    """A `jsonschema` validator (draft 2020-12, formats checked) for a message type's published schema.

    `folder` is a folder of JSON Schemas (by default the version the library ships); the
    schemas it holds are registered by their `$id`, so the message schema's references resolve.
    """
    from ..schemas_path import schemas_root

    name = message_type.value if isinstance(message_type, MessageType) else message_type
    if folder is None:
        folder = schemas_root() / ("v" + SCHEMA_VERSION.split(".")[0]) / "json"
    return _validator_for_folder(str(folder), name)
