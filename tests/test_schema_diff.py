"""`ics-interop schema diff`: every change between two versions, and whom it breaks."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ics_interop.cli import main
from ics_interop.schemadiff import diff_folders
from ics_interop.schemas_path import schemas_root

XSD = "ics-interop.xsd"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    status = main(["schema", "diff", *args, "--format", "json"])
    return status, json.loads(capsys.readouterr().out)


def test_1_0_to_1_1_breaks_nothing_and_lists_its_errata(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _run(capsys, "1.0", "1.1")
    assert status == 0
    assert report["breaking"] == 0
    changes = report["changes"]
    assert isinstance(changes, list)
    errata = [c for c in changes if c["erratum"]]
    assert {(c["family"], c["type"]) for c in errata} >= {("xsd", "Timestamp"), ("xsd", "Text"), ("json", "Timestamp")}
    pinned = [c for c in errata if c["location"].endswith(".header.messageType")]
    assert len(pinned) == 12  # one per message type
    security = [c for c in errata if c["family"].startswith("openapi:") and "security" in c["erratum"]]
    assert {c["location"].rsplit(".", 1)[1] for c in security} == {"by", "referredBy", "requestedBy"}
    documents = [c for c in errata if c["family"].startswith("openapi:") and "issue 12" in c["erratum"]]
    assert {c["kind"] for c in documents} >= {"choice-changed", "pattern-added"}
    kinds = {(c["family"], c["kind"]) for c in changes if c["impact"] == "compatible"}
    assert ("json", "file-added") in kinds  # common.schema.json
    assert ("json", "code-meanings-added") in kinds
    assert ("xsd", "version-changed") in kinds


def test_without_errata_the_narrowings_count_as_breaking(capsys: pytest.CaptureFixture[str]) -> None:
    status, report = _run(capsys, "1.0", "v1", "--no-errata")
    assert status == 1
    # The schemas' narrowings (18), the binding's security erratum (15), the OpenAPI documents' own (23).
    assert report["breaking"] == 18 + 15 + 23


def test_an_unknown_version_is_unusable(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "diff", "1.0", "0.9"]) == 2
    assert "published versions" in capsys.readouterr().err


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    old, new = tmp_path / "old", tmp_path / "new"
    for folder in (old, new):
        shutil.copytree(schemas_root() / "v1", folder, ignore=shutil.ignore_patterns("examples", "errata.toml"))
    return old, new


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), "utf-8")


def _xsd(old: str, new: str) -> Callable[[Path], None]:
    return lambda folder: _edit(folder / XSD, old, new)


def _common(change: Callable[[dict[str, object]], None]) -> Callable[[Path], None]:
    def edit(folder: Path) -> None:
        path = folder / "json" / "common.schema.json"
        schema = json.loads(path.read_text("utf-8"))
        change(schema["$defs"])
        path.write_text(json.dumps(schema), "utf-8")

    return edit


def _json_add_member(required: bool) -> Callable[[dict[str, object]], None]:
    def change(defs: dict[str, object]) -> None:
        name = defs["PersonName"]
        assert isinstance(name, dict)
        name["properties"]["title"] = {"$ref": "common.schema.json#/$defs/ShortText"}
        if required:
            name["required"].append("title")

    return change


def _json_gender(codes: list[str]) -> Callable[[dict[str, object]], None]:
    def change(defs: dict[str, object]) -> None:
        gender = defs["Gender"]
        assert isinstance(gender, dict)
        meanings = {b["const"]: b["title"] for b in gender["oneOf"]}
        gender["oneOf"] = [{"const": c, "title": meanings.get(c, "new")} for c in codes]

    return change


CASES = {
    "xsd-new-required-element": (
        _xsd(
            '<xs:element name="FamilyName" type="Name">',
            '<xs:element name="Title" type="Name"/><xs:element name="FamilyName" type="Name">',
        ),
        ("xsd", "added-required", "breaking-both"),
    ),
    "xsd-new-optional-element": (
        _xsd(
            '<xs:element name="FamilyName" type="Name">',
            '<xs:element name="Title" type="Name" minOccurs="0"/><xs:element name="FamilyName" type="Name">',
        ),
        ("xsd", "added-optional", "compatible"),
    ),
    "xsd-code-removed": (
        _xsd('<xs:enumeration value="9">', '<xs:enumeration value="8">'),
        ("xsd", "codes-removed", "breaking-senders"),
    ),
    "xsd-max-length-narrowed": (
        _xsd('<xs:maxLength value="100"/>', '<xs:maxLength value="50"/>'),
        ("xsd", "maxLength-narrowed", "breaking-senders"),
    ),
    "xsd-max-length-widened": (
        _xsd('<xs:maxLength value="100"/>', '<xs:maxLength value="150"/>'),
        ("xsd", "maxLength-widened", "compatible"),
    ),
    "xsd-optional-made-required": (
        _xsd('<xs:element name="DiedOn" type="Date" minOccurs="0">', '<xs:element name="DiedOn" type="Date">'),
        ("xsd", "minOccurs-narrowed", "breaking-senders"),
    ),
    "xsd-namespace": (
        _xsd('targetNamespace="urn:ics-interop:schema:v1"', 'targetNamespace="urn:ics-interop:schema:v2"'),
        ("xsd", "namespace-changed", "breaking-both"),
    ),
    "json-new-required-member": (_common(_json_add_member(True)), ("json", "added-required", "breaking-both")),
    "json-new-optional-member": (_common(_json_add_member(False)), ("json", "added-optional", "compatible")),
    "json-code-added": (_common(_json_gender(["0", "1", "2", "9", "X"])), ("json", "codes-added", "compatible")),
    "json-code-removed": (_common(_json_gender(["0", "1", "2"])), ("json", "codes-removed", "breaking-senders")),
}


@pytest.mark.parametrize(("edit", "expected"), list(CASES.values()), ids=list(CASES))
def test_each_kind_of_change_is_classified(
    folders: tuple[Path, Path], edit: Callable[[Path], None], expected: tuple[str, str, str]
) -> None:
    old, new = folders
    assert diff_folders(old, new).changes == ()
    edit(new)
    report = diff_folders(old, new)
    found = {(c.family, c.kind, c.impact) for c in report.changes}
    assert expected in found, report.describe()
    assert bool(report.breaking) == (expected[2] != "compatible")


def test_a_changed_meaning_breaks_receivers(folders: tuple[Path, Path]) -> None:
    old, new = folders
    _xsd("<xs:documentation>Female</xs:documentation>", "<xs:documentation>Unknown</xs:documentation>")(new)
    (change,) = diff_folders(old, new).breaking
    assert (change.kind, change.impact, change.type) == ("code-meaning-changed", "breaking-receivers", "Gender")


def test_the_reverse_of_a_narrowing_is_compatible(folders: tuple[Path, Path]) -> None:
    old, new = folders
    _xsd('<xs:maxLength value="100"/>', '<xs:maxLength value="50"/>')(old)
    assert not diff_folders(old, new).breaking


def test_a_git_reference_can_be_compared(capsys: pytest.CaptureFixture[str]) -> None:
    if not (Path(__file__).parent.parent / ".git").exists():
        pytest.skip("not a git checkout")
    status, report = _run(capsys, "git:HEAD", "1.1")
    assert status in (0, 1)
    assert str(report["old"]).startswith("git:HEAD")


def test_a_new_required_field_makes_generate_check_say_what_to_do(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import ics_interop.examples as examples
    from ics_interop.model import PersonName

    def examples_missing_a_field() -> dict[str, bytes]:
        PersonName.model_validate({"givenNames": "Hannah"})  # as if familyName had just become required
        return {}

    monkeypatch.setattr(examples, "example_files", examples_missing_a_field)
    assert main(["schema", "generate", "--check"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "familyName" in err
    assert "src/ics_interop/examples.py" in err
