"""Validating a census return for a collection year: the year's schema first, then the census rules.

Schema errors come with their line numbers. The rules are then checked on whatever the file
holds, even when the schema rejects it, so a file with stray text between elements still gets
every finding its content implies. Each finding names the child (by LAchildID) and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs

from ics_interop.errors import IcsInteropError
from ics_interop.findings import Finding, Severity

from .reader import parse_return, read_census, schema_findings
from .rules import rules_for, run_census_rules
from .years import CollectionYear, collection_year

__all__ = ["CinReport", "validate_return"]


@attrs.define
class CinReport:
    """What validating one return found."""

    source: str
    year: int
    #: Each child's LAchildID (None where it has none), by position: a finding's `record`.
    children: list[str | None] = attrs.Factory(list)
    findings: list[Finding] = attrs.Factory(list)
    unusable: str | None = None

    @property
    def errors(self) -> int:
        """Schema errors and census rule errors."""
        return sum(1 for f in self.findings if f.severity is Severity.ERROR)

    @property
    def queries(self) -> int:
        """Census queries (codes ending in Q): reported as warnings."""
        return sum(1 for f in self.findings if f.severity is Severity.WARNING)

    def la_child_id(self, finding: Finding) -> str | None:
        """The LAchildID of the child a finding is about (None for the header or the whole return)."""
        return self.children[finding.record] if finding.record is not None else None

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the `--format json` output)."""
        rules = rules_for(collection_year(self.year))
        findings = []
        for finding in self.findings:
            data = finding.to_dict()
            rule = rules.get(finding.rule_id)
            data["kind"] = "rule" if rule is not None else "schema"
            data["laChildId"] = self.la_child_id(finding)
            data["fields"] = list(rule.fields) if rule is not None else []
            if rule is not None:
                data["type"] = "query" if rule.query else "error"
            findings.append(data)
        return {
            "source": self.source,
            "year": self.year,
            "children": len(self.children),
            "errors": self.errors,
            "queries": self.queries,
            "unusable": self.unusable,
            "findings": findings,
        }


def validate_return(source: str | Path | bytes, year: int | CollectionYear) -> CinReport:
    """Check a return against the year's schema and census rules; `unusable` says why it could not be read."""
    spelling = collection_year(year)
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    report = CinReport(source=name, year=spelling.year)
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        report.unusable = f"cannot read {name}: {exc.strerror}. To fix: check the path and its permissions"
        return report
    try:
        tree = parse_return(data)
    except IcsInteropError as exc:
        report.unusable = str(exc)
        return report
    census, lines = read_census(tree, spelling)
    report.children = [child.la_child_id for child in census.children]
    report.findings = schema_findings(tree, spelling) + run_census_rules(census, spelling, lines)
    return report
