"""The command line, as a data team or a vendor would use it: validate, convert, schema."""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
from pathlib import Path

import pytest

from ics_interop import MessageType, from_json, from_xml, to_json, to_xml
from ics_interop.cli import main
from ics_interop.codecs import batch_to_json, batch_to_xml
from ics_interop.examples import example_messages
from ics_interop.messages import ChildIdentityUpdate, Message
from test_ecaf_story import FakeClock, World, log_hannah, moment

HOSTILE = b'<?xml version="1.0"?>\n<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n<a>&x;</a>'


def _example(kind: MessageType = MessageType.CHILD_IDENTITY_UPDATE) -> Message:
    return example_messages()[kind]


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _run_json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, object]]:
    status = main(["validate", "--format", "json", *args])
    return status, json.loads(capsys.readouterr().out)


def test_the_shipped_examples_are_valid(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "--examples"]) == 0
    out = capsys.readouterr().out
    assert f"{2 * len(MessageType)} file(s)" in out
    assert "0 error(s)" in out


def test_a_schema_error_names_the_constraint_the_place_the_line_and_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = to_xml(_example()).replace(b"<Gender>2</Gender>", b"<Gender>F</Gender>")
    path = _write(tmp_path, "bad.xml", xml)
    status, report = _run_json(capsys, str(path))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["ruleId"] == "XSD-cvc-enumeration-valid"
    assert finding["path"] == "child.gender"
    expected_line = (
        xml.decode().splitlines().index(next(ln for ln in xml.decode().splitlines() if "<Gender>" in ln)) + 1
    )
    assert finding["line"] == expected_line
    assert finding["hint"]


def test_a_rule_error_in_xml_has_its_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    message = _example()
    assert isinstance(message, ChildIdentityUpdate)
    nhs = message.child.identifiers.nhs_number
    assert nhs is not None
    bad = nhs[:-1] + str((int(nhs[-1]) + 1) % 10)
    xml = to_xml(message).replace(nhs.encode(), bad.encode())
    status, report = _run_json(capsys, str(_write(tmp_path, "bad.xml", xml)))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["ruleId"] == "ID-001"
    lines = xml.decode().splitlines()
    assert "<NhsNumber>" in lines[finding["line"] - 1]


def test_case_information_smuggled_into_a_directory_feed_is_rejected(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    xml = to_xml(_example()).replace(b"</Gender>", b"</Gender><CaseNotes>Disclosed abuse</CaseNotes>")
    status, report = _run_json(capsys, str(_write(tmp_path, "leak.xml", xml)))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["ruleId"].startswith("XSD-")
    assert "CaseNotes" in finding["message"]

    data = json.loads(to_json(_example()))
    data["child"]["caseNotes"] = "Disclosed abuse"
    status, report = _run_json(capsys, str(_write(tmp_path, "leak.json", json.dumps(data).encode())))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["ruleId"] == "JSON-additionalProperties"
    assert finding["path"] == "child"


def test_json_schema_errors_have_paths(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(to_json(_example()))
    del data["child"]["name"]["familyName"]
    status, report = _run_json(capsys, str(_write(tmp_path, "bad.json", json.dumps(data).encode())))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["ruleId"] == "JSON-required"
    assert finding["path"] == "child.name"


@pytest.mark.parametrize(
    ("name", "data"),
    [("hostile.xml", HOSTILE), ("text.txt", b"hello"), ("broken.xml", b"<a><b></a>"), ("broken.json", b'{"a": ')],
)
def test_unusable_input_exits_2_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, data: bytes
) -> None:
    status = main(["validate", str(_write(tmp_path, name, data))])
    out = capsys.readouterr().out
    assert status == 2
    assert "UNUSABLE" in out
    assert "To fix" in out


def test_a_missing_file_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", str(tmp_path / "nope.xml")]) == 2
    assert "cannot read" in capsys.readouterr().out


def _batch(n: int = 6) -> list[Message]:
    examples = list(example_messages().values())
    return [examples[i % len(examples)] for i in range(n)]


def test_an_xml_batch_reports_each_bad_message_by_record(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messages = _batch(24)
    xml = batch_to_xml(messages)
    # break the 3rd ChildIdentityUpdate's gender only
    parts = xml.split(b"<Gender>2</Gender>")
    assert len(parts) > 3
    xml = b"<Gender>2</Gender>".join(parts[:3]) + b"<Gender>X</Gender>" + b"<Gender>2</Gender>".join(parts[3:])
    status, report = _run_json(capsys, str(_write(tmp_path, "batch.xml", xml)))
    assert status == 1
    file_report = report["files"][0]  # type: ignore[index]
    assert file_report["records"] == 24
    records = {f["record"] for f in file_report["findings"]}
    assert len(records) == 1
    (record,) = records
    assert to_xml(messages[record]).count(b"<Gender>") >= 1


def test_a_json_lines_batch_reports_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = batch_to_json(_batch(5)).splitlines()
    data = json.loads(lines[3])
    data["header"]["schemaVersion"] = "2.0"
    lines[3] = json.dumps(data).encode()
    status, report = _run_json(capsys, str(_write(tmp_path, "batch.jsonl", b"\n".join(lines) + b"\n")))
    assert status == 1
    (finding,) = report["files"][0]["findings"]  # type: ignore[index]
    assert finding["record"] == 3
    assert finding["line"] == 4
    assert finding["path"] == "header.schemaVersion"


def test_progress_is_reported_as_a_batch_streams(tmp_path: Path) -> None:
    from ics_interop import validate_path

    path = _write(tmp_path, "batch.xml", batch_to_xml(_batch(30)))
    seen: list[int] = []
    report = validate_path(path, progress=lambda done, total, records: seen.append(records))
    assert report.records == 30
    assert seen == list(range(1, 31))


@pytest.mark.parametrize("kind", list(MessageType))
def test_convert_round_trips_every_example(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: MessageType
) -> None:
    message = example_messages()[kind]
    xml_path = _write(tmp_path, "m.xml", to_xml(message))
    json_path = tmp_path / "m.json"
    assert main(["convert", str(xml_path), "--to", "json", "-o", str(json_path)]) == 0
    assert from_json(json_path.read_bytes()) == message
    assert main(["convert", str(json_path), "--to", "xml"]) == 0
    assert from_xml(capsys.readouterr().out.encode()) == message


def test_convert_turns_an_xml_batch_into_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    messages = _batch(4)
    path = _write(tmp_path, "b.xml", batch_to_xml(messages))
    assert main(["convert", str(path), "--to", "json"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [from_json(line) for line in out] == messages


def test_convert_refuses_an_invalid_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    xml = to_xml(_example()).replace(b"<Gender>2</Gender>", b"<Gender>F</Gender>")
    assert main(["convert", str(_write(tmp_path, "bad.xml", xml)), "--to", "json"]) == 1
    err = capsys.readouterr().err
    assert "XSD-cvc-enumeration-valid" in err
    assert "not converted" in err


def test_schema_check_names_the_file_that_differs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "schemas"
    assert main(["schema", "generate", "--out", str(out)]) == 0
    assert main(["schema", "generate", "--check", "--out", str(out)]) == 0
    xsd = out / "v1" / "ics-interop.xsd"
    xsd.write_bytes(xsd.read_bytes().replace(b"Hannah", b"").replace(b"maxLength", b"maxLength "))
    (out / "v1" / "json" / "Retired.schema.json").write_text("{}")
    capsys.readouterr()
    assert main(["schema", "generate", "--check", "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert "ics-interop.xsd" in err
    assert "Retired.schema.json" in err


def test_the_committed_schemas_are_current(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "generate", "--check"]) == 0


def test_worker_processes_find_exactly_what_one_process_finds(tmp_path: Path) -> None:
    from ics_interop import validate_path

    messages = _batch(60)
    xml = batch_to_xml(messages)
    # one schema error and one rule error, in different records
    xml = xml.replace(b"<Gender>2</Gender>", b"<Gender>Q</Gender>", 1)
    nhs = b"<NhsNumber>"
    cut = xml.rindex(nhs) + len(nhs)
    digit = xml[cut + 9 : cut + 10]
    xml = xml[: cut + 9] + str((int(digit) + 1) % 10).encode() + xml[cut + 10 :]
    path = _write(tmp_path, "batch.xml", xml)
    alone = validate_path(path, workers=1)
    shared = validate_path(path, workers=2)
    assert alone.findings == shared.findings
    assert {f.rule_id for f in alone.findings} >= {"XSD-cvc-enumeration-valid", "ID-001"}
    assert all(f.line for f in alone.findings)


def test_logs_are_lines_of_json_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    import logging

    from ics_interop.logs import configure

    configure(verbose=True, log_format="json")
    try:
        logging.getLogger("ics_interop.adapters.messaging").warning(
            "could not deliver a message", extra={"route": "contactpoint"}
        )
        [line] = capsys.readouterr().err.strip().splitlines()
        record = json.loads(line)
        assert (record["level"], record["logger"], record["route"]) == (
            "warning",
            "ics_interop.adapters.messaging",
            "contactpoint",
        )
    finally:
        configure()


def test_an_outbox_that_cannot_deliver_logs_the_route_and_the_reason(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    with World.opened(f"sqlite:///{tmp_path / 'ecaf.db'}", FakeClock(moment(2010, 2, 10))) as world:
        world.to_contactpoint.down = True
        log_hannah(world)
        with caplog.at_level("WARNING", logger="ics_interop.adapters.messaging"):
            world.ecaf.deliver()
    [record] = [r for r in caplog.records if "could not deliver" in r.getMessage()]
    assert getattr(record, "route", None) == "contactpoint"
    assert "not reachable" in record.getMessage()


def test_output_cut_short_by_its_reader_ends_quietly_not_with_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    # `ics-interop schema diff 1.0 v1 | head -1`, once `head` has gone: a pipe with no reader.
    read_end, write_end = os.pipe()
    os.close(read_end)
    closed = io.TextIOWrapper(io.FileIO(write_end, "w"), encoding="utf-8")
    monkeypatch.setattr(sys, "stdout", closed)
    try:
        assert main(["schema", "diff", "1.0", "v1"]) == 141  # as a program stopped by SIGPIPE, no traceback
    finally:
        monkeypatch.undo()
        with contextlib.suppress(BrokenPipeError):  # only if the handler did not point it elsewhere
            closed.close()
