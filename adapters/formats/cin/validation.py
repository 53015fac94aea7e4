"""Validating a census return for a collection year: the year's schema first, then the census rules.

Schema errors come with their line numbers. The rules are then checked on whatever the file
holds, even when the schema rejects it, so a file with stray text between elements still gets
every finding its content implies. Each finding names the child (by LAchildID) and the field.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import attrs
from lxml import etree

from ics_interop.errors import IcsInteropError
from ics_interop.findings import Finding, Severity

from .reader import header_year, parse_return, read_census, schema_findings
from .rules import rules_for, run_census_rules
from .years import CollectionYear, collection_year

__all__ = ["CinReport", "check_tree", "validate_return"]


@attrs.define
class CinReport:
    """What validating one return found."""

    source: str
    year: int
    #: Each child's LAchildID (None where it has none), by position: a finding's `record`.
    children: list[str | None] = attrs.Factory(list)
    findings: list[Finding] = attrs.Factory(list)
    unusable: str | None = None
    #: Why the return was checked for `year`: "given", or what in its header named the year.
    year_source: str = "given"

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

    def element(self, finding: Finding) -> str:
        """A finding's path inside its child (`CINdetails[0].ReferralNFA`), or in the return."""
        if finding.record is None:
            return finding.path
        child_id = self.la_child_id(finding)
        label = f"child[LAchildID={child_id}]" if child_id else f"child[{finding.record}]"
        return finding.path.removeprefix(label).removeprefix(".")

    def where(self, finding: Finding) -> str:
        """Where a finding is, for people: the child by LAchildID (or the header), then the element."""
        if finding.record is None:
            place = "the header" if finding.path.startswith("Header") else "the whole return"
            inside = finding.path if finding.path.startswith("Header") else ""
        else:
            child_id = self.la_child_id(finding)
            place = f"child {child_id}" if child_id else f"child {finding.record + 1} (no LAchildID)"
            inside = self.element(finding)
        text = f"{place}, {inside}" if inside else place
        return text + (f" (line {finding.line})" if finding.line else "")

    def describe(self, finding: Finding) -> str:
        """One finding for people: severity, code, where (child and element), what, and the fix."""
        kind = "QUERY" if finding.severity is Severity.WARNING else "ERROR"
        text = f"{kind} {finding.rule_id} at {self.where(finding)}: {finding.message}"
        return text + (f"\n    fix: {finding.hint}" if finding.hint else "")

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the `--format json` output)."""
        rules = rules_for(collection_year(self.year))
        findings = []
        for finding in self.findings:
            data = finding.to_dict()
            rule = rules.get(finding.rule_id)
            data["kind"] = "rule" if rule is not None else "schema"
            data["laChildId"] = self.la_child_id(finding)
            data["element"] = self.element(finding)
            data["fields"] = list(rule.fields) if rule is not None else []
            if rule is not None:
                data["type"] = "query" if rule.query else "error"
            findings.append(data)
        return {
            "source": self.source,
            "year": self.year,
            "yearFrom": self.year_source,
            "children": len(self.children),
            "errors": self.errors,
            "queries": self.queries,
            "unusable": self.unusable,
            "findings": findings,
        }


def validate_return(source: str | Path | bytes, year: int | CollectionYear | None = None) -> CinReport:
    """Check a return against a year's schema and census rules; `unusable` says why it could not be read.

    Without a `year`, the return is checked for the collection its header names (`header_year`:
    the period holding its ReferenceDate). With one, for that year: rule 100 then reports a
    header whose ReferenceDate is not that year's.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        data = source if isinstance(source, bytes) else Path(source).read_bytes()
    except OSError as exc:
        report = CinReport(source=name, year=collection_year(year).year if year is not None else 0)
        report.unusable = f"cannot read {name}: {exc.strerror}. To fix: check the path and its permissions"
        return report
    try:
        tree = parse_return(data)
    except IcsInteropError as exc:
        report = CinReport(source=name, year=collection_year(year).year if year is not None else 0)
        report.unusable = str(exc)
        return report
    return check_tree(tree, year, source=name)


def check_tree(tree: etree._ElementTree, year: int | CollectionYear | None, *, source: str) -> CinReport:
    """Check a parsed return (see `validate_return`)."""
    given = collection_year(year) if year is not None else None
    report = CinReport(source=source, year=given.year if given is not None else 0)
    if given is None:
        try:
            found, report.year_source = header_year(tree)
        except IcsInteropError as exc:
            report.unusable = str(exc)
            return report
        given = collection_year(found)
        report.year = given.year
    census, lines = read_census(tree, given)
    report.children = [child.la_child_id for child in census.children]
    report.findings = schema_findings(tree, given) + run_census_rules(census, given, lines)
    return report
