"""Running the suite from the command line and reading what it writes: exit status, reports, evidence, replay."""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import re
import zipfile
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from ics_interop.adapters.messaging import acknowledgement_for
from ics_interop.conformance import RunOptions, Target, report_schema, run_suite
from ics_interop.conformance.cli import add_conformance_commands
from ics_interop.conformance.protocol import Client, Reply
from ics_interop.conformance.reference_adapters import ReferenceDirectory
from ics_interop.conformance.targets import parse_target, redact
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from ics_interop import SCHEMA_VERSION, from_xml, to_xml
from ics_interop.findings import Finding, Severity
from ics_interop.messages import ChildIdentityUpdate, InvolvementStarted

BROKEN = "ics_interop.conformance.broken:OverrideRaisesNoAlert"
REFERENCE = "ics_interop.conformance.reference_adapters:contactpoint"


def _cli(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_conformance_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        status = args.run(args)
    return status, out.getvalue(), err.getvalue()


def _run(target: str, report: Path, *extra: str) -> tuple[int, str, str]:
    return _cli(
        "conformance", "run", "--profile", "contactpoint", "--target", target, "--report", str(report),
        "--max-examples", "5", "--quiet", *extra,
    )  # fmt: skip


@pytest.fixture(scope="module")
def failed_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[int, str, Path]:
    folder = tmp_path_factory.mktemp("failed")
    status, out, _ = _run(BROKEN, folder, "--seed", "77")
    return status, out, folder


def test_a_conforming_system_exits_0_and_a_failing_one_1_printing_the_replay(
    failed_run: tuple[int, str, Path], tmp_path: Path
) -> None:
    status, out, _ = _run(REFERENCE, tmp_path)
    assert status == 0, out
    assert "contactpoint: PASSED" in out
    status, out, folder = failed_run
    assert status == 1
    assert "FAIL CP-R12" in out
    replay = re.search(r"replay: (ics-interop conformance run .*)", out)
    assert replay is not None
    assert "--seed 77 --check cp.shielding-override" in replay.group(1)
    for name in ("report.json", "report.xml", "report.html", "evidence.zip"):
        assert (folder / name).is_file()


def test_the_printed_replay_command_reproduces_the_failure(failed_run: tuple[int, str, Path], tmp_path: Path) -> None:
    _, out, _ = failed_run
    match = re.search(r"replay: ics-interop (conformance run .*) --report replay-report", out)
    assert match is not None
    argv = match.group(1).split()
    status, again, _ = _cli(*argv, "--report", str(tmp_path), "--quiet")
    assert status == 1
    assert "FAIL CP-R12" in again
    data = json.loads((tmp_path / "report.json").read_text())
    ran = [c for r in data["requirements"] for c in r["checks"]]
    assert {c["check"] for c in ran} == {"cp.shielding-override"}


def test_an_unusable_target_exits_2_saying_what_to_give(tmp_path: Path) -> None:
    status, _, err = _run("not a target at all", tmp_path)
    assert status == 2
    assert "http://host:port" in err
    over_http = ["conformance", "run", "--profile", "contactpoint", "--target", "http://127.0.0.1:9"]
    status, _, err = _cli(*over_http, "--report", str(tmp_path))
    assert status == 2
    assert "issuer-key" in err
    key = tmp_path / "suite-key.json"
    assert _cli("conformance", "keygen", "--out", str(key))[0] == 0
    status, _, err = _cli(*over_http, "--report", str(tmp_path), "--option", f"issuer-key={key}")
    assert status == 2
    assert "data-manager" in err


def test_the_json_report_is_valid_against_its_own_schema(failed_run: tuple[int, str, Path]) -> None:
    _, _, folder = failed_run
    data = json.loads((folder / "report.json").read_text())
    Draft202012Validator(report_schema(), format_checker=FormatChecker()).validate(data)
    assert data["reportVersion"] == "1.1"
    assert data["passed"] is False
    assert data["summary"]["fail"] == 1
    failed = next(r for r in data["requirements"] if r["id"] == "CP-R12")
    assert failed["state"] == "fail"
    assert failed["checks"][0]["replay"].startswith("ics-interop conformance run")


def test_the_junit_report_names_the_requirements_as_properties(failed_run: tuple[int, str, Path]) -> None:
    _, _, folder = failed_run
    root = etree.parse(str(folder / "report.xml")).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert suite.get("failures") == "1"
    case = next(c for c in suite.iter("testcase") if c.get("name") == "cp.shielding-override")
    assert [p.get("value") for p in case.iter("property") if p.get("name") == "requirement"] == ["CP-R12"]
    assert case.find("failure") is not None
    attested = [c for c in suite.iter("testcase") if "attestation" in (c.get("name") or "")]
    assert attested
    assert all(c.find("skipped") is not None for c in attested)


def test_the_html_report_stands_alone(failed_run: tuple[int, str, Path]) -> None:
    _, _, folder = failed_run
    page = (folder / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)
    assert "CP-R12" in page
    assert "replay" in page


def test_the_evidence_bundle_holds_everything_with_a_true_manifest(failed_run: tuple[int, str, Path]) -> None:
    _, _, folder = failed_run
    with zipfile.ZipFile(folder / "evidence.zip") as bundle:
        names = set(bundle.namelist())
        assert {
            "manifest.json",
            "SHA256SUMS",
            "reports/report.json",
            "reports/report.xml",
            "reports/report.html",
        } <= names
        assert any(n.startswith("messages/") for n in names)
        sums = bundle.read("SHA256SUMS").decode().splitlines()
        listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in sums}
        assert set(listed) == names - {"SHA256SUMS"}
        for name, digest in listed.items():
            assert hashlib.sha256(bundle.read(name)).hexdigest() == digest
        manifest = json.loads(bundle.read("manifest.json"))
    assert manifest["seed"] == 77
    assert manifest["suite"]["version"]
    assert manifest["spec"]["schemaVersion"] == SCHEMA_VERSION
    assert manifest["environment"]["python"]
    assert "cp.shielding-override" in manifest["checkSeeds"]


def test_secrets_in_the_target_are_redacted() -> None:
    target = parse_target(
        "https://vendor:hunter2@cms.example/api?api_key=abc123&site=206", {"token": "s3cret", "organisation": "LA206"}
    )
    described = json.dumps(target.describe())
    assert "hunter2" not in described
    assert "abc123" not in described
    assert "s3cret" not in described
    assert "vendor" in described
    assert "LA206" in described
    assert "site=206" in described
    assert redact({"url": "http://u:p@h/", "nested": {"password": "x"}}) == {
        "url": "http://u:***@h/",
        "nested": {"password": "***"},
    }


def _names(evidence: str) -> list[str]:
    return re.findall(r"<GivenNames>(.*?)</GivenNames>", evidence)


class _AsciiOnly(ReferenceDirectory):
    """A directory that rejects children whose given names are not plain ASCII: a bug Hypothesis finds."""

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        if body.lstrip().startswith(b"<"):
            message = from_xml(body)
            if (
                isinstance(message, ChildIdentityUpdate | InvolvementStarted)
                and not message.child.name.given_names.isascii()
            ):
                ack = acknowledgement_for(
                    message.header.message_id,
                    message.header.recipient,
                    message.header.sender,
                    [Finding("VENDOR-NAME", Severity.ERROR, "given names must be ASCII")],
                    message.header.created_at,
                )
                return Reply(to_xml(ack), "application/xml")
        return super().deliver(body, content_type, client)


def test_a_hypothesis_failure_replays_the_same_example_from_the_same_seed() -> None:
    found = []
    for _ in range(2):
        system = _AsciiOnly()
        try:
            options = RunOptions(seed=1234, checks=("msg.accepts-valid",), max_examples=60)
            result = run_suite("contactpoint", Target("adapter", "ascii-only", adapter=system), options=options)
        finally:
            system.close()
        outcome = result.result("MSG-R01").outcomes[0]
        assert outcome.state.value == "fail"
        assert "VENDOR-NAME" in outcome.message
        found.append(_names(outcome.evidence[0]))
    assert found[0]
    assert found[0] == found[1]
