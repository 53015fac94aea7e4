"""The one registry of census checks: the rule list, each code's check, the year's rules, and a run over a return."""

from __future__ import annotations

import csv
import io
import tomllib
from collections.abc import Callable, Iterable, Mapping
from functools import cache
from importlib import resources

import attrs

from ics_interop.findings import Finding, Severity

from ..census import CensusChild, CensusReturn, Header
from ..reader import SourceLines, child_label
from ..years import CollectionYear


@attrs.frozen
class CensusRule:
    """One census validation rule, as the rule list states it."""

    code: str
    module: str
    query: bool
    message: str
    fields: tuple[str, ...]
    ruleset: str

    @property
    def severity(self) -> Severity:
        """Errors reject a return; queries are warnings the authority may explain."""
        return Severity.WARNING if self.query else Severity.ERROR


@attrs.frozen
class Breach:
    """Where a return breaks a rule: the child (by position), the path inside it, and what is wrong."""

    path: str
    detail: str
    child: int | None = None
    #: The line, where the check knows it (a whole-return check has no lines to look it up in).
    line: int | None = None
    #: The value, where the check knows it (likewise).
    value: str | None = None


ChildCheck = Callable[[CensusChild, CollectionYear], Iterable[Breach]]


class ReturnCheck:
    """A check over the whole return, fed one child at a time so that no child need be kept.

    A subclass keeps what it needs (a count, the UPNs seen) in `add`, and says what is wrong in
    `finish`; `start` sees the header before any child. One instance checks one return.
    """

    def __init__(self, year: CollectionYear) -> None:
        self.year = year

    def start(self, header: Header | None) -> Iterable[Breach]:
        """Breaches the header alone shows."""
        return ()

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        """Take in one child (`lines`: where its elements are, keyed by child `index`)."""

    def finish(self) -> Iterable[Breach]:
        """Breaches of the whole return, once every child has been added."""
        return ()


_CHILD_CHECKS: dict[str, ChildCheck] = {}
_RETURN_CHECKS: dict[str, type[ReturnCheck]] = {}


def _unused(code: str) -> None:
    if code in _CHILD_CHECKS or code in _RETURN_CHECKS:
        raise ValueError(f"census rule {code} has two checks")


def return_rule(code: str) -> Callable[[type[ReturnCheck]], type[ReturnCheck]]:
    """Register a check over the whole return (a `ReturnCheck` class) for the rule `code`."""

    def register(cls: type[ReturnCheck]) -> type[ReturnCheck]:
        _unused(code)
        _RETURN_CHECKS[code] = cls
        return cls

    return register


def child_rule(code: str) -> Callable[[ChildCheck], ChildCheck]:
    """Register a check made on each child in turn for the rule `code`."""

    def register(fn: ChildCheck) -> ChildCheck:
        _unused(code)
        _CHILD_CHECKS[code] = fn
        return fn

    return register


def registered_codes() -> frozenset[str]:
    """The codes that have a check."""
    return frozenset(_CHILD_CHECKS) | frozenset(_RETURN_CHECKS)


@cache
def rule_list() -> tuple[CensusRule, ...]:
    """Every row of the rule list, in its order."""
    text = resources.files("ics_interop.adapters.formats.cin").joinpath("data/rule_list.csv").read_text("utf-8")
    rules = []
    for row in csv.DictReader(io.StringIO(text)):
        fields = tuple(f.strip() for f in row["affected_fields"].strip("[]").split(",") if f.strip())
        rules.append(
            CensusRule(
                code=row["code"],
                module=row["module"],
                query=row["rule_type"] == "QUERY",
                message=row["message"].strip(),
                fields=fields,
                ruleset=row["ruleset"].removeprefix("cin"),
            )
        )
    return tuple(rules)


@cache
def rules_for(year: CollectionYear) -> Mapping[str, CensusRule]:
    """The rules in force for a collection year, by code (a later rule set's row wins)."""
    found: dict[str, CensusRule] = {}
    for ruleset in year.rulesets:
        for rule in rule_list():
            if "cin" + rule.ruleset == ruleset:
                found[rule.code] = rule
    return dict(sorted(found.items(), key=lambda item: (int(item[0].rstrip("Q")), item[0])))


@cache
def _fixes() -> Mapping[str, str]:
    text = resources.files("ics_interop.adapters.formats.cin").joinpath("data/fixes.toml").read_text("utf-8")
    fixes: dict[str, str] = tomllib.loads(text)["fixes"]
    return fixes


@cache
def rule_fix(code: str, year: CollectionYear) -> str:
    """How to fix a breach of the rule `code` in the collection year: the data officer's hint."""
    fix = _fixes()[code].format(
        year=year.year,
        reference_date=year.reference_date.isoformat(),
        period_start=year.period_start.isoformat(),
        yes=year.yes,
        no=year.no,
        unborn_sex=f"{year.sex_element} {year.unborn_sex_code}",
    )
    if code.endswith("Q"):
        fix += "; or, if it is right, keep it and give DfE the reason when the return is submitted"
    return fix


class CensusRun:
    """Checks one return against a year's rules as its children come, one at a time.

    `start` with the header, `child` for each child in order (its findings come back at once,
    and the child need not be kept), then `finish` for the whole-return rules. This is what
    lets a large return be checked in the memory of one child.
    """

    def __init__(self, year: CollectionYear) -> None:
        self.year = year
        rules = rules_for(year)
        self._child_checks = [(code, rules[code], _CHILD_CHECKS[code]) for code in rules if code in _CHILD_CHECKS]
        self._return_checks = [
            (code, rules[code], _RETURN_CHECKS[code](year)) for code in rules if code in _RETURN_CHECKS
        ]
        self._labels: list[str] = []
        self._return_lines: SourceLines | None = None

    def _finding(
        self, code: str, rule: CensusRule, breach: Breach, line: int | None, value: str | None = None
    ) -> Finding:
        where = self._labels[breach.child] if breach.child is not None else ""
        return Finding(
            code,
            rule.severity,
            f"{rule.message}: {breach.detail}",
            path=f"{where}.{breach.path}" if where and breach.path else where or breach.path,
            line=breach.line if breach.line is not None else line,
            hint=rule_fix(code, self.year),
            record=breach.child,
            source=_source(code, rule.ruleset),
            value=breach.value if breach.value is not None else value,
        )

    def start(self, header: Header | None, lines: SourceLines | None = None) -> list[Finding]:
        """The header's findings (rule 100); `lines` holds the lines of the header and `Children` (child None)."""
        self._return_lines = lines
        return [
            self._finding(
                code,
                rule,
                breach,
                lines.line(None, breach.path) if lines is not None else None,
                lines.value(None, breach.path) if lines is not None else None,
            )
            for code, rule, check in self._return_checks
            for breach in check.start(header)
        ]

    def child(self, index: int, child: CensusChild, lines: SourceLines | None = None) -> list[Finding]:
        """The findings of the child at `index` (children must come in order), in line order."""
        if index != len(self._labels):
            raise ValueError(f"child {index} came after child {len(self._labels) - 1}")
        self._labels.append(child_label(child, index))
        found = []
        for code, rule, check in self._child_checks:
            for breach in check(child, self.year):
                where = attrs.evolve(breach, child=index)
                line = lines.line(index, breach.path) if lines else None
                found.append(self._finding(code, rule, where, line, lines.value(index, breach.path) if lines else None))
        for _code, _rule, tally in self._return_checks:
            tally.add(index, child, lines)
        found.sort(key=lambda f: f.line or 0)
        return found

    def finish(self) -> list[Finding]:
        """The whole return's findings: about the return (record None), then about children."""
        lines = self._return_lines
        found = [
            self._finding(code, rule, breach, lines.line(None, breach.path) if lines and breach.child is None else None)
            for code, rule, tally in self._return_checks
            for breach in tally.finish()
        ]
        found.sort(key=lambda f: (-1 if f.record is None else f.record, f.line or 0))
        return found


@cache
def _source(code: str, ruleset: str) -> str:
    return f"CIN census rule {code} ({ruleset.replace('_', '-')} rule set)"


def run_census_rules(census: CensusReturn, year: CollectionYear, lines: SourceLines | None = None) -> list[Finding]:
    """Check a return in memory against the year's rules: the header's findings, each child's, the whole return's."""
    run = CensusRun(year)
    findings = run.start(census.header, lines)
    for index, child in enumerate(census.children):
        findings.extend(run.child(index, child, lines))
    findings.extend(run.finish())
    return findings
