"""Validating a census return for a collection year: the year's schema first, then the census rules.

Schema errors come with their line numbers. The rules are then checked on whatever the file
holds, even when the schema rejects it, so a file with stray text between elements still gets
every finding its content implies. Each finding names the child (by LAchildID) and the field.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import attrs
from lxml import etree

from ics_interop.errors import IcsInteropError
from ics_interop.findings import Finding, Severity

from .reader import header_year, iter_children, parse_return, read_header, schema_findings
from .rules import CensusRun, rule_fix, rules_for
from .years import CollectionYear, collection_year

__all__ = [
    "COMPACT_COLUMNS",
    "CinReport",
    "OnFinding",
    "Progress",
    "catalogue",
    "check_tree",
    "compact_rules",
    "validate_return",
]


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

    #: Schema errors and census rule errors.
    errors: int = 0
    #: Census queries (codes ending in Q): reported as warnings.
    queries: int = 0

    def count(self, finding: Finding) -> None:
        """Count a finding (whether or not it is kept in `findings`)."""
        if finding.severity is Severity.ERROR:
            self.errors += 1
        else:
            self.queries += 1

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

    def finding_dict(self, finding: Finding) -> dict[str, Any]:
        """One finding as JSON-ready data, in full (the `--format json` output)."""
        data = finding.to_dict()
        rule = rules_for(collection_year(self.year)).get(finding.rule_id)
        data["kind"] = "rule" if rule is not None else "schema"
        data["laChildId"] = self.la_child_id(finding)
        data["element"] = self.element(finding)
        data["fields"] = list(rule.fields) if rule is not None else []
        if rule is not None:
            data["type"] = "query" if rule.query else "error"
        return data

    def compact_finding(self, finding: Finding) -> list[Any]:
        """One finding as `COMPACT_COLUMNS`: its message's start, fix and source are in the catalogue."""
        rule = rules_for(collection_year(self.year)).get(finding.rule_id)
        detail = finding.message.removeprefix(f"{rule.message}: ") if rule is not None else finding.message
        return [finding.rule_id, self.la_child_id(finding), self.element(finding), finding.line, finding.value, detail]

    def to_compact_dict(self) -> dict[str, Any]:
        """The report in the compact form (`--format compact`): findings refer to the rules, listed once."""
        return {
            "source": self.source,
            "year": self.year,
            "yearFrom": self.year_source,
            "findingColumns": list(COMPACT_COLUMNS),
            "findings": [self.compact_finding(f) for f in self.findings],
            **{k: v for k, v in self.summary().items() if k not in ("source", "year", "yearFrom")},
            "rules": compact_rules(self.year, self.findings),
        }

    def summary(self) -> dict[str, Any]:
        """The report without its findings: the return, the year and why, the counts."""
        return {
            "source": self.source,
            "year": self.year,
            "yearFrom": self.year_source,
            "children": len(self.children),
            "errors": self.errors,
            "queries": self.queries,
            "unusable": self.unusable,
        }

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the `--format json` output)."""
        return {**self.summary(), "findings": [self.finding_dict(f) for f in self.findings]}


#: A finding in the compact form: the rule, the child, the element, the line, the value, what is wrong.
COMPACT_COLUMNS = ("ruleId", "laChildId", "element", "line", "value", "detail")


def compact_rules(year: CollectionYear | int, findings: Iterable[Finding]) -> dict[str, dict[str, Any]]:
    """The rules a compact report's findings refer to: census rules from the catalogue, schema errors by kind."""
    census: set[str] = set()
    schema: dict[str, dict[str, Any]] = {}
    for finding in findings:
        if finding.source.startswith("CIN census rule"):
            census.add(finding.rule_id)
        else:
            schema.setdefault(finding.rule_id, {"type": "error", "severity": "error", "fix": finding.hint})
    return {**catalogue(year, census), **schema}


def catalogue(year: CollectionYear | int, codes: Iterable[str] | None = None) -> dict[str, dict[str, Any]]:
    """The census rules of a year as the compact output refers to them: by code, message, type, fields, fix."""
    spelling = collection_year(year)
    rules = rules_for(spelling)
    return {
        code: {
            "message": rule.message,
            "type": "query" if rule.query else "error",
            "severity": rule.severity.value,
            "fields": list(rule.fields),
            "fix": rule_fix(code, spelling),
            "source": f"CIN census rule {code} ({rule.ruleset.replace('_', '-')} rule set)",
        }
        for code, rule in rules.items()
        if codes is None or code in codes
    }


OnFinding = Callable[[CinReport, Finding], None]
#: Called as children are checked: (children checked, children in the return).
Progress = Callable[[int, int], None]


def validate_return(
    source: str | Path | bytes,
    year: int | CollectionYear | None = None,
    *,
    on_finding: OnFinding | None = None,
    progress: Progress | None = None,
) -> CinReport:
    """Check a return against a year's schema and census rules; `unusable` says why it could not be read.

    Without a `year`, the return is checked for the collection its header names (`header_year`:
    the period holding its ReferenceDate). With one, for that year: rule 100 then reports a
    header whose ReferenceDate is not that year's. With `on_finding`, each finding is handed to
    it as it is found and not kept (the report keeps the counts): a large return is checked a
    child at a time, in the memory of its tree and one child.
    """
    name = "<bytes>" if isinstance(source, bytes) else str(source)
    try:
        tree = parse_return(source if isinstance(source, bytes) else Path(source).read_bytes())
    except OSError as exc:
        report = CinReport(source=name, year=collection_year(year).year if year is not None else 0)
        report.unusable = f"cannot read {name}: {exc.strerror}. To fix: check the path and its permissions"
        return report
    except IcsInteropError as exc:
        report = CinReport(source=name, year=collection_year(year).year if year is not None else 0)
        report.unusable = str(exc)
        return report
    return check_tree(tree, year, source=name, on_finding=on_finding, progress=progress)


def check_tree(
    tree: etree._ElementTree,
    year: int | CollectionYear | None,
    *,
    source: str,
    on_finding: OnFinding | None = None,
    progress: Progress | None = None,
) -> CinReport:
    """Check a parsed return (see `validate_return`). The tree's children are released as they are checked.

    Findings come in this order: the header's (schema, then rule 100), each child's (its schema
    errors, then its rule findings by line), then the whole return's (2883, 2886Q, ...,
    and the duplicate UPNs and LAchildIDs, by child).
    """
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

    def emit(findings: Iterable[Finding]) -> None:
        for finding in findings:
            report.count(finding)
            if on_finding is None:
                report.findings.append(finding)
            else:
                on_finding(report, finding)

    by_child: dict[int | None, list[Finding]] = {}
    for finding in schema_findings(tree, given):
        by_child.setdefault(finding.record, []).append(finding)
    header, header_lines = read_header(tree)
    run = CensusRun(given)
    emit(by_child.pop(None, []))
    emit(run.start(header, header_lines))
    total = len(tree.getroot().findall("Children/Child")) if progress is not None else 0
    for index, child, lines in iter_children(tree, given, release=True):
        report.children.append(child.la_child_id)
        emit(by_child.pop(index, []))
        emit(run.child(index, child, lines))
        if progress is not None:
            progress(index + 1, total)
    for rest in by_child.values():  # schema errors in a Child the reader did not count (none expected)
        emit(rest)
    emit(run.finish())
    return report
