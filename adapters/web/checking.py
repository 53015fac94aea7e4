"""Checking a chosen file with the library's own checks, and the findings as a data officer fixes them.

The file goes to the check its kind has (`kinds`): a census return to `cin validate`'s
(`validate_return`, for the year its header names), a spreadsheet feed to `csv import`'s
(`read_feed`, checking only), messages to `validate`'s (`validate_bytes`). Whatever the kind,
the result is one `CheckedFile`: findings grouped by where they are fixed (a child, a row, a
message; the header or the whole file first or last), each with its rule, severity, element or
column, value, message and fix; the counts; a summary by rule; and the report the command
line would print as JSON. Nothing is kept: the caller renders it and drops it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

import attrs

from ics_interop.errors import IcsInteropError
from ics_interop.findings import Finding, Severity
from ics_interop.messages import SystemRef
from ics_interop.model.codes import SystemKind
from ics_interop.validate import validate_bytes

from ..formats.cin import CinReport, collection_year, rules_for, validate_return
from ..formats.csvfeed import FeedFile, read_feed
from ..formats.csvfeed.cli import feed_report
from .kinds import FileKind, Recognised, recognise

__all__ = ["FULL_JSON_UP_TO", "CheckedFile", "FindingRow", "Group", "RuleCount", "check_file"]

#: Above this many findings, a census return's JSON download is the compact form (`--format compact`).
FULL_JSON_UP_TO = 20_000

#: The sender a feed is checked as coming from, when the page is not told (it is only checked, never sent).
DEFAULT_ORGANISATION = "CHECK-ONLY"

Progress = Callable[[int, int], None]


@attrs.frozen
class FindingRow:
    """One finding, as the page, the CSV and the workbook show it."""

    rule: str
    #: "error", or "query" (a census query) or "warning".
    severity: str
    #: The element (census, messages) or column (feed) it is about; "" for the whole of its group.
    where: str
    value: str
    line: int | None
    message: str
    fix: str


@attrs.frozen
class Group:
    """The findings about one child, row or message (or the header, or the whole file)."""

    key: str
    #: What it is, for people: "Child DfEX0000001", "Row 3", "Message 2", "The header".
    title: str
    #: The child's LAchildID, the row's number or the message's position, for the downloads' first column.
    ref: str
    rows: list[FindingRow]
    #: About one child, row or message (not the header or the whole file).
    item: bool = True

    def by_rule(self) -> list[tuple[str, list[FindingRow]]]:
        """The group's findings by rule, in the order the rules first appear."""
        rules: dict[str, list[FindingRow]] = {}
        for row in self.rows:
            rules.setdefault(row.rule, []).append(row)
        return list(rules.items())


@attrs.frozen
class RuleCount:
    """A line of the summary by rule code."""

    rule: str
    severity: str
    findings: int
    #: Children, rows or messages with the finding.
    groups: int
    message: str


@attrs.define
class CheckedFile:
    """What checking one chosen file found, ready to show and to download."""

    name: str
    kind: Recognised | None = None
    #: Why the file could not be checked at all (then there are no groups).
    unusable: str | None = None
    #: What the file was checked as, for people ("the 2025 collection (from the header's ReferenceDate ...)").
    checked_as: str = ""
    #: Children, rows or messages in the file, and what they are called.
    items: int = 0
    item_name: str = "items"
    group_name: str = "group"
    groups: list[Group] = attrs.Factory(list)
    #: The report the command line prints as JSON, and how it was made.
    cli_json: dict[str, Any] = attrs.Factory(dict)
    cli_command: str = ""
    #: Each rule's own message, where the rules have one apart from their findings' (the census's).
    rule_messages: dict[str, str] = attrs.Factory(dict)

    @property
    def rows(self) -> Iterable[FindingRow]:
        """Every finding, group after group."""
        for group in self.groups:
            yield from group.rows

    @property
    def errors(self) -> int:
        return sum(1 for row in self.rows if row.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for row in self.rows if row.severity != "error")

    @property
    def items_with_findings(self) -> int:
        """The children, rows or messages with at least one finding."""
        return sum(1 for group in self.groups if group.item)

    @property
    def findings(self) -> int:
        return sum(len(group.rows) for group in self.groups)

    @property
    def warning_name(self) -> str:
        return "queries" if self.kind is not None and self.kind.kind is FileKind.CENSUS else "warnings"

    def summary(self) -> list[RuleCount]:
        """The findings counted by rule code, most frequent first (the peers' summary table)."""
        counts: dict[str, tuple[int, set[str], FindingRow]] = {}
        for group in self.groups:
            for row in group.rows:
                count, keys, first = counts.get(row.rule, (0, set(), row))
                keys.add(group.key)
                counts[row.rule] = (count + 1, keys, first)
        lines = [
            RuleCount(rule, first.severity, count, len(keys), self.rule_messages.get(rule, first.message))
            for rule, (count, keys, first) in counts.items()
        ]
        return sorted(lines, key=lambda line: (-line.findings, line.rule))

    def json_bytes(self) -> bytes:
        """The command line's JSON report of the file."""
        return json.dumps(self.cli_json, indent=2).encode("utf-8") + b"\n"


def _severity(finding: Finding, query: str) -> str:
    return "error" if finding.severity is Severity.ERROR else query


# --- census returns -------------------------------------------------------------------------------------


def _census(checked: CheckedFile, data: bytes, progress: Progress | None) -> None:
    report: CinReport = validate_return(data, progress=progress)
    report.source = checked.name
    if report.unusable:
        checked.unusable = report.unusable
        checked.cli_json = report.to_dict()
        return
    checked.items, checked.item_name, checked.group_name = len(report.children), "children", "child"
    said = "" if report.year_source == "given" else f" (from {report.year_source})"
    checked.checked_as = f"the {report.year} collection{said}"
    groups: dict[str, Group] = {}
    for finding in report.findings:
        child_id = report.la_child_id(finding)
        where = report.element(finding)
        if finding.record is None and finding.path.startswith("Header"):
            key, title, ref = "header", "The header", "header"
        elif finding.record is None:
            key, title, ref, where = "return", "The whole return", "", ""
        else:
            key = f"child-{finding.record}"
            title = f"Child {child_id}" if child_id else f"Child {finding.record + 1} (no LAchildID)"
            ref = child_id or f"#{finding.record + 1}"
        group = groups.setdefault(key, Group(key, title, ref, [], item=finding.record is not None))
        group.rows.append(
            FindingRow(
                rule=finding.rule_id,
                severity=_severity(finding, "query"),
                where=where,
                value=finding.value or "",
                line=finding.line,
                message=finding.message,
                fix=finding.hint,
            )
        )
    checked.groups = list(groups.values())
    checked.rule_messages = {code: rule.message for code, rule in rules_for(collection_year(report.year)).items()}
    if report.errors + report.queries > FULL_JSON_UP_TO:
        checked.cli_json = report.to_compact_dict()
        checked.cli_command = f"ics-interop cin validate {checked.name} --format compact"
    else:
        checked.cli_json = report.to_dict()
        checked.cli_command = f"ics-interop cin validate {checked.name} --format json"


# --- spreadsheet feeds ----------------------------------------------------------------------------------


def _feed(checked: CheckedFile, data: bytes, recognised: Recognised, organisation: str) -> None:
    assert recognised.feed is not None
    sender = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id=organisation)
    feed: FeedFile = read_feed(data, recognised.feed, sender=sender, name=checked.name)
    checked.cli_json = feed_report(feed)
    layout = recognised.feed.value
    checked.cli_command = (
        f"ics-interop csv import {checked.name} --kind {layout} --organisation {organisation} --report json"
    )
    checked.checked_as = f"the {layout} layout, as sent by {organisation} (checked only: nothing is sent)"
    checked.items, checked.item_name, checked.group_name = feed.rows, "rows", "row"
    groups: dict[int, Group] = {}
    for problem in feed.problems:
        title = "The header row (row 1)" if problem.row == 1 else f"Row {problem.row}"
        group = groups.setdefault(
            problem.row, Group(f"row-{problem.row}", title, str(problem.row), [], item=problem.row > 1)
        )
        group.rows.append(
            FindingRow(
                rule=problem.rule_id,
                severity="error" if problem.severity is Severity.ERROR else "warning",
                where=problem.column,
                value=problem.value,
                line=problem.row,
                message=problem.message,
                fix=problem.fix,
            )
        )
    checked.groups = [groups[row] for row in sorted(groups)]
    if feed.unusable and not checked.groups:
        checked.unusable = feed.unusable


# --- messages of the standard ---------------------------------------------------------------------------


def _messages(checked: CheckedFile, data: bytes) -> None:
    report = validate_bytes(data, source=checked.name)
    checked.cli_json = {"files": [report.to_dict()]}
    checked.cli_command = f"ics-interop validate {checked.name} --format json"
    if report.unusable:
        checked.unusable = report.unusable
        return
    checked.checked_as = f"{report.format.upper()}, against the standard's schemas and business rules"
    checked.items, checked.item_name, checked.group_name = report.records, "messages", "message"
    groups: dict[int | None, Group] = {}
    for finding in report.findings:
        record = finding.record
        if record is None:
            key, title, ref = "file", "The file", ""
        else:
            key, title, ref = f"message-{record}", f"Message {record + 1}", str(record + 1)
            if finding.message_id:
                title += f" ({finding.message_id})"
        group = groups.setdefault(record, Group(key, title, ref, [], item=record is not None))
        group.rows.append(
            FindingRow(
                rule=finding.rule_id,
                severity=_severity(finding, "warning"),
                where=finding.path,
                value=finding.value or "",
                line=finding.line,
                message=finding.message,
                fix=finding.hint,
            )
        )
    checked.groups = [groups[k] for k in sorted(groups, key=lambda k: -1 if k is None else k)]


def check_file(
    name: str, data: bytes, *, organisation: str = DEFAULT_ORGANISATION, progress: Progress | None = None
) -> CheckedFile:
    """Recognise the file and check it; bad or hostile input comes back as `unusable`, never raised."""
    checked = CheckedFile(name=name)
    try:
        recognised = recognise(data)
    except IcsInteropError as exc:
        checked.unusable = str(exc)
        return checked
    checked.kind = recognised
    if recognised.kind is FileKind.CENSUS:
        _census(checked, data, progress)
    elif recognised.kind is FileKind.FEED:
        _feed(checked, data, recognised, organisation or DEFAULT_ORGANISATION)
    else:
        _messages(checked, data)
    return checked
