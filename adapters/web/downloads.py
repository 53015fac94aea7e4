"""The findings of a checked file as downloads: a CSV file, an Excel workbook, the command line's JSON.

All three are made while the page is made and handed to the browser inside it (as `data:`
links), so nothing is kept on the server for a later request. The CSV and the workbook have one
line per finding, in the page's order, with the child's LAchildID (or the row, or the message)
first; the workbook adds, for a census return, a sheet counting the findings by rule code.
Cells that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`) are written
with a leading apostrophe, because the values come from the checked file.
"""

from __future__ import annotations

import base64
import csv
import io
from collections.abc import Iterator

import attrs

from .checking import CheckedFile

__all__ = ["Download", "downloads"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@attrs.frozen
class Download:
    """One download: its file name, media type, contents and size for people."""

    label: str
    filename: str
    media_type: str
    data: bytes

    @property
    def href(self) -> str:
        """A `data:` link holding the file (the page keeps it; the server does not)."""
        return f"data:{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    @property
    def size(self) -> str:
        size = len(self.data)
        if size < 1024:
            return f"{size} bytes"
        if size < 1024 * 1024:
            return f"{size / 1024:.0f} KB"
        return f"{size / 1024 / 1024:.1f} MB"


def _safe(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def _columns(checked: CheckedFile) -> list[str]:
    first = {"child": "LAchildID", "row": "Row", "message": "Message"}.get(checked.group_name, "Where")
    place = "Column" if checked.group_name == "row" else "Element"
    return [first, "Rule", "Severity", place, "Value", "Line", "Message", "Fix"]


def _lines(checked: CheckedFile) -> Iterator[list[object]]:
    for group in checked.groups:
        for row in group.rows:
            yield [
                group.ref or group.title,
                row.rule,
                row.severity,
                row.where,
                row.value,
                row.line,
                row.message,
                row.fix,
            ]


def findings_csv(checked: CheckedFile) -> bytes:
    """The findings as CSV (UTF-8 with a byte order mark, so Excel reads accents right)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(_columns(checked))
    for line in _lines(checked):
        writer.writerow(["" if v is None else _safe(v) for v in line])
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def findings_workbook(checked: CheckedFile) -> bytes:
    """The findings as an Excel workbook: a Findings sheet, and for a census return a Summary by rule."""
    from openpyxl import Workbook  # loaded when a workbook is made: the page needs it, the library does not

    book = Workbook(write_only=True)
    sheet = book.create_sheet("Findings")
    sheet.freeze_panes = "A2"
    sheet.append(_columns(checked))
    for line in _lines(checked):
        sheet.append([_safe(v) for v in line])
    summary = book.create_sheet("Summary by rule")
    summary.append(["Rule", "Severity", "Findings", checked.item_name.capitalize(), "Message"])
    for count in checked.summary():
        summary.append([count.rule, count.severity, count.findings, count.groups, _safe(count.message)])
    about = book.create_sheet("About")
    for label, value in (
        ("File", checked.name),
        ("Kind", checked.kind.label if checked.kind else ""),
        ("Checked as", checked.checked_as),
        (checked.item_name.capitalize(), checked.items),
        ("Errors", checked.errors),
        (checked.warning_name.capitalize(), checked.warnings),
        ("The same report from the command line", checked.cli_command),
    ):
        about.append([label, _safe(value)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def downloads(checked: CheckedFile) -> list[Download]:
    """The three downloads of a checked file."""
    stem = checked.name.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "file"
    compact = "findingColumns" in checked.cli_json
    return [
        Download("CSV", f"{stem}-findings.csv", "text/csv", findings_csv(checked)),
        Download(
            "Excel workbook",
            f"{stem}-findings.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            findings_workbook(checked),
        ),
        Download(
            "JSON (compact)" if compact else "JSON",
            f"{stem}-findings.json",
            "application/json",
            checked.json_bytes(),
        ),
    ]
