"""Schema evolution: what changed between two versions of the standard, and whom it breaks.

`diff_versions("1.0", "1.1")` reads the XML Schema, the JSON Schemas and (where both versions
have them) the OpenAPI documents of two versions, compares each family, and classifies every
change as breaking for senders, breaking for receivers, or compatible (see `_compare` and
docs/versioning.md). A version is named by a folder, a published version (`1.0`, `v1`) or a
git reference (`git:main`, `git:v1.0.0`).

A new version may declare errata in `errata.toml` beside its schemas: narrowings that bring a
schema into line with what the earlier version's library already refused (so no message that
version accepted is refused now). They are listed, with the reason, and do not count as
breaking; everything else that narrows does, and `ics-interop schema diff` exits 1.
"""

from __future__ import annotations

import atexit
import fnmatch
import json
import re
import shutil
import subprocess
import tempfile
import tomllib
from pathlib import Path
from typing import Any

import attrs

from ..errors import UnusableInputError
from ._compare import Change, Impact, compare
from ._read_json import read_json_schemas
from ._read_xsd import read_xsd

__all__ = ["Change", "DiffReport", "Impact", "diff_folders", "diff_versions", "resolve_version"]

_XSD = "ics-interop.xsd"
ERRATA_FILE = "errata.toml"


@attrs.frozen
class DiffReport:
    """Every change between two versions, classified."""

    old: str
    new: str
    changes: tuple[Change, ...]

    @property
    def breaking(self) -> list[Change]:
        """The changes that break senders or receivers (errata excepted)."""
        return [c for c in self.changes if c.breaking]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (`--format json`)."""
        return {
            "old": self.old,
            "new": self.new,
            "breaking": len(self.breaking),
            "changes": [
                {
                    "family": c.family,
                    "location": c.location,
                    "kind": c.kind,
                    "impact": c.impact,
                    "breaking": c.breaking,
                    "type": c.type,
                    "detail": c.detail,
                    "erratum": c.erratum or None,
                }
                for c in self.changes
            ],
        }

    def describe(self) -> str:
        """The report for people: breaking changes first, then errata, then compatible ones."""
        lines = [f"schema diff {self.old} -> {self.new}: {len(self.changes)} change(s), {len(self.breaking)} breaking"]
        sections: list[tuple[str, list[Change]]] = [
            ("BREAKING for senders and receivers", [c for c in self.breaking if c.impact == "breaking-both"]),
            ("BREAKING for senders (documents valid before are refused now)",
             [c for c in self.breaking if c.impact == "breaking-senders"]),
            ("BREAKING for receivers (documents valid now are refused by the old version)",
             [c for c in self.breaking if c.impact == "breaking-receivers"]),
            ("errata (narrowed to what the old version's library already refused)",
             [c for c in self.changes if c.erratum]),
            ("compatible", [c for c in self.changes if c.impact == "compatible"]),
        ]  # fmt: skip
        for title, changes in sections:
            if not changes:
                continue
            lines.append(f"\n{title}: {len(changes)}")
            for c in changes:
                lines.append(f"  [{c.family}] {c.location}: {c.kind}: {_short(c.detail)}")
                if c.erratum:
                    lines.append(f"      erratum: {c.erratum}")
        if not self.breaking:
            lines.append("\nno breaking change: the new version may be a minor version")
        else:
            lines.append("\nbreaking changes: the new version must be a new major version (new namespace)")
        return "\n".join(lines)


def _short(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _version_of(folder: Path) -> str:
    xsd = folder / _XSD
    if xsd.is_file():
        match = re.search(rb'\bversion="([0-9.]+)"', xsd.read_bytes()[:4000])
        if match:
            return match.group(1).decode()
    return "?"


def _git_folder(ref: str, path: str) -> Path:
    target = Path(tempfile.mkdtemp(prefix="ics-schema-diff-"))
    atexit.register(shutil.rmtree, target, ignore_errors=True)
    try:
        archive = subprocess.run(["git", "archive", ref, path], capture_output=True, check=True, timeout=120)
    except (OSError, subprocess.CalledProcessError) as exc:
        stderr = getattr(exc, "stderr", b"") or b""
        raise UnusableInputError(
            f"cannot read {path} at git reference {ref!r}: {stderr.decode(errors='replace').strip() or exc}",
            hint="run it inside the repository, and name a commit, branch or tag that has the schemas",
        ) from None
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=120)
    return target / path


def resolve_version(spec: str) -> tuple[str, Path]:
    """A version's label and schema folder: a folder, `1.0` / `v1.0` / `v1` (published), or `git:REF[:PATH]`."""
    from ..messages import SCHEMA_VERSION
    from ..schemas_path import schemas_root

    if spec.startswith("git:"):
        ref, _, path = spec[4:].partition(":")
        folder = _git_folder(ref, path or f"schemas/v{SCHEMA_VERSION.split('.')[0]}")
        return f"{spec} ({_version_of(folder)})", folder
    folder = Path(spec)
    if folder.is_dir():
        return f"{spec} ({_version_of(folder)})", folder
    match = re.fullmatch(r"v?([0-9]+)(?:\.([0-9]+))?", spec)
    if match:
        root = schemas_root()
        major, minor = match.group(1), match.group(2)
        current = SCHEMA_VERSION.split(".")
        if minor is not None and (root / f"v{major}.{minor}").is_dir():
            return f"{major}.{minor}", root / f"v{major}.{minor}"
        if (minor is None or [major, minor] == current) and (root / f"v{major}").is_dir():
            return _version_of(root / f"v{major}"), root / f"v{major}"
    published = ", ".join(sorted(p.name for p in schemas_root().iterdir() if p.is_dir() and p.name.startswith("v")))
    raise UnusableInputError(
        f"{spec!r} is neither a folder of schemas, a published version nor a git reference",
        hint=f"give a folder, one of the published versions ({published}), or git:REF",
    )


def _json_documents(folder: Path) -> dict[str, Any]:
    return {p.name: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.schema.json"))}


def _openapi_changes(old: Path, new: Path) -> list[Change]:
    changes: list[Change] = []
    for path in sorted(new.glob("*.json")):
        before = old / path.name
        if not before.is_file():
            continue
        family = f"openapi:{path.stem}"
        old_doc, new_doc = json.loads(before.read_text("utf-8")), json.loads(path.read_text("utf-8"))
        old_ops = {(p, m) for p, item in old_doc.get("paths", {}).items() for m in item}
        new_ops = {(p, m) for p, item in new_doc.get("paths", {}).items() for m in item}
        for p, m in sorted(old_ops - new_ops):
            changes.append(Change(family, f"{m.upper()} {p}", "operation-removed", "breaking-both", "removed"))
        for p, m in sorted(new_ops - old_ops):
            changes.append(Change(family, f"{m.upper()} {p}", "operation-added", "compatible", "a new operation"))
        components = read_json_schemas({"old": old_doc}, family), read_json_schemas({"new": new_doc}, family)
        for name in sorted(components[0].objects.keys() & components[1].objects.keys()):
            changes.extend(
                compare(
                    attrs.evolve(components[0], roots={name: name}),
                    attrs.evolve(components[1], roots={name: name}),
                )
            )
    unique: dict[str, Change] = {}
    for change in changes:
        unique.setdefault(change.id + change.detail, change)
    return list(unique.values())


def _errata(folder: Path, old_version: str, new_version: str) -> list[dict[str, str]]:
    path = folder / ERRATA_FILE
    if not path.is_file():
        return []
    entries = tomllib.loads(path.read_text("utf-8")).get("erratum", [])

    def key(version: str) -> tuple[int, ...]:
        return tuple(int(p) for p in version.split(".") if p.isdigit())

    return [
        e
        for e in entries
        if old_version == "?" or key(old_version) < key(str(e.get("version", "0"))) <= key(new_version)
    ]


def _apply_errata(changes: list[Change], errata: list[dict[str, str]]) -> list[Change]:
    out = []
    for change in changes:
        for entry in errata:
            if (
                change.impact != "compatible"
                and fnmatch.fnmatchcase(change.family, entry.get("family", "*"))
                and fnmatch.fnmatchcase(change.location, entry.get("location", "*"))
                and fnmatch.fnmatchcase(change.kind, entry.get("kind", "*"))
                and fnmatch.fnmatchcase(change.type, entry.get("type", "*"))
            ):
                change = attrs.evolve(change, erratum=entry.get("reason", "declared an erratum"))
                break
        out.append(change)
    return out


def _identity_changes(old: Path, new: Path) -> list[Change]:
    """Namespaces, versions and identifiers: what names the schemas rather than what they accept."""
    changes: list[Change] = []
    if (old / _XSD).is_file() and (new / _XSD).is_file():
        before, after = (_attribute(p / _XSD, "targetNamespace") for p in (old, new))
        if before != after:
            changes.append(Change("xsd", "schema", "namespace-changed", "breaking-both", f"{before} -> {after}"))
        before, after = (_attribute(p / _XSD, "version") for p in (old, new))
        if before != after:
            changes.append(Change("xsd", "schema", "version-changed", "compatible", f"{before} -> {after}"))
    if (old / "json").is_dir() and (new / "json").is_dir():
        olds, news = _json_documents(old / "json"), _json_documents(new / "json")
        for name in sorted(news.keys() - olds.keys()):
            changes.append(Change("json", name, "file-added", "compatible", "a new schema file"))
        for name in sorted(olds.keys() - news.keys()):
            changes.append(Change("json", name, "file-removed", "breaking-both", "a schema file removed"))
        for name in sorted(olds.keys() & news.keys()):
            before_id, after_id = olds[name].get("$id"), news[name].get("$id")
            if before_id != after_id:
                changes.append(Change("json", name, "id-changed", "compatible", f"$id {before_id} -> {after_id}"))
    return changes


def _attribute(path: Path, name: str) -> str:
    match = re.search(rf'\b{name}="([^"]*)"'.encode(), path.read_bytes()[:4000])
    return match.group(1).decode() if match else ""


def diff_folders(old: Path, new: Path, *, old_label: str = "", new_label: str = "", errata: bool = True) -> DiffReport:
    """Compare two folders of schemas (each with `ics-interop.xsd`, `json/` and maybe `openapi/`)."""
    for folder in (old, new):
        if not (folder / _XSD).is_file() and not (folder / "json").is_dir():
            raise UnusableInputError(
                f"{folder} holds no schemas of the standard", hint=f"give a folder with {_XSD} and json/"
            )
    changes: list[Change] = _identity_changes(old, new)
    if (old / _XSD).is_file() and (new / _XSD).is_file():
        changes.extend(compare(read_xsd((old / _XSD).read_bytes()), read_xsd((new / _XSD).read_bytes())))
    if (old / "json").is_dir() and (new / "json").is_dir():
        changes.extend(
            compare(read_json_schemas(_json_documents(old / "json")), read_json_schemas(_json_documents(new / "json")))
        )
    if (old / "openapi").is_dir() and (new / "openapi").is_dir():
        changes.extend(_openapi_changes(old / "openapi", new / "openapi"))
    if errata:
        changes = _apply_errata(changes, _errata(new, _version_of(old), _version_of(new)))
    order = {"breaking-both": 0, "breaking-senders": 1, "breaking-receivers": 2, "compatible": 3}
    changes.sort(key=lambda c: (not c.breaking, order[c.impact], c.family, c.location, c.kind))
    return DiffReport(old_label or str(old), new_label or str(new), tuple(changes))


def diff_versions(old: str, new: str, *, errata: bool = True) -> DiffReport:
    """Compare two versions named as `resolve_version` takes them."""
    old_label, old_folder = resolve_version(old)
    new_label, new_folder = resolve_version(new)
    return diff_folders(old_folder, new_folder, old_label=old_label, new_label=new_label, errata=errata)
