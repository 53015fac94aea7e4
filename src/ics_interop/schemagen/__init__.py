"""Schema generation: the models are the one source of the XML Schema and the JSON Schemas.

`schema_files()` is what the models generate: the schemas, and the worked examples of every
message type (`ics_interop.examples`, written to `examples/`); `write_schemas()` writes it
into a folder (by default the `schemas/` folder the library ships); `check_schemas()` names
every file that differs, is missing or is stale, so a test (and `ics-interop schema generate
--check`) fails when a committed schema or example is out of date.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from ..errors import IcsInteropError
from ..messages import SCHEMA_VERSION
from .jsonschema import (
    COMMON_SCHEMA,
    generate_common_schema,
    generate_json_schema,
    generate_json_schemas,
    json_schema_components,
    json_schema_validator,
)
from .xsd import generate_xsd

__all__ = [
    "COMMON_SCHEMA",
    "EXAMPLES_FOLDER",
    "XSD_FILE",
    "SchemaGenerationError",
    "check_schemas",
    "generate_common_schema",
    "generate_json_schema",
    "generate_json_schemas",
    "generate_xsd",
    "json_schema_components",
    "json_schema_validator",
    "schema_files",
    "version_folder",
    "write_schemas",
]

#: The XML Schema's file name inside the version folder.
XSD_FILE = "ics-interop.xsd"
#: The folder of the worked examples inside the version folder.
EXAMPLES_FOLDER = "examples"


class SchemaGenerationError(IcsInteropError):
    """Raised when the schemas cannot be generated: the worked examples no longer fit the models."""


def _example_files() -> dict[str, bytes]:
    from ..examples import example_files  # imported here: the examples need the codecs, which need the messages

    try:
        return example_files()
    except ValidationError as exc:
        problems = "; ".join(
            f"{exc.title}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)
        )
        raise SchemaGenerationError(
            f"the worked examples no longer fit the models ({problems})",
            hint=(
                "give the examples in src/ics_interop/examples.py the new or changed field (a new required "
                "element needs a value in every example that has the model), then run "
                "`ics-interop schema generate`; a new required element is a breaking change: see docs/versioning.md"
            ),
        ) from None


def version_folder() -> str:
    """The folder of this version inside `schemas/`: `v1` for 1.x."""
    return "v" + SCHEMA_VERSION.split(".")[0]


def schema_files() -> dict[str, bytes]:
    """Every generated file (schemas and examples), as a path relative to `schemas/` -> content."""
    folder = version_folder()
    files = {f"{folder}/{XSD_FILE}": generate_xsd()}
    files.update({f"{folder}/json/{name}": data for name, data in generate_json_schemas().items()})
    files.update({f"{folder}/{EXAMPLES_FOLDER}/{name}": data for name, data in _example_files().items()})
    return files


def write_schemas(root: Path) -> list[str]:
    """Write the generated schemas under `root`; return the paths that changed."""
    changed = []
    for rel, data in schema_files().items():
        path = root / rel
        if path.exists() and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        changed.append(rel)
    return changed


def check_schemas(root: Path) -> list[str]:
    """The paths under `root` whose content differs from what the models generate (or that are missing or stale).

    A stale file is a JSON Schema, or a file in the examples folder (other than a hidden file
    such as `.gitkeep`), that nothing generates any more.
    """
    expected = schema_files()
    problems = []
    for rel, data in expected.items():
        path = root / rel
        if not path.exists():
            problems.append(f"{rel}: missing")
        elif path.read_bytes() != data:
            problems.append(f"{rel}: differs from what the models generate")
    json_dir = root / version_folder() / "json"
    if json_dir.is_dir():
        for path in sorted(json_dir.glob("*.schema.json")):
            rel = path.relative_to(root).as_posix()
            if rel not in expected:
                problems.append(f"{rel}: no message type generates it (stale)")
    examples_dir = root / version_folder() / EXAMPLES_FOLDER
    if examples_dir.is_dir():
        for path in sorted(examples_dir.iterdir()):
            rel = path.relative_to(root).as_posix()
            if path.is_file() and not path.name.startswith(".") and rel not in expected:
                problems.append(f"{rel}: no example generates it (stale)")
    return problems
