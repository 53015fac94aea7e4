"""Every hostile or broken input gets the outcome the standard requires, from every entry point, never a traceback.

The corpus is `ics_interop.testing.hostile` (shipped, so a receiver's own HTTP routes can be run
against it too). Each case is given to `validate_bytes`, to `validate_path` (the streaming
reader, from a file), to the decoder of its format and to the command line; all must agree.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ics_interop import (
    DecodeError,
    FileReport,
    HostileInputError,
    UnusableInputError,
    from_json,
    from_xml,
    validate_bytes,
    validate_path,
)
from ics_interop.cli import main
from ics_interop.examples import example_files
from ics_interop.testing.hostile import HostileCase, hostile_cases

CASES = list(hostile_cases())
SCHEMA_RULES = ("XSD-", "JSON-", "MODEL-", "XML-")


def _verdict(report: FileReport) -> str:
    if report.unusable:
        return "unusable"
    errors = [f for f in report.findings if f.severity.value == "error"]
    return "invalid" if any(f.rule_id.startswith(SCHEMA_RULES) for f in errors) else "valid"


def _expected_verdict(case: HostileCase) -> str:
    return "unusable" if case.outcome == "hostile" else case.outcome


def test_the_corpus_names_are_unique_and_cover_every_outcome() -> None:
    names = [(c.format, c.name) for c in CASES]
    assert len(names) == len(set(names))
    assert {c.outcome for c in CASES} == {"hostile", "unusable", "invalid", "valid"}
    assert all(len(c.data) < 1_000_000 for c in CASES)
    name, data, outcome = CASES[0]
    assert (name, data, outcome) == (CASES[0].name, CASES[0].data, CASES[0].outcome)


@pytest.mark.parametrize("case", CASES, ids=[f"{c.format}-{c.name}" for c in CASES])
def test_validate_bytes_gives_the_expected_outcome(case: HostileCase) -> None:
    report = validate_bytes(case.data)
    assert _verdict(report) == _expected_verdict(case), report.unusable or report.findings
    if case.outcome == "hostile":
        assert report.unusable is not None
        assert "To fix" in report.unusable


@pytest.mark.parametrize("case", CASES, ids=[f"{c.format}-{c.name}" for c in CASES])
def test_the_decoder_agrees_with_the_validator(case: HostileCase) -> None:
    decode = from_xml if case.format == "xml" else from_json
    expected: type[Exception] | None = {
        "hostile": HostileInputError,
        "unusable": UnusableInputError,
        "invalid": DecodeError,
        "valid": None,
    }[case.outcome]
    if expected is None:
        decode(case.data)
        return
    with pytest.raises(expected) as caught:
        decode(case.data)
    if case.outcome == "unusable":
        assert not isinstance(caught.value, HostileInputError) or case.format == "json"
    if isinstance(caught.value, DecodeError):
        assert caught.value.findings, "a DecodeError says what is wrong and where"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.format}-{c.name}" for c in CASES])
def test_the_streaming_reader_and_the_command_line_agree(
    case: HostileCase, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"{case.name}.{case.format}"
    path.write_bytes(case.data)
    assert _verdict(validate_path(path, workers=1)) == _expected_verdict(case)
    status = main(["validate", "--format", "json", str(path)])
    output = json.loads(capsys.readouterr().out)
    assert status == case.exit_status, output
    if case.exit_status == 2:
        assert output["files"][0]["unusable"]


def test_a_doctype_in_a_large_streamed_batch_is_refused_before_any_message_is_checked(tmp_path: Path) -> None:
    body = example_files()["Acknowledgement.xml"].split(b"?>", 1)[1]
    batch = (
        b"<!-- " + b"x" * 100_000 + b" -->\n<!DOCTYPE MessageBatch>\n"
        b'<MessageBatch xmlns="urn:ics-interop:schema:v1">' + body * 3_000 + b"</MessageBatch>"
    )
    path = tmp_path / "batch.xml"
    path.write_bytes(batch)
    for workers in (1, 2):
        report = validate_path(path, workers=workers)
        assert report.unusable is not None
        assert "DOCTYPE" in report.unusable
        assert report.records == 0


def test_a_json_lines_line_over_the_limit_is_refused_unread(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import ics_interop.validate as validate

    line = json.dumps(json.loads(example_files()["Acknowledgement.json"])).encode() + b"\n"
    monkeypatch.setattr(validate, "MAX_MESSAGE_BYTES", len(line) + 10)
    reads: list[int] = []
    path = tmp_path / "batch.jsonl"
    path.write_bytes(line + line + b'{"header": "' + b"x" * 10 * len(line) + b'"}\n' + line)
    report = validate.validate_path(path, progress=lambda done, total, records: reads.append(done))
    assert report.unusable is not None
    assert "line 3 is longer than the limit" in report.unusable
    assert reads
    assert max(reads) < 3 * len(line)


def test_a_json_lines_line_nested_too_deep_refuses_the_file() -> None:
    line = json.dumps(json.loads(example_files()["Acknowledgement.json"])).encode()
    report = validate_bytes(line + b"\n" + b"[" * 10_000 + b"\n" + line + b"\n")
    assert report.unusable is not None
    assert "levels deep" in report.unusable


def test_a_json_lines_line_that_is_not_strict_json_is_a_finding_for_that_record() -> None:
    line = json.dumps(json.loads(example_files()["Acknowledgement.json"])).encode()
    report = validate_bytes(line + b"\n" + line.replace(b'"accepted"', b"NaN") + b"\n" + line + b"\n")
    assert report.unusable is None
    assert report.records == 3
    (finding,) = report.findings
    assert finding.rule_id == "JSON-syntax"
    assert finding.record == 1
    assert "NaN" in finding.message
