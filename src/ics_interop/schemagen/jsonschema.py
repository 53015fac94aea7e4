"""JSON Schema generation from the models: one schema (2020-12) per message type.

pydantic writes the schema; this module adds what the standard says and pydantic does not:
optional members are absent rather than null (the codec never writes null), and a choice
group becomes a `oneOf` of `required` sets, exactly as strict as the `xs:choice`.
"""

from __future__ import annotations

import json
from typing import Any

from ..messages import MESSAGE_CLASSES, SCHEMA_VERSION, Message
from ..shape import shape_of, walk_models

__all__ = ["SCHEMA_BASE_URI", "generate_json_schema", "generate_json_schemas"]

SCHEMA_BASE_URI = "urn:ics-interop:schema:v1:json:"


def _without_null(prop: dict[str, Any]) -> dict[str, Any]:
    branches = prop.get("anyOf")
    if not branches:
        return prop
    kept = [b for b in branches if b != {"type": "null"}]
    if len(kept) == len(branches):
        return prop
    rest = {k: v for k, v in prop.items() if k not in ("anyOf", "default")}
    if len(kept) == 1:
        return {**kept[0], **rest}
    return {"anyOf": kept, **rest}


def generate_json_schema(cls: type[Message]) -> dict[str, Any]:
    """The JSON Schema of one message type."""
    schema = cls.model_json_schema(by_alias=True, mode="validation", ref_template="#/$defs/{model}")
    defs: dict[str, Any] = schema.setdefault("$defs", {})
    models = {m.__name__: m for m in walk_models([cls])}
    for name, node in [(cls.__name__, schema), *defs.items()]:
        props = node.get("properties")
        if not props:
            continue
        node["properties"] = {k: _without_null(v) for k, v in props.items()}
        model = models.get(name)
        if model is None:
            continue
        by_name = {s.name: s.json for s in shape_of(model)}
        choices = [{"oneOf": [{"required": [by_name[f]]} for f in group]} for group in model.choice_groups]
        if len(choices) == 1:
            node.update(choices[0])
        elif choices:
            node["allOf"] = choices
    ordered = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": f"{SCHEMA_BASE_URI}{cls.message_type.value}",
        "title": cls.message_type.value,
        "description": f"ics-interop v{SCHEMA_VERSION}. {cls.message_type.label}. "
        "Generated from the models by `ics-interop schema generate`; do not edit by hand.",
    }
    ordered.update({k: v for k, v in schema.items() if k not in ("title", "description")})
    return ordered


def generate_json_schemas() -> dict[str, bytes]:
    """Every message type's JSON Schema, as file name -> bytes (deterministic)."""
    return {
        f"{t.value}.schema.json": (json.dumps(generate_json_schema(cls), indent=2, ensure_ascii=False) + "\n").encode(
            "utf-8"
        )
        for t, cls in MESSAGE_CLASSES.items()
    }
