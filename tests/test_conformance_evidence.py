"""The evidence bundle says what was tested and by whom, and the tester's signature proves it.

What `docs/guides/testers.md` promises: the reports and the bundle name the system under test
(name, version, vendor, URL), the tester, the date and the suite's and standard's versions;
`--sign-key` signs the bundle; `conformance verify` tells a reviewer whether a bundle is as the
tester signed it, and refuses one that was changed, added to, re-hashed or signed by another key.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from ics_interop.conformance import report_schema
from jsonschema import Draft202012Validator

from ics_interop import SCHEMA_VERSION, __version__
from test_conformance_reports import _cli

TARGET = "ics_interop.conformance.reference_adapters:contactpoint"
ONE_CHECK = ("--check", "cp.shielding-override", "--max-examples", "3", "--quiet", "--seed", "5")


def _keys(folder: Path, name: str) -> tuple[Path, Path]:
    key, jwks = folder / f"{name}.jwk.json", folder / f"{name}.jwks.json"
    status, out, err = _cli("conformance", "keygen", "--tester", "--out", str(key), "--jwks-out", str(jwks))
    assert status == 0
    assert "--sign-key" in err
    assert json.loads(out) == json.loads(jwks.read_text())
    return key, jwks


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    folder = tmp_path_factory.mktemp("signed")
    key, jwks = _keys(folder, "tester")
    status, out, _ = _cli(
        "conformance", "run", "--profile", "contactpoint", "--target", TARGET, "--report", str(folder / "report"),
        *ONE_CHECK, "--sut-name", "Acme Directory", "--sut-version", "2.3.1", "--sut-vendor", "Acme Ltd",
        "--tester", "Alex Tester", "--tester-organisation", "DCSF accreditation", "--sign-key", str(key),
    )  # fmt: skip
    assert status == 0, out
    return folder / "report", jwks, out


def _verify(bundle: Path, jwks: Path | None) -> tuple[int, str]:
    status, out, _ = _cli("conformance", "verify", str(bundle), *(["--jwks", str(jwks)] if jwks else []))
    return status, out


def _rewrite(source: Path, target: Path, change: dict[str, bytes | None]) -> Path:
    """A copy of a bundle with files replaced (bytes), removed (None) or added."""
    with zipfile.ZipFile(source) as original:
        files = {name: original.read(name) for name in original.namelist()}
    for name, data in change.items():
        if data is None:
            files.pop(name, None)
        else:
            files[name] = data
    with zipfile.ZipFile(target, "w") as copy:
        for name, data in files.items():
            copy.writestr(name, data)
    return target


def test_the_reports_name_the_system_the_tester_the_date_and_the_versions(signed: tuple[Path, Path, str]) -> None:
    folder, _, out = signed
    report = json.loads((folder / "report.json").read_text())
    Draft202012Validator(report_schema()).validate(report)
    assert report["systemUnderTest"] == {"name": "Acme Directory", "version": "2.3.1", "vendor": "Acme Ltd", "url": ""}
    assert report["tester"] == {"name": "Alex Tester", "organisation": "DCSF accreditation"}
    assert report["suite"]["version"] == __version__
    assert report["spec"]["schemaVersion"] == SCHEMA_VERSION
    page = (folder / "report.html").read_text()
    assert "Acme Directory 2.3.1, by Acme Ltd" in page
    assert "Alex Tester, DCSF accreditation" in page
    with zipfile.ZipFile(folder / "evidence.zip") as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["systemUnderTest"]["vendor"] == "Acme Ltd"
    assert manifest["tester"]["name"] == "Alex Tester"
    assert manifest["testedOn"] == report["startedAt"][:10]
    assert "note:" not in out


def test_a_signed_bundle_verifies_with_the_testers_published_keys(signed: tuple[Path, Path, str]) -> None:
    folder, jwks, _ = signed
    status, out = _verify(folder / "evidence.zip", jwks)
    assert status == 0, out
    assert "signature: good" in out
    assert "system: Acme Directory 2.3.1, by Acme Ltd" in out
    assert "by Alex Tester" in out
    # Without the keys the files are checked, and the reviewer is told what is missing.
    status, out = _verify(folder / "evidence.zip", None)
    assert status == 0
    assert "not verified: give the tester's public keys" in out


def test_a_changed_file_is_found(signed: tuple[Path, Path, str], tmp_path: Path) -> None:
    folder, jwks, _ = signed
    report = json.loads((folder / "report.json").read_text())
    report["passed"] = not report["passed"]
    changed = _rewrite(
        folder / "evidence.zip", tmp_path / "e.zip", {"reports/report.json": json.dumps(report).encode()}
    )
    status, out = _verify(changed, jwks)
    assert status == 1
    assert "reports/report.json changed" in out


def test_a_file_added_afterwards_is_found(signed: tuple[Path, Path, str], tmp_path: Path) -> None:
    folder, jwks, _ = signed
    added = _rewrite(folder / "evidence.zip", tmp_path / "e.zip", {"messages/extra.xml": b"<x/>"})
    status, out = _verify(added, jwks)
    assert status == 1
    assert "messages/extra.xml is in the bundle but not in SHA256SUMS" in out


def test_a_forger_who_rehashes_everything_is_caught_by_the_signature(
    signed: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, jwks, _ = signed
    with zipfile.ZipFile(folder / "evidence.zip") as bundle:
        manifest = json.loads(bundle.read("manifest.json"))
        files = {n: bundle.read(n) for n in bundle.namelist() if n not in ("SHA256SUMS", "SHA256SUMS.jws")}
    manifest["systemUnderTest"]["version"] = "9.9.9"  # claim the accreditation for another release
    files["manifest.json"] = json.dumps(manifest).encode()
    sums = "".join(f"{hashlib.sha256(d).hexdigest()}  {n}\n" for n, d in sorted(files.items())).encode()
    forged = _rewrite(folder / "evidence.zip", tmp_path / "e.zip", {**files, "SHA256SUMS": sums})
    status, out = _verify(forged, jwks)
    assert status == 1
    assert "the signature does not verify" in out


def test_a_bundle_signed_by_another_key_or_not_at_all_does_not_hold(
    signed: tuple[Path, Path, str], tmp_path: Path
) -> None:
    folder, _, _ = signed
    _, strangers = _keys(tmp_path, "stranger")
    status, out = _verify(folder / "evidence.zip", strangers)
    assert status == 1
    assert "the signature does not verify" in out
    unsigned = _rewrite(folder / "evidence.zip", tmp_path / "u.zip", {"SHA256SUMS.jws": None})
    status, out = _verify(unsigned, strangers)
    assert status == 1
    assert "the bundle is not signed" in out


def test_an_unnamed_unsigned_run_says_what_an_accreditation_run_needs(tmp_path: Path) -> None:
    status, out, _ = _cli(
        "conformance", "run", "--profile", "contactpoint", "--target", TARGET, "--report", str(tmp_path), *ONE_CHECK
    )  # fmt: skip
    assert status == 0
    assert "note: the reports do not state --tester" in out
    assert "note: evidence.zip is not signed: give --sign-key" in out
    report = json.loads((tmp_path / "report.json").read_text())
    # What the system says of itself stands in for what the tester did not give.
    assert report["systemUnderTest"]["name"] == "ContactPoint directory"
    assert report["systemUnderTest"]["vendor"] == "ics-interop"
    status, out = _verify(tmp_path / "evidence.zip", None)
    assert status == 0
    assert "unsigned" in out


def test_verify_refuses_what_is_not_a_bundle(tmp_path: Path) -> None:
    (tmp_path / "x.zip").write_bytes(b"not a zip")
    status, _, err = _cli("conformance", "verify", str(tmp_path / "x.zip"))
    assert status == 2
    assert "not an evidence bundle" in err
