"""The schema downloads: each version's XSD, JSON Schemas and examples, and the page that lists them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from lxml import etree

from ..schemagen import EXAMPLES_FOLDER, XSD_FILE
from . import markdown as md


def _versions(schemas_root: Path) -> list[Path]:
    """The published folders: `v1` (the current 1.x) and each frozen release beside it (`v1.0`), oldest first."""
    found = [p for p in schemas_root.iterdir() if p.is_dir() and re.fullmatch(r"v[0-9]+(\.[0-9]+)?", p.name)]

    def order(path: Path) -> tuple[int, int]:
        major, _, minor = path.name[1:].partition(".")
        return int(major), int(minor) if minor else 10**6  # the current line after its frozen releases

    return sorted(found, key=order)


def schema_downloads(schemas_root: Path) -> dict[str, Path]:
    """The schema files of every version, by their path in the site (`schemas/v1/ics-interop.xsd`, ...)."""
    files: dict[str, Path] = {}
    for version in _versions(schemas_root):
        candidates = [
            *version.glob("*.xsd"),
            *(version / "json").glob("*.schema.json"),
            *(version / EXAMPLES_FOLDER).glob("*.xml"),
            *(version / EXAMPLES_FOLDER).glob("*.json"),
            *(version / "openapi").glob("*.json"),
        ]
        for path in sorted(candidates):
            files["schemas/" + path.relative_to(schemas_root).as_posix()] = path
    return files


def _file_row(label: str, site_path: str, path: Path) -> list[str]:
    data = path.read_bytes()
    return [f"[{label}]({site_path})", f"{len(data):,} bytes", md.code(hashlib.sha256(data).hexdigest()[:16])]


def downloads_page(schemas_root: Path) -> str:
    """The downloads page: the XML Schema, the JSON Schemas and the examples of each version."""
    out = ["# Schemas and downloads\n\n", md.generated_note("the schemas the library ships, `schemas/`,")]
    out.append(
        "The schemas are generated from the models by `ics-interop schema generate` and shipped inside the "
        "package (`ics_interop.schemas_path.schemas_root()`). Each major version has its own folder and its "
        "own XML namespace; see [Versioning](versioning.md). The SHA-256 column shows the first 16 hex digits "
        "of each file's digest.\n\n"
    )
    for version in reversed(_versions(schemas_root)):
        xsd = version / XSD_FILE
        namespace = etree.parse(str(xsd)).getroot().get("targetNamespace", "") if xsd.is_file() else ""
        out.append(f"\n## {version.name}\n\n")
        if namespace:
            out.append(f"XML namespace: {md.code(namespace)}.\n\n")
        rows = [_file_row(p.name, f"schemas/{version.name}/{p.name}", p) for p in sorted(version.glob("*.xsd"))]
        out.append("### XML Schema\n\n")
        out.append(md.table(["File", "Size", "SHA-256"], rows))
        out.append("\n### JSON Schemas and examples\n\n")
        rows = []
        for schema in sorted((version / "json").glob("*.schema.json")):
            name = schema.name.removesuffix(".schema.json")
            cells = [name, f"[{schema.name}](schemas/{version.name}/json/{schema.name})"]
            for ext in ("xml", "json"):
                example = version / EXAMPLES_FOLDER / f"{name}.{ext}"
                site_path = f"schemas/{version.name}/{EXAMPLES_FOLDER}/{name}.{ext}"
                cells.append(f"[{ext.upper()}]({site_path})" if example.is_file() else "")
            rows.append(cells)
        out.append(md.table(["Message type", "JSON Schema", "Example (XML)", "Example (JSON)"], rows))
        openapi = sorted((version / "openapi").glob("*.json"))
        if openapi:
            out.append("\n### The HTTP binding (OpenAPI)\n\n")
            out.append(
                "Each reference service's OpenAPI document: `POST /messages` is the standard's HTTP binding, "
                "and the other routes are the ones the conformance suite drives over HTTP.\n\n"
            )
            rows = [_file_row(p.name, f"schemas/{version.name}/openapi/{p.name}", p) for p in openapi]
            out.append(md.table(["File", "Size", "SHA-256"], rows))
    return "".join(out)
