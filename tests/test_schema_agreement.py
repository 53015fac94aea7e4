"""The published schemas say exactly what the library accepts, as independent tools read them.

- hypothesis-jsonschema generates instances from each published JSON Schema: the library must
  accept every one (the other direction, library output valid against the schemas, is
  tests/test_codec_properties.py);
- datamodel-code-generator (from the JSON Schemas) and xsdata (from the XSD) generate clients
  that load every example and refuse a choice-group violation, so the schemas are usable as
  they are published.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics_interop import MESSAGE_CLASSES, MessageType, from_json
from ics_interop.examples import example_files
from ics_interop.schemagen import COMMON_SCHEMA, EXAMPLES_FOLDER, XSD_FILE, version_folder
from ics_interop.schemas_path import schemas_root

VERSION_DIR = schemas_root() / version_folder()
JSON_DIR = VERSION_DIR / "json"
TYPES = list(MESSAGE_CLASSES)
#: Instances generated per message type (raise it for a longer run: ICS_INTEROP_SCHEMA_EXAMPLES=200).
EXAMPLES = int(os.environ.get("ICS_INTEROP_SCHEMA_EXAMPLES", "3"))


def _bundled(message_type: MessageType) -> dict[str, Any]:
    """The message schema with the common definitions inlined (hypothesis-jsonschema resolves no files)."""
    text = (JSON_DIR / f"{message_type.value}.schema.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text.replace(COMMON_SCHEMA + "#/$defs/", "#/$defs/"))
    schema["$defs"] = json.loads((JSON_DIR / COMMON_SCHEMA).read_text("utf-8"))["$defs"]
    return schema


@pytest.fixture(scope="module")
def from_schema() -> Iterator[Any]:
    """hypothesis-jsonschema's `from_schema`, made to work with this Hypothesis.

    hypothesis-jsonschema 0.23 (the latest) draws object members with `many(...).more()`, a
    Hypothesis internal that later Hypothesis replaced with an iterator; this gives it back.
    """
    import hypothesis.internal.conjecture.utils as cu
    import hypothesis_jsonschema._from_schema as generator

    class Many(cu.many):
        def more(self) -> bool:
            if self._depth is None:
                self.__enter__()
                self._elements = iter(self)
            try:
                next(self._elements)
            except StopIteration:
                self.__exit__(None)
                return False
            return True

    original = generator.cu
    generator.cu = type("utils", (), {"many": Many})  # type: ignore[assignment]
    try:
        yield generator.from_schema
    finally:
        generator.cu = original


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_every_instance_of_a_published_json_schema_is_accepted_by_the_library(
    message_type: MessageType, from_schema: Any
) -> None:
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data: st.DataObject) -> None:
        instance = data.draw(from_schema(_bundled(message_type)), label="instance")
        message = from_json(json.dumps(instance))
        assert message.message_type is message_type

    check()


# --- code generators ------------------------------------------------------------------------------


def _run(tool: str, *args: str) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    result = subprocess.run([str(bin_dir / tool), *args], capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """Clients generated from the published schemas: `jsonclient` (datamodel-code-generator), `xmlclient` (xsdata)."""
    root = tmp_path_factory.mktemp("clients")
    _run(
        "datamodel-codegen",
        "--input", str(JSON_DIR), "--input-file-type", "jsonschema", "--output", str(root / "jsonclient"),
        "--output-model-type", "pydantic_v2.BaseModel", "--disable-warnings",
    )  # fmt: skip
    subprocess.run(
        [str(Path(sys.executable).parent / "xsdata"), "generate", str(VERSION_DIR / XSD_FILE), "--package", "xmlclient",
         "--compound-fields"],
        cwd=root, check=True, capture_output=True, timeout=300,
        env={**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )  # fmt: skip
    sys.path.insert(0, str(root))
    try:
        yield root
    finally:
        sys.path.remove(str(root))
        for name in [m for m in sys.modules if m.split(".")[0] in ("jsonclient", "xmlclient")]:
            del sys.modules[name]


def _both_dates(data: dict[str, Any]) -> dict[str, Any]:
    data["child"]["expectedDateOfBirth"] = data["child"]["dateOfBirth"]
    return data


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_a_client_generated_from_the_json_schemas_loads_every_example(
    generated: Path, message_type: MessageType
) -> None:
    module = importlib.import_module(f"jsonclient.{message_type.value}_schema")
    client = getattr(module, message_type.value)
    loaded = client.model_validate_json((VERSION_DIR / EXAMPLES_FOLDER / f"{message_type.value}.json").read_bytes())
    assert json.loads(loaded.model_dump_json(exclude_none=True, by_alias=True)) == json.loads(
        example_files()[f"{message_type.value}.json"]
    )


def test_a_client_generated_from_the_json_schemas_refuses_what_the_standard_refuses(generated: Path) -> None:
    client = importlib.import_module("jsonclient.ChildIdentityUpdate_schema").ChildIdentityUpdate
    good = json.loads(example_files()["ChildIdentityUpdate.json"])
    client.model_validate(good)
    with pytest.raises(ValueError, match="validation error"):
        client.model_validate(_both_dates(json.loads(json.dumps(good))))  # a choice group broken
    other = json.loads(json.dumps(good))
    other["header"]["messageType"] = "StepDown"
    with pytest.raises(ValueError, match="validation error"):
        client.model_validate(other)  # the message type is pinned
    common = importlib.import_module("jsonclient.common_schema")
    assert {m.value for m in common.Gender} == {"0", "1", "2", "9"}  # a code list is an enumeration


def _xml_parser() -> Any:
    from xsdata.formats.dataclass.parsers import XmlParser
    from xsdata.formats.dataclass.parsers.config import ParserConfig

    return XmlParser(config=ParserConfig(fail_on_unknown_properties=True, fail_on_converter_warnings=True))


@pytest.mark.parametrize("message_type", TYPES, ids=str)
def test_a_client_generated_from_the_xsd_loads_every_example(generated: Path, message_type: MessageType) -> None:
    module = importlib.import_module("xmlclient")
    loaded = _xml_parser().from_bytes((VERSION_DIR / EXAMPLES_FOLDER / f"{message_type.value}.xml").read_bytes())
    assert type(loaded) is getattr(module, message_type.value)


def test_a_client_generated_from_the_xsd_refuses_a_choice_group_violation(generated: Path) -> None:
    importlib.import_module("xmlclient")
    good = example_files()["ChildIdentityUpdate.xml"]
    both = good.replace(b"</DateOfBirth>", b"</DateOfBirth>\n    <ExpectedDateOfBirth>1994-06-14</ExpectedDateOfBirth>")
    assert both != good
    _xml_parser().from_bytes(good)
    # xsdata keeps the xs:choice as one field and logs a warning when a second member of it
    # arrives (it checks no facet at all): a client that makes the parser's warnings errors
    # refuses the message.
    logger = logging.getLogger("xsdata")
    handler = _Refuse()
    logger.addHandler(handler)
    try:
        with pytest.raises(ValueError, match="Unassigned parsed object"):
            _xml_parser().from_bytes(both)
    finally:
        logger.removeHandler(handler)


class _Refuse(logging.Handler):
    """A logging handler that turns xsdata's parser warnings into errors."""

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.WARNING:
            raise ValueError(record.getMessage())


def test_the_validators_shortcuts_give_jsonschemas_own_verdicts() -> None:
    """`json_schema_validator` inlines the common definitions and short-cuts `oneOf`; the verdicts must not change."""
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    from ics_interop.schemagen import json_schema_validator
    from ics_interop.testing.hostile import hostile_cases

    schemas = {p.name: json.loads(p.read_text("utf-8")) for p in JSON_DIR.glob("*.schema.json")}
    registry: Registry[Any] = Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in schemas.values())
    instances = [json.loads(example_files()[f"{t.value}.json"]) for t in TYPES]
    for case in hostile_cases():
        if case.format == "json" and case.outcome == "invalid":
            instances.append(json.loads(case.data))
    both = json.loads(example_files()["ChildIdentityUpdate.json"])
    instances += [_both_dates(both), {**instances[0], "child": {**instances[0]["child"], "gender": "7"}}]
    for instance in instances:
        name = instance["header"]["messageType"]
        plain = Draft202012Validator(
            schemas[f"{name}.schema.json"], registry=registry, format_checker=Draft202012Validator.FORMAT_CHECKER
        )
        assert plain.is_valid(instance) == json_schema_validator(name).is_valid(instance), instance
