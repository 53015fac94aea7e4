"""The worked examples shipped with the schemas, checked while the site builds: schema-valid, decodable, rule-clean."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, cast

from lxml import etree

from ..codecs import from_json, from_xml
from ..errors import IcsInteropError
from ..findings import Severity
from ..messages import MESSAGE_CLASSES
from ..rules import run_rules
from ..schemagen import EXAMPLES_FOLDER, XSD_FILE, json_schema_validator
from .sources import SiteBuildError


def _xml_schema(version_dir: Path) -> etree.XMLSchema:
    path = version_dir / XSD_FILE
    try:
        return etree.XMLSchema(etree.parse(str(path)))
    except (OSError, etree.XMLSchemaParseError, etree.XMLSyntaxError) as exc:
        raise SiteBuildError(f"{path}: cannot be read as an XML Schema: {exc}") from None


def check_example(version_dir: Path, message_type: str, xml_schema: etree.XMLSchema | None = None) -> tuple[str, str]:
    """Validate the paired XML and JSON example of a message type; return their text (XML, JSON).

    The XML must be valid against the version's XML Schema, the JSON against the message type's
    JSON Schema; both must decode to the same message, and that message must break no rule of
    the catalogue with an error. Raises `SiteBuildError` naming the file and every problem.
    """
    schema = xml_schema if xml_schema is not None else _xml_schema(version_dir)
    examples = version_dir / EXAMPLES_FOLDER
    xml_path, json_path = examples / f"{message_type}.xml", examples / f"{message_type}.json"
    schema_path = version_dir / "json" / f"{message_type}.schema.json"
    fix = "fix the model or `ics_interop.examples`, then run `ics-interop schema generate`"
    problems: list[str] = []
    for path in (xml_path, json_path, schema_path):
        if not path.is_file():
            problems.append(f"{path}: missing")
    if problems:
        raise SiteBuildError(
            f"the example of {message_type} cannot be shown:\n  " + "\n  ".join(problems) + f"\n({fix})"
        )
    xml_bytes, json_bytes = xml_path.read_bytes(), json_path.read_bytes()
    try:
        document = etree.fromstring(xml_bytes, etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError as exc:
        problems.append(f"{xml_path}: not well-formed XML: {exc}")
    else:
        if not schema.validate(document):
            problems.extend(f"{xml_path}:{e.line}: {e.message}" for e in cast(Iterable[Any], schema.error_log))
    try:
        data = json.loads(json_bytes)
        json.loads(schema_path.read_bytes())
        validator = json_schema_validator(message_type, schema_path.parent)
    except json.JSONDecodeError as exc:
        problems.append(f"{json_path} or its schema: not JSON: {exc}")
    else:
        for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
            where = "/" + "/".join(str(p) for p in error.absolute_path)
            problems.append(f"{json_path}: at {where}: {error.message}")
    if not problems:
        try:
            from_xml_message, from_json_message = from_xml(xml_bytes), from_json(json_bytes)
        except IcsInteropError as exc:
            problems.append(f"{xml_path.name} / {json_path.name}: cannot be decoded: {exc}")
        else:
            if from_xml_message != from_json_message:
                problems.append(f"{xml_path.name} and {json_path.name} are not the same message")
            elif from_xml_message.message_type.value != message_type:
                problems.append(f"{xml_path.name} holds a {from_xml_message.message_type.value}, not a {message_type}")
            problems.extend(
                f"{xml_path.name}: breaks rule {f.rule_id} at {f.path}: {f.message}"
                for f in run_rules(from_xml_message)
                if f.severity is Severity.ERROR
            )
    if problems:
        raise SiteBuildError(f"the example of {message_type} is not valid:\n  " + "\n  ".join(problems) + f"\n({fix})")
    return xml_bytes.decode("utf-8"), json_bytes.decode("utf-8")


def check_examples(version_dir: Path) -> dict[str, tuple[str, str]]:
    """Validate the examples of every message type (`check_example`); report every invalid one at once."""
    schema = _xml_schema(version_dir)
    checked: dict[str, tuple[str, str]] = {}
    problems: list[str] = []
    for message_type in MESSAGE_CLASSES:
        try:
            checked[message_type.value] = check_example(version_dir, message_type.value, schema)
        except SiteBuildError as exc:
            problems.append(str(exc))
    if problems:
        raise SiteBuildError("\n".join(problems))
    return checked
