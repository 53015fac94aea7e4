"""Findings: what validation reports about a message, one per failed rule or constraint."""

from __future__ import annotations

import enum
from typing import Any

import attrs

__all__ = ["Finding", "Severity"]


class Severity(str, enum.Enum):
    """How bad a finding is: an error rejects the message, a warning does not."""

    ERROR = "error"
    WARNING = "warning"


@attrs.frozen
class Finding:
    """One failed rule or schema constraint: which, how bad, where, and how to fix it."""

    rule_id: str
    severity: Severity
    message: str
    path: str = ""
    line: int | None = None
    hint: str = ""
    record: int | None = None
    message_id: str | None = None
    source: str = ""
    #: The value found where the finding points, as written, when there is one to show.
    value: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as plain JSON-ready data (the `--format json` output)."""
        data: dict[str, Any] = {
            "ruleId": self.rule_id,
            "severity": self.severity.value,
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "hint": self.hint,
        }
        if self.record is not None:
            data["record"] = self.record
        if self.message_id is not None:
            data["messageId"] = self.message_id
        if self.source:
            data["source"] = self.source
        if self.value is not None:
            data["value"] = self.value
        return data

    def describe(self) -> str:
        """One line for people: severity, ID, where, what, and the fix."""
        where = self.path or "(document)"
        if self.line:
            where += f" (line {self.line})"
        if self.record is not None:
            where = f"record {self.record}: {where}"
        text = f"{self.severity.value.upper()} {self.rule_id} at {where}: {self.message}"
        return text + (f"\n    fix: {self.hint}" if self.hint else "")
