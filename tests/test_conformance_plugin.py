"""The suite inside a vendor's own pytest (the plugin), and the HTTP binding's published OpenAPI documents."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from ics_interop.conformance.openapi import openapi_documents, write_openapi
from lxml import etree

_VENDOR_TEST = """
from ics_interop.conformance.pytest_suite import conformance_tests
from ics_interop.conformance.broken import OverrideRaisesNoAlert

test_my_directory = conformance_tests("contactpoint", OverrideRaisesNoAlert, seed=11, max_examples=5)
"""


def _pytest(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            # the plugin comes from the installed distribution's pytest11 entry point, as for a vendor
            "-p",
            "no:cacheprovider",
            *args,
        ],
        cwd=folder,
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )


def test_the_plugin_runs_the_profile_as_tests_and_writes_the_reports(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text("")
    result = _pytest(
        tmp_path,
        "--conformance-profile=contactpoint",
        "--conformance-target=ics_interop.conformance.reference_adapters:contactpoint",
        "--conformance-max-examples=5",
        f"--conformance-report={tmp_path / 'reports'}",
        f"--junitxml={tmp_path / 'junit.xml'}",
        "-q",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "passed" in result.stdout
    # MSG-R08 and SEC-R01, SEC-R02, SEC-R06: the HTTP binding and its tokens, not testable through an adapter.
    assert "5 skipped" in result.stdout
    report = json.loads((tmp_path / "reports" / "report.json").read_text())
    assert report["passed"] is True
    assert (tmp_path / "reports" / "evidence.zip").is_file()
    junit = etree.parse(str(tmp_path / "junit.xml"))
    values = {p.get("value") for p in junit.iter("property") if p.get("name") == "requirement"}
    assert {"CP-R06", "MSG-R01"} <= values


def test_a_vendor_test_module_fails_on_the_broken_requirement_with_its_replay(tmp_path: Path) -> None:
    (tmp_path / "test_vendor.py").write_text(_VENDOR_TEST)
    result = _pytest(tmp_path, "-q", "test_vendor.py")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "1 failed" in result.stdout
    assert "cp.shielding-override" in result.stdout
    assert "CP-R12" in result.stdout
    assert "replay: ics-interop conformance run" in result.stdout


def test_the_openapi_documents_publish_the_binding_of_each_reference_service(tmp_path: Path) -> None:
    documents = openapi_documents()
    assert set(documents) == {"contactpoint", "ecaf", "ics"}
    for document in documents.values():
        assert document["openapi"].startswith("3.")
        assert "/messages" in document["paths"]
        assert "422" in document["paths"]["/messages"]["post"]["responses"]
    assert "/children" in documents["contactpoint"]["paths"]
    assert "/episodes/{episode_id}/referrals" in documents["ecaf"]["paths"]
    assert "/caf-referrals/{referral_id}/answer" in documents["ics"]["paths"]
    assert sorted(write_openapi(tmp_path)) == ["contactpoint.json", "ecaf.json", "ics.json"]
    assert write_openapi(tmp_path, check=True) == []
    (tmp_path / "ics.json").write_text("{}")
    assert write_openapi(tmp_path, check=True) == ["ics.json"]


def test_the_plugin_costs_another_projects_test_run_nothing_until_it_is_used() -> None:
    """Wherever ics-interop is installed pytest loads the plugin: that imports neither the standard nor the suite."""
    import subprocess
    import sys
    from importlib import metadata

    [entry] = [e for e in metadata.entry_points(group="pytest11") if e.name == "ics-interop-conformance"]
    loaded = subprocess.run(
        [sys.executable, "-c", f"import sys, {entry.value}; print(sorted(sys.modules))"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "ics_interop'" not in loaded
    assert "fastapi" not in loaded
    assert "sqlalchemy" not in loaded
