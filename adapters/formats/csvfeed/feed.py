"""What reading a spreadsheet feed gives: the messages of its valid rows, and every problem, placed.

A problem names the row as a spreadsheet user sees it (the header is row 1), the column's
header as the file writes it, the value, what is wrong (with a rule ID: the project's own for
a business rule, `CSV-...` for the file's form) and how to fix it.
"""

from __future__ import annotations

from typing import Any

import attrs

from ics_interop import Message, Severity, SystemRef
from ics_interop.messages import InvolvementStarted
from ics_interop.model.codes import SystemKind

from .columns import FeedKind

__all__ = ["CONTACTPOINT", "FeedFile", "FeedMessage", "RowProblem", "file_problem"]

#: ContactPoint as the feed addresses it unless told otherwise (the examples' directory).
CONTACTPOINT = SystemRef(
    system=SystemKind.CONTACTPOINT,
    organisation_id="DCSF",
    organisation_name="Department for Children, Schools and Families",
)


@attrs.frozen
class RowProblem:
    """One thing wrong with a row (row 1: the header): where, the value, what is wrong, and the fix."""

    row: int
    #: The column's header as written in the file ('' for the row as a whole).
    column: str
    value: str
    rule_id: str
    severity: Severity
    message: str
    fix: str

    def describe(self) -> str:
        """Two lines for people: where, what, and the fix."""
        where = f"row {self.row}"
        if self.column:
            where += f", column {self.column!r}"
        if self.value:
            where += f" = {self.value!r}"
        return f"{self.severity.value.upper()} {where}: {self.rule_id} {self.message}\n    fix: {self.fix}"

    def to_dict(self) -> dict[str, Any]:
        """The problem as JSON-ready data."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "ruleId": self.rule_id,
            "severity": self.severity.value,
            "message": self.message,
            "fix": self.fix,
        }


@attrs.frozen
class FeedMessage:
    """A valid row and the message it became."""

    row: int
    message: Message
    #: For an ended involvement: the InvolvementStarted, with its end date, to send instead when the
    #: directory never received the start (it answers the InvolvementEnded with CP-INV-UNKNOWN).
    fallback: InvolvementStarted | None = None


@attrs.define
class FeedFile:
    """What reading one file found: the messages of its valid rows, and every problem."""

    source: str
    kind: FeedKind
    #: Data rows read (empty rows are not counted).
    rows: int = 0
    messages: list[FeedMessage] = attrs.Factory(list)
    problems: list[RowProblem] = attrs.Factory(list)
    #: Why no row could be read at all (then `problems` says where), or None.
    unusable: str | None = None

    @property
    def errors(self) -> list[RowProblem]:
        """The problems that keep a row (or the file) from being sent."""
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def rows_left_out(self) -> list[int]:
        """The rows with errors, in order: what `--skip-invalid` leaves out."""
        return sorted({p.row for p in self.errors if p.row > 1})

    @property
    def valid(self) -> bool:
        """Every row can be sent."""
        return self.unusable is None and not self.errors

    def problems_of(self, row: int) -> list[RowProblem]:
        """The problems of one row."""
        return [p for p in self.problems if p.row == row]


def file_problem(rule_id: str, column: str, message: str, fix: str, row: int = 1) -> RowProblem:
    """A problem of the file as a whole (row 1 is the header row)."""
    return RowProblem(row, column.strip(), "", rule_id, Severity.ERROR, message, fix)
