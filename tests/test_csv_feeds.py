"""Spreadsheet feeds (seed §5.1): CSV files of children and involvements, checked row by row, sent to ContactPoint.

The files are written as a spreadsheet user's would be (a byte order mark, friendly headers,
UK dates, NHS numbers with spaces); every message they become must pass the project's own
validator; a file with errors must send nothing, and name each bad row and column with its
fix; and over real HTTP, to a ContactPoint directory on SQLite and PostgreSQL, the children and
involvements must arrive, once, however often the file is imported.

Dates are set relative to today, so the children stay under 18 and the ended involvement stays
visible (a year after its end) whenever the tests run.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import socket
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import pytest
from fastapi import FastAPI
from ics_interop.adapters.auth import TokenService, TokenVerifier
from ics_interop.adapters.contactpoint import (
    CONTACTPOINT_IDENTITY,
    ContactPointDirectory,
    DirectoryRole,
    PractitionerRegistration,
)
from ics_interop.adapters.formats.csvfeed import (
    CHILDREN_COLUMNS,
    INVOLVEMENT_COLUMNS,
    FeedKind,
    add_csv_commands,
    columns_table,
    read_feed,
)
from ics_interop.adapters.http import running_server
from ics_interop.adapters.ics import IcsSystem
from ics_interop.adapters.services import service_app

from callers import registered_client, token_service, trusting
from ics_interop import Message, SystemRef, to_json, to_xml, validate_bytes
from ics_interop.messages import ChildIdentityUpdate, InvolvementEnded, InvolvementStarted
from ics_interop.model import PersonName
from ics_interop.model.codes import Gender, SystemKind

ROOT = Path(__file__).resolve().parents[1]
TODAY = dt.date.today()
BORN = TODAY.replace(year=TODAY.year - 10, day=1)  # ten years old, whenever the tests run
ADULT = TODAY.replace(year=TODAY.year - 20, day=1)
DUE = TODAY + dt.timedelta(days=90)
START = TODAY - dt.timedelta(days=200)
END = TODAY - dt.timedelta(days=30)
YOUTH_SERVICE = SystemRef(
    system=SystemKind.FEED_SOURCE, organisation_id="LA206-YS", organisation_name="Islington Youth Service"
)
SENDER = ["--organisation", "LA206-YS", "--organisation-name", "Islington Youth Service"]
MELANIE = "CPS-MHUGHES"


def uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def csv_command(*args: str) -> int:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_csv_commands(parser.add_subparsers(dest="command", required=True))
    parsed = parser.parse_args(["csv", *args])
    run: Callable[[argparse.Namespace], int] = parsed.run
    return run(parsed)


def write_csv(path: Path, rows: list[list[str]], *, bom: bool = True, delimiter: str = ",") -> Path:
    out = io.StringIO()
    csv.writer(out, dialect="excel", delimiter=delimiter).writerows(rows)
    path.write_text(out.getvalue(), encoding="utf-8-sig" if bom else "utf-8", newline="")
    return path


# --- the files -------------------------------------------------------------------------------------

# Headers as people type them: any case, spaces for underscores.
CHILD_HEADER = [
    "Local ID",
    "NHS number",
    "UPN",
    "Given names",
    "Family name",
    "Date of birth",
    "Expected date of birth",
    "Gender",
    "Address status",
    "Address line 1",
    "Address line 2",
    "Postcode",
    "Parent1 given names",
    "Parent1 family name",
    "Parent1 relationship",
    "Parent1 parental responsibility",
    "Parent1 telephone",
]
AMIRA = [
    "YS-1",
    "999 100 0127",
    "q206205119014",
    "Amira",
    "Khan",
    uk(BORN),
    "",
    "F",
    "",
    "Flat 4, Wren House",
    "London",
    "n7 6xp",
    "Julie",
    "Khan",
    "Mother",
    "yes",
    "07700 900461",
]
ZOE = ["YS-2", "9991000135", "", "Zoë", "Okafor", BORN.isoformat(), "", "2", "no-known-address", *[""] * 8]
UNBORN = ["YS-3", "", "", "Baby", "Adeyemi", "", DUE.isoformat(), "0", "last-known", "3 Park Road", "London", "N1 1AA"]
UNBORN += [""] * 5

INVOLVEMENT_HEADER = [
    "local_id",
    "nhs_number",
    "given_names",
    "family_name",
    "date_of_birth",
    "gender",
    "address_status",
    "address_line_1",
    "address_line_2",
    "postcode",
    "involvement_id",
    "start_date",
    "end_date",
    "service_id",
    "service_name",
    "agency_type",
    "practitioner_id",
    "practitioner_given_names",
    "practitioner_family_name",
    "practitioner_role",
    "team_id",
    "team_name",
    "contact_telephone",
    "contact_email",
    "la_code",
]
_AMIRA_AT_YS = ["YS-1", "9991000127", "Amira", "Khan", uk(BORN), "2", "", "Flat 4, Wren House", "London", "N7 6XP"]
_ZOE_AT_YS = ["YS-2", "9991000135", "Zoë", "Okafor", BORN.isoformat(), "2", "no-known-address", "", "", ""]
AMIRA_STARTED = [
    *_AMIRA_AT_YS,
    "YS-INV-1",
    START.isoformat(),
    "",
    "YS-YW",
    "Youth service",
    "youth-service",
    "LA206-LROBINSON",
    "Lee",
    "Robinson",
    "Youth worker",
    "",
    "",
    "020 7946 0528",
    "",
    "206",
]
# Begun and ended before the feed began: the directory never had the start.
ZOE_ENDED = [
    *_ZOE_AT_YS,
    "YS-INV-2",
    uk(START),
    uk(END),
    "YS-YW",
    "Youth service",
    "Youth service",
    "",
    "",
    "",
    "",
    "YS-DUTY",
    "Youth service duty team",
    "",
    "youth.duty@islington.gov.example",
    "206",
]


def children_file(folder: Path) -> Path:
    return write_csv(folder / "children.csv", [CHILD_HEADER, AMIRA, ZOE, UNBORN])


def involvements_file(folder: Path) -> Path:
    return write_csv(folder / "involvements.csv", [INVOLVEMENT_HEADER, AMIRA_STARTED, ZOE_ENDED])


def errors_file(folder: Path) -> Path:
    """Rows 3, 4, 7, 8 and 9 are wrong; row 5 is empty (spreadsheets leave those); rows 2 and 6 are good."""
    rows = [
        CHILD_HEADER,
        AMIRA,  # 2
        ["YS-4", "9991000128", *ZOE[2:4], "Nwosu", *ZOE[5:]],  # 3: the last digit mistyped (ID-001)
        ["YS-5", "", "", "Sam", "Lee", "31/02/2016", "", "X", "", "1 Road", "", "", *[""] * 5],  # 4: no such day; X
        [""] * len(CHILD_HEADER),  # 5: empty
        ["YS-6", "", "", "Kai", "Moss", BORN.isoformat(), "", "1", "", "2 Road", "", "E8 3XQ", *[""] * 5],  # 6
        [
            "YS-7",
            "",
            "",
            "Ola",
            "Bello",
            ADULT.isoformat(),
            "",
            "2",
            "",
            "3 Road",
            "",
            "",
            *[""] * 5,
        ],  # 7: 20 (CHILD-001)
        ["YS-8", "", "", "Ali", "", BORN.isoformat(), "", "1", "", "4 Road", "", "", *[""] * 5],  # 8: no family name
        ["YS-1", *AMIRA[1:]],  # 9: Amira again
    ]
    return write_csv(folder / "errors.csv", rows)


EXPECTED_PROBLEMS = {
    (3, "NHS number", "9991000128", "ID-001"),
    (4, "Date of birth", "31/02/2016", "CSV-VALUE"),
    (4, "Gender", "X", "CSV-VALUE"),
    (7, "Date of birth", ADULT.isoformat(), "CHILD-001"),
    (8, "Family name", "", "CSV-REQUIRED"),
    (9, "Local ID", "YS-1", "CSV-DUPLICATE"),
}


def errors_of(messages: list[Message]) -> list[str]:
    """The project's validator on each message, as XML and as JSON: every finding."""
    found = []
    for message in messages:
        for data in (to_xml(message), to_json(message)):
            report = validate_bytes(data)
            found += [f.describe() for f in report.findings] + ([report.unusable] if report.unusable else [])
    return found


# --- templates -------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(FeedKind))
def test_the_template_is_the_header_row_of_the_layout(
    kind: FeedKind, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    layout = CHILDREN_COLUMNS if kind is FeedKind.CHILDREN else INVOLVEMENT_COLUMNS
    path = tmp_path / "template.csv"
    assert csv_command("template", "--kind", kind.value, "-o", str(path)) == 0
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # Excel reads it as UTF-8
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig")))) == [[c.name for c in layout]]

    assert csv_command("template", "--kind", kind.value) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines() == [",".join(c.name for c in layout)]

    # The example row is a valid row: it imports cleanly.
    assert csv_command("template", "--kind", kind.value, "--example", "-o", str(path)) == 0
    feed = read_feed(path, kind, sender=YOUTH_SERVICE)
    assert feed.valid, [p.describe() for p in feed.problems]
    assert feed.rows == 1
    assert errors_of([m.message for m in feed.messages]) == []


# --- good files ------------------------------------------------------------------------------------


def test_a_good_children_file_becomes_valid_identity_updates(tmp_path: Path) -> None:
    feed = read_feed(children_file(tmp_path), FeedKind.CHILDREN, sender=YOUTH_SERVICE)
    assert feed.valid, [p.describe() for p in feed.problems]
    assert [m.row for m in feed.messages] == [2, 3, 4]
    messages = [m.message for m in feed.messages]
    assert all(isinstance(m, ChildIdentityUpdate) for m in messages)
    assert errors_of(messages) == []

    amira, zoe, unborn = (m.child for m in messages if isinstance(m, ChildIdentityUpdate))
    # What spreadsheets do to values, undone: spaces in the NHS number, case, UK dates, words for codes.
    assert amira.identifiers.nhs_number == "9991000127"
    assert amira.identifiers.upn == "Q206205119014"
    assert amira.identifiers.local_id == "YS-1"
    assert amira.date_of_birth == BORN
    assert amira.gender is Gender.FEMALE
    assert amira.address is not None
    assert amira.address.postcode == "N7 6XP"
    assert amira.address.lines == ["Flat 4, Wren House", "London"]
    (mother,) = amira.parents_carers
    assert mother.name == PersonName(given_names="Julie", family_name="Khan")
    assert mother.has_parental_responsibility
    assert mother.contact is not None
    assert mother.contact.telephone == "07700 900461"
    assert zoe.name.given_names == "Zoë"
    assert zoe.no_known_address is not None
    assert zoe.no_known_address.recorded_on == TODAY
    assert unborn.expected_date_of_birth == DUE
    assert unborn.last_known_address is not None
    assert all(m.header.sender == YOUTH_SERVICE for m in messages)
    assert {m.header.recipient.system for m in messages} == {SystemKind.CONTACTPOINT}


def test_a_good_involvements_file_becomes_started_and_ended_involvements(tmp_path: Path) -> None:
    feed = read_feed(involvements_file(tmp_path), FeedKind.INVOLVEMENTS, sender=YOUTH_SERVICE)
    assert feed.valid, [p.describe() for p in feed.problems]
    started, ended = feed.messages
    assert isinstance(started.message, InvolvementStarted)
    assert started.fallback is None
    involvement = started.message.involvement
    assert involvement.involvement_id == "YS-INV-1"
    assert involvement.start_date == START
    assert involvement.practitioner is not None
    assert involvement.practitioner.role == "Youth worker"
    assert involvement.service.organisation.organisation_id == "LA206-YS"  # the sender's, by default
    assert involvement.service.organisation.name == "Islington Youth Service"
    assert isinstance(ended.message, InvolvementEnded)
    assert (ended.message.involvement_id, ended.message.start_date, ended.message.end_date) == ("YS-INV-2", START, END)
    # The start, with its end date, in case the directory never had it.
    assert isinstance(ended.fallback, InvolvementStarted)
    assert ended.fallback.involvement.end_date == END
    assert ended.fallback.involvement.team is not None
    assert errors_of([started.message, ended.message, ended.fallback]) == []


@pytest.mark.parametrize("wire", ["xml", "json"])
def test_out_writes_each_message_as_a_file(wire: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    source = involvements_file(tmp_path)
    assert (
        csv_command("import", str(source), "--kind", "involvements", *SENDER, "--out", str(out), "--format", wire) == 0
    )
    names = sorted(p.name for p in out.iterdir())
    assert names == [f"row-00002-InvolvementStarted.{wire}", f"row-00003-InvolvementEnded.{wire}"]
    for path in out.iterdir():
        report = validate_bytes(path.read_bytes())
        assert (report.format, report.records, report.errors, report.warnings) == (wire, 1, 0, 0)
    assert "wrote 2 message(s)" in capsys.readouterr().out


def test_excel_quoting_semicolons_and_a_plain_utf8_file_are_read(tmp_path: Path) -> None:
    # A European-locale spreadsheet: ';' between cells, a cell with ';', "" and a line break inside quotes.
    row = [*AMIRA]
    row[9] = 'Flat 4; "Wren"\nHouse'
    path = write_csv(tmp_path / "semicolons.csv", [CHILD_HEADER, row], bom=False, delimiter=";")
    assert path.read_bytes().startswith(b"Local ID;NHS number;")
    feed = read_feed(path, "children", sender=YOUTH_SERVICE)
    assert feed.valid, [p.describe() for p in feed.problems]
    (item,) = feed.messages
    assert isinstance(item.message, ChildIdentityUpdate)
    assert item.message.child.address is not None
    assert item.message.child.address.lines[0] == 'Flat 4; "Wren" House'


# --- files with errors --------------------------------------------------------------------------------


def test_errors_name_the_row_the_column_the_value_and_the_fix(tmp_path: Path) -> None:
    feed = read_feed(errors_file(tmp_path), FeedKind.CHILDREN, sender=YOUTH_SERVICE)
    assert not feed.valid
    assert feed.rows == 7  # the empty row is not a row of data
    assert {(p.row, p.column, p.value, p.rule_id) for p in feed.problems} == EXPECTED_PROBLEMS
    assert feed.rows_left_out == [3, 4, 7, 8, 9]
    assert [m.row for m in feed.messages] == [2, 6]
    for problem in feed.problems:
        assert problem.fix
        assert problem.message
    by_rule = {p.rule_id: p for p in feed.problems}
    assert "modulus-11" in by_rule["ID-001"].message
    assert "Re-key" in by_rule["ID-001"].fix
    assert "18 or over" in by_rule["CHILD-001"].message
    assert "row 2" in by_rule["CSV-DUPLICATE"].message


def test_a_file_with_errors_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    source = errors_file(tmp_path)
    assert csv_command("import", str(source), "--kind", "children", *SENDER, "--out", str(out)) == 1
    assert not out.exists()
    printed = capsys.readouterr().out
    assert "nothing sent or written" in printed
    assert "ERROR row 3, column 'NHS number' = '9991000128': ID-001" in printed
    assert "--skip-invalid" in printed

    assert csv_command("import", str(source), "--kind", "children", *SENDER, "--report", "json") == 1
    report = json.loads(capsys.readouterr().out)
    assert {(p["row"], p["column"], p["value"], p["ruleId"]) for p in report["problems"]} == EXPECTED_PROBLEMS
    assert report["leftOut"] == [3, 4, 7, 8, 9]
    assert report["deliveries"] == []
    assert report["written"] == []


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("local_id,given_names,family_name,date_of_birth,gender,postcod\n", "did you mean 'postcode'?"),
        ("local_id,given_names,date_of_birth,gender\n", "the required column 'family_name' is missing"),
        ("local_id,Local ID,given_names,family_name,gender\n", "appears twice"),
    ],
)
def test_a_header_that_does_not_match_the_layout_makes_the_file_unusable(
    content: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "bad-header.csv"
    path.write_text(content + "YS-1,Amira,Khan,2016-01-01,2,x\n", encoding="utf-8")
    assert csv_command("import", str(path), "--kind", "children", *SENDER) == 2
    printed = capsys.readouterr().out
    assert "UNUSABLE" in printed
    assert expected in printed
    assert "row 1" in printed


def test_a_file_that_is_not_utf8_is_unusable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(",".join(CHILD_HEADER).encode() + b"\r\nYS-2,,,Zo\xeb,Okafor\r\n")
    assert csv_command("import", str(path), "--kind", "children", *SENDER) == 2
    assert "CSV UTF-8" in capsys.readouterr().out


# --- over real HTTP, to a ContactPoint directory ------------------------------------------------------


@pytest.fixture
def directory_url(store_url: str, tmp_path: Path) -> Iterator[tuple[ContactPointDirectory, list[str]]]:
    """A directory served over HTTP, trusting a running token service; the options that send to it as the feed."""
    directory = ContactPointDirectory(store_url, identity=CONTACTPOINT_IDENTITY)
    directory.register_practitioner(
        PractitionerRegistration(
            practitioner_id=MELANIE,
            name=PersonName(given_names="Melanie", family_name="Hughes"),
            role=DirectoryRole.PRACTITIONER,
            organisation_id="DFE-2024105",
        )
    )
    with token_service(tmp_path) as tokens:
        client = registered_client(tokens, YOUTH_SERVICE, tmp_path)
        app = partial(_trusting_app, "contactpoint", directory, tokens)
        with running_server(app) as url:
            yield directory, ["--send", url, *client]
    directory.dispose()


def _trusting_app(kind: str, system: object, tokens: TokenService, url: str) -> FastAPI:
    return service_app(kind, system, TokenVerifier(url, [trusting(tokens)]))


def found(directory: ContactPointDirectory, name: str) -> list[tuple[str, list[tuple[str, object]]]]:
    """What a practitioner finds by name ('Given Family'): each record, with its involvements (ID, end date)."""
    given, family = name.split(" ")
    result = directory.search(practitioner_id=MELANIE, reason="CAF follow-up", family_name=family, given_names=given)
    return [
        (record.contactpoint_id, sorted((i.involvement_id, i.end_date) for i in record.involvements))
        for record in result.records
    ]


def test_feeds_sent_over_http_arrive_once_however_often_they_are_imported(
    directory_url: tuple[ContactPointDirectory, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory, send = directory_url
    children, involvements = children_file(tmp_path), involvements_file(tmp_path)
    seen, reports = [], []
    for _run in range(2):
        assert csv_command("import", str(children), "--kind", "children", *SENDER, *send) == 0
        assert "3 accepted" in capsys.readouterr().out
        assert csv_command("import", str(involvements), "--kind", "involvements", *SENDER, *send) == 0
        reports.append(capsys.readouterr().out)
        assert "2 accepted" in reports[-1]
        seen.append({name: found(directory, name) for name in ("Amira Khan", "Zoë Okafor", "Baby Adeyemi")})
    first, second = seen
    assert first == second  # nothing duplicated: the same records, the same involvements
    ((_, amira),) = first["Amira Khan"]
    assert amira == [("YS-INV-1", None)]
    ((_, zoe),) = first["Zoë Okafor"]
    assert zoe == [("YS-INV-2", END)]
    ((_, unborn),) = first["Baby Adeyemi"]
    assert unborn == []
    # The first run had to send Zoë's ended involvement as a start with its end; the second run ended it.
    assert "did not hold the start" in reports[0]
    assert "row 3: InvolvementEnded" in reports[1]
    assert "did not hold the start" not in reports[1]


def test_the_ended_involvement_falls_back_to_a_start_with_its_end(
    directory_url: tuple[ContactPointDirectory, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory, send = directory_url
    source = involvements_file(tmp_path)
    assert csv_command("import", str(source), "--kind", "involvements", *SENDER, *send, "--format", "json") == 0
    printed = capsys.readouterr().out
    assert "row 3: InvolvementStarted" in printed
    assert "did not hold the start" in printed
    ((_, zoe),) = found(directory, "Zoë Okafor")
    assert zoe == [("YS-INV-2", END)]


def test_skip_invalid_sends_the_good_rows_only_and_lists_the_others(
    directory_url: tuple[ContactPointDirectory, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory, send = directory_url
    source = errors_file(tmp_path)

    assert csv_command("import", str(source), "--kind", "children", *SENDER, *send) == 1
    assert "nothing sent or written" in capsys.readouterr().out
    assert found(directory, "Amira Khan") == []
    assert found(directory, "Kai Moss") == []

    command = ["import", str(source), "--kind", "children", *SENDER, *send, "--skip-invalid"]
    assert csv_command(*command, "--report", "json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["leftOut"] == [3, 4, 7, 8, 9]
    assert {(p["row"], p["column"], p["value"], p["ruleId"]) for p in report["problems"]} == EXPECTED_PROBLEMS
    assert [(d["row"], d["status"]) for d in report["deliveries"]] == [(2, "accepted"), (6, "accepted")]
    assert len(found(directory, "Amira Khan")) == 1
    assert len(found(directory, "Kai Moss")) == 1
    for name in ("Zoë Nwosu", "Sam Lee", "Ola Bello"):
        assert found(directory, name) == []

    assert csv_command(*command) == 0
    printed = capsys.readouterr().out
    assert "left out (not sent or written), with the errors above: row(s) 3, 4, 7, 8, 9" in printed
    assert "sent to" in printed
    assert "2 accepted" in printed


def test_nothing_valid_at_all_is_an_error_even_with_skip_invalid(tmp_path: Path) -> None:
    rows = [CHILD_HEADER, ["YS-7", "", "", "Ola", "Bello", ADULT.isoformat(), "", "2", "", "3 Road", *[""] * 7]]
    path = write_csv(tmp_path / "adult.csv", rows)
    assert csv_command("import", str(path), "--kind", "children", *SENDER, "--skip-invalid") == 1


def test_an_unreachable_directory_is_reported_row_by_row(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    source = children_file(tmp_path)
    assert csv_command("import", str(source), "--kind", "children", *SENDER, "--send", f"http://127.0.0.1:{port}") == 1
    printed = capsys.readouterr().out
    assert "row 2: ChildIdentityUpdate" in printed
    assert "not-delivered" in printed
    assert "row 3: ChildIdentityUpdate" in printed
    assert "not-sent" in printed
    assert "import the file again later" in printed


# --- the documentation --------------------------------------------------------------------------------


def test_the_documentation_shows_each_layout_as_the_code_defines_it() -> None:
    docs = (ROOT / "docs" / "csv-feeds.md").read_text("utf-8")
    for kind in FeedKind:
        assert columns_table(kind) in docs, f"regenerate the {kind.value} table: columns_table(FeedKind.{kind.name})"


def test_a_value_under_no_header_is_placed_by_its_column_letter(tmp_path: Path) -> None:
    header = ["local_id", "given_names", "family_name", "date_of_birth", "gender", "address_line_1", ""]
    rows = [header, ["YS-1", "Amira", "Khan", BORN.isoformat(), "2", "1 Road", ""], ["YS-2", "Kai", "Moss"]]
    rows[2] += [BORN.isoformat(), "1", "2 Road", "", "stray"]
    feed = read_feed(write_csv(tmp_path / "stray.csv", rows), FeedKind.CHILDREN, sender=YOUTH_SERVICE)
    assert [m.row for m in feed.messages] == [2]  # an empty header cell with nothing under it is harmless
    assert [(p.row, p.rule_id) for p in feed.problems] == [(3, "CSV-ROW")]
    assert "column H" in feed.problems[0].message


def test_a_rejection_is_reported_with_the_rule_that_failed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # The wrong URL: an ICS system, which takes no directory feed, answers each message with a rejection.
    ics = IcsSystem(
        f"sqlite:///{tmp_path / 'ics.db'}", identity=SystemRef(system=SystemKind.ICS, organisation_id="LA206")
    )
    source = children_file(tmp_path)
    with token_service(tmp_path) as tokens:
        client = registered_client(tokens, YOUTH_SERVICE, tmp_path)
        with running_server(partial(_trusting_app, "ics", ics, tokens)) as url:
            assert csv_command("import", str(source), "--kind", "children", *SENDER, "--send", url, *client) == 1
    ics.store.dispose()
    printed = capsys.readouterr().out
    assert "3 rejected" in printed
    assert "row 2: ChildIdentityUpdate" in printed
    assert "ERROR ENV-001" in printed


def test_the_package_exports_what_it_lists() -> None:
    import ics_interop.adapters.formats.csvfeed as package

    for name in package.__all__:
        assert hasattr(package, name), name
