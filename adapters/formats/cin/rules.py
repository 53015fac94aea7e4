"""The census's own validation rules: each with its real code, checked over a return in memory.

The rule list (`data/rule_list.csv`, one row per rule of the data-to-insight CIN validator:
rule set, code, module, ERROR or QUERY, message, affected fields) is data; this module holds
one check per code, registered with `child_rule` (checked child by child) or `return_rule`
(checked over the whole return, such as duplicates and percentages). A later rule set's row
replaces an earlier one's with the same code (see `years.py` for which sets a year uses), and
a check reads the year where the rule's meaning changed (sex codes, school age).

A query (code ending in `Q`) is reported as a warning: DfE accepts a return with queries
when the authority explains them. Every check is written from the rule's message and the
fields it names; where the message leaves a choice, the choice is in a comment and in
`docs/cin-census.md`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import cache
from importlib import resources

import attrs

from ics_interop.findings import Finding, Severity
from ics_interop.model.identifiers import is_known_la_code, upn_check_letter

from .calendar import working_day_before
from .census import CensusChild, CensusReturn, CinEpisode, Header, ProtectionPlan, Sex
from .reader import SourceLines, child_label
from .years import CollectionYear

__all__ = [
    "Breach",
    "CensusRule",
    "CensusRun",
    "ReturnCheck",
    "child_rule",
    "registered_codes",
    "return_rule",
    "rule_fix",
    "rule_list",
    "rules_for",
    "run_census_rules",
]


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


# --- helpers ---------------------------------------------------------------------------------------

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE's alphabet for UPN letters: no I, O or S
_UPN_FORM = re.compile(rf"^[{_UPN_LETTERS}][0-9]{{11}}[0-9{_UPN_LETTERS}]$")
_LA_CHILD_ID = re.compile(r"^[A-Za-z0-9]*$")
_NEVER = dt.date.max


def _iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "(none)"


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _ids(field: str) -> str:
    return f"ChildIdentifiers.{field}"


def _episodes(child: CensusChild) -> Iterator[tuple[str, CinEpisode]]:
    for i, episode in enumerate(child.episodes):
        yield f"CINdetails[{i}]", episode


def _weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def _icpc_dates(path: str, episode: CinEpisode) -> Iterator[tuple[str, dt.date]]:
    """Every initial conference date with its path: at episode level and in each section 47 group."""
    if episode.icpc_date is not None:
        yield f"{path}.DateOfInitialCPC", episode.icpc_date
    for i, s47 in enumerate(episode.section47s):
        if s47.icpc_date is not None:
            yield f"{path}.Section47[{i}].DateOfInitialCPC", s47.icpc_date


def _starts_during(start: dt.date | None, other_start: dt.date | None, other_end: dt.date | None) -> bool:
    """Whether `start` falls on or after `other_start` and before `other_end` (open-ended when None)."""
    if start is None or other_start is None:
        return False
    return other_start <= start < (other_end or _NEVER)


def _overlaps(items: list[tuple[str, dt.date | None, dt.date | None]]) -> Iterator[tuple[str, str]]:
    """Pairs (later item's path, earlier item's path) where the later starts during the earlier.

    Two items that are both open are left to the "more than one open" rules.
    """
    for j, (path_b, start_b, end_b) in enumerate(items):
        for i, (path_a, start_a, end_a) in enumerate(items):
            if i == j or (end_a is None and end_b is None):
                continue
            if _starts_during(start_b, start_a, end_a) and (start_a != start_b or i < j):
                yield path_b, path_a
                break


# --- header and whole-return rules ------------------------------------------------------------------


@return_rule("100")
class _ReferenceDate(ReturnCheck):
    def start(self, header: Header | None) -> Iterator[Breach]:
        found = header.reference_date if header is not None else None
        if found != self.year.reference_date:
            yield Breach(
                "Header.CollectionDetails.ReferenceDate",
                f"ReferenceDate is {_iso(found)}; for the {self.year.year} collection it is "
                f"{self.year.reference_date.isoformat()}",
            )


class _Duplicates(ReturnCheck):
    """Every child whose value (UPN, LAchildID) is on another child too."""

    field = ""

    def __init__(self, year: CollectionYear) -> None:
        super().__init__(year)
        self.seen: dict[str, list[tuple[int, int | None]]] = {}

    def value(self, child: CensusChild) -> str | None:
        raise NotImplementedError

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        found = self.value(child)
        if found:
            line = lines.line(index, _ids(self.field)) if lines is not None else None
            self.seen.setdefault(found, []).append((index, line))

    def finish(self) -> Iterator[Breach]:
        repeated = [
            (index, line, value, len(where))
            for value, where in self.seen.items()
            if len(where) > 1
            for index, line in where
        ]
        for index, line, value, count in sorted(repeated):
            detail = f"{self.field} {value} is on {count} children"
            yield Breach(_ids(self.field), detail, child=index, line=line, value=value)


@return_rule("1520")
class _DuplicateUpns(_Duplicates):
    field = "UPN"

    def value(self, child: CensusChild) -> str | None:
        return child.upn


@return_rule("8510")
class _DuplicateChildIds(_Duplicates):
    field = "LAchildID"

    def value(self, child: CensusChild) -> str | None:
        return child.la_child_id


@return_rule("2886Q")
class _SexNotRecorded(ReturnCheck):
    # DfE's text: children with the "not recorded" code (0 up to 2024, U from 2025) or with no sex
    # at all, and no expected date of birth, over all children. A code the year does not know
    # records no sex either, so it counts as missing (rule 4180 reports it as well).
    total = unknown = 0

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        self.total += 1
        self.unknown += child.expected_birth_date is None and (child.sex is None or child.sex is Sex.UNKNOWN)

    def finish(self) -> Iterator[Breach]:
        year, total, unknown = self.year, self.total, self.unknown
        if total and unknown / total > 0.02:
            yield Breach(
                "Children",
                f"{unknown} of {total} children have {year.sex_element} {year.sex_code(Sex.UNKNOWN)} or none, "
                f"and no expected date of birth ({100 * unknown / total:.1f}%)",
            )


@return_rule("2887Q")
class _FewDisabilityCodes(ReturnCheck):
    # "NONE" is not a disability: only the disability codes themselves are counted.
    def __init__(self, year: CollectionYear) -> None:
        super().__init__(year)
        self.used: set[str] = set()

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        self.used.update(code for code in child.disabilities if code != "NONE")

    def finish(self) -> Iterator[Breach]:
        if len(self.used) < 8:
            used = ", ".join(sorted(self.used)) or "none"
            yield Breach("Children", f"{len(self.used)} disability code(s) used: {used}")


@return_rule("2888Q")
class _OneDisabilityEach(ReturnCheck):
    disabled = with_one = 0

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        codes = {d for d in child.disabilities if d != "NONE"}
        self.disabled += bool(codes)
        self.with_one += len(codes) == 1

    def finish(self) -> Iterator[Breach]:
        if self.disabled and self.disabled == self.with_one:
            yield Breach("Children", f"each of the {self.disabled} disabled children has exactly one disability code")


# --- identifiers ---------------------------------------------------------------------------------------


@child_rule("1510")
def _upn_check_letter(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    upn = child.upn
    if upn is None or len(upn) != 13 or not upn[1:12].isdigit():
        return  # 1540 and 1550 say what is wrong with the form
    try:
        expected = upn_check_letter(upn[1:].upper())
    except ValueError:
        return  # character 13 is outside the UPN alphabet: 1550
    if upn[0] != expected:
        yield Breach(_ids("UPN"), f"{upn} starts with {upn[0]!r}; its check letter is {expected!r}")


@child_rule("1530")
def _upn_la_code(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn is not None and not is_known_la_code(child.upn[1:4]):
        yield Breach(_ids("UPN"), f"characters 2-4 of {child.upn} are {child.upn[1:4]!r}")


@child_rule("1540")
def _upn_digits(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn is not None and not (len(child.upn[4:12]) == 8 and child.upn[4:12].isdigit()):
        yield Breach(_ids("UPN"), f"characters 5-12 of {child.upn} are {child.upn[4:12]!r}")


@child_rule("1550")
def _upn_last_character(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    upn = child.upn
    if upn is not None and (len(upn) < 13 or upn[12] not in "0123456789" + _UPN_LETTERS):
        found = repr(upn[12]) if len(upn) >= 13 else "missing"
        yield Breach(_ids("UPN"), f"character 13 of {upn} is {found}: a digit, or a letter other than I, O or S")


@child_rule("1560Q")
def _former_upn_form(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # The form only: a letter, eleven digits, and a digit or letter (DfE's alphabet, no I, O or S).
    if child.former_upn is not None and not _UPN_FORM.match(child.former_upn):
        yield Breach(_ids("FormerUPN"), f"{child.former_upn!r} is not a UPN's form")


@child_rule("1570")
def _child_id_length(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.la_child_id is not None and len(child.la_child_id) > 20:
        yield Breach(_ids("LAchildID"), f"{child.la_child_id!r} has {len(child.la_child_id)} characters")


@child_rule("1580")
def _child_id_characters(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.la_child_id is not None and not _LA_CHILD_ID.match(child.la_child_id):
        odd = sorted({ch for ch in child.la_child_id if not _LA_CHILD_ID.match(ch)})
        yield Breach(_ids("LAchildID"), f"{child.la_child_id!r} contains {''.join(odd)!r}")


@child_rule("8500")
def _child_id_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if not child.la_child_id:
        yield Breach(_ids("LAchildID"), "LAchildID is missing or empty")


@child_rule("8770Q")
def _upn_expected(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # "More than 5 years old" (to 2024) and "of school age" (from 2025) are both read as: the
    # child's fifth birthday is on or before the reference date.
    if child.birth_date is None or _age(child.birth_date, year.reference_date) < 5:
        return
    if not any(e.referral_nfa is False for e in child.episodes):
        return  # DfE's text: only for a child with a referral that led to further action
    missing = child.upn is None and child.upn_unknown is None
    if missing:
        yield Breach(_ids("UPN"), "neither UPN nor UPNunknown is given")
    elif year.sex_element == "Sex" and child.upn_unknown == "UN1":
        yield Breach(_ids("UPNunknown"), f"UPNunknown is UN1 for a child born {child.birth_date.isoformat()}")


@child_rule("8772")
def _un7_but_further_action(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn_unknown == "UN7" and any(e.referral_nfa is False for e in child.episodes):
        yield Breach(_ids("UPNunknown"), "UPNunknown is UN7 and a referral has ReferralNFA false")


# --- birth, death, sex ----------------------------------------------------------------------------------


@child_rule("4180")
def _sex_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.sex is None:
        codes = ", ".join(sorted(year.codes(year.sex_element)))
        yield Breach(_ids(year.sex_element), f"{year.sex_element} is missing or not one of {codes}")


@child_rule("8750")
def _unborn_sex(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.unborn and child.sex is not None and child.sex is not Sex.UNKNOWN:
        yield Breach(
            _ids(year.sex_element),
            f"{year.sex_element} is {year.sex_code(child.sex)} for a child expected on "
            f"{_iso(child.expected_birth_date)}; it must be {year.unborn_sex_code}",
        )


@child_rule("8520")
def _born_by_reference_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.birth_date is not None and child.birth_date > year.reference_date:
        yield Breach(_ids("PersonBirthDate"), f"{child.birth_date.isoformat()} is after {year.reference_date}")


@child_rule("8525Q")
def _birth_or_expected(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if (child.birth_date is None) == (child.expected_birth_date is None):
        found = "both are given" if child.birth_date is not None else "neither is given"
        yield Breach(_ids("PersonBirthDate"), found)


@child_rule("8530Q")
def _expected_birth_in_range(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    expected = child.expected_birth_date
    if expected is not None and not dt.date(year.year, 3, 1) <= expected <= dt.date(year.year, 12, 31):
        yield Breach(
            _ids("ExpectedPersonBirthDate"),
            f"{expected.isoformat()} is not between {year.year}-03-01 and {year.year}-12-31",
        )


@child_rule("8535Q")
def _death_after_birth(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.death_date is not None and child.birth_date is not None and child.death_date < child.birth_date:
        yield Breach(
            _ids("PersonDeathDate"),
            f"died {child.death_date.isoformat()}, before the birth date {child.birth_date.isoformat()}",
        )


@child_rule("8545Q")
def _death_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.death_date is not None and not year.in_period(child.death_date):
        yield Breach(
            _ids("PersonDeathDate"),
            f"{child.death_date.isoformat()} is outside {year.period_start} to {year.reference_date}",
        )


@child_rule("8775Q")
def _over_25(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: born before the reference date minus 25 years, and an episode still open or
    # closed after the 25th birthday (a child aged exactly 25 on the day is not "over 25").
    born = child.birth_date
    if born is None:
        return
    birthday_25 = _add_years(born, 25)
    if not born < _add_years(year.reference_date, -25):
        return
    for _path, episode in _episodes(child):
        if episode.closure_date is None or episode.closure_date > birthday_25:
            on = episode.closure_date or year.reference_date
            yield Breach(_ids("PersonBirthDate"), f"born {born.isoformat()}, over 25 on {on}")
            return


@child_rule("8555Q")
def _referred_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if child.death_date and episode.referral_date and episode.referral_date > child.death_date:
            yield Breach(
                f"{path}.CINreferralDate",
                f"referred {episode.referral_date.isoformat()}, after the death on {child.death_date.isoformat()}",
            )


@child_rule("8585Q")
def _died_without_death_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_reason == "RC2" and child.death_date is None:
            yield Breach(f"{path}.ReasonForClosure", "ReasonForClosure is RC2 (died) and there is no PersonDeathDate")


# --- characteristics --------------------------------------------------------------------------------------


@child_rule("4220")
def _ethnicity(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.ethnicity is None or child.ethnicity not in year.codes("Ethnicity"):
        yield Breach("ChildCharacteristics.Ethnicity", f"Ethnicity is {child.ethnicity or 'missing'}")


def _disability_path(index: int) -> str:
    return f"ChildCharacteristics.Disabilities.Disability[{index}]"


@child_rule("8540")
def _disability_valid(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    codes = year.codes("Disability")
    for i, code in enumerate(child.disabilities):
        if code not in codes:
            yield Breach(_disability_path(i), f"{code!r} is not a disability code")
    further_action = any(e.referral_nfa is False for e in child.episodes)
    if not child.disabilities and child.birth_date is not None and further_action:
        yield Breach(
            "ChildCharacteristics.Disabilities",
            "no Disability (use NONE for none) for a born child with a referral that led to further action",
        )


@child_rule("8790")
def _none_and_others(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if "NONE" in child.disabilities and len(set(child.disabilities)) > 1:
        yield Breach(_disability_path(child.disabilities.index("NONE")), f"codes: {', '.join(child.disabilities)}")


@child_rule("8794")
def _disability_twice(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    seen: set[str] = set()
    for i, code in enumerate(child.disabilities):
        if code in seen:
            yield Breach(_disability_path(i), f"{code} is recorded more than once")
        seen.add(code)


# --- CIN episodes -------------------------------------------------------------------------------------------


@child_rule("8590")
def _has_episode(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if not child.episodes:
        yield Breach("", "the child has no CINdetails")


@child_rule("8568")
def _nfa_flag(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_nfa is None:
            yield Breach(f"{path}.ReferralNFA", f"ReferralNFA is missing or not {year.yes} or {year.no}")


@child_rule("8569Q")
def _nfa_referred_before_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    cutoff = working_day_before(year.period_start)
    for path, episode in _episodes(child):
        if episode.referral_nfa and episode.referral_date is not None and episode.referral_date < cutoff:
            yield Breach(
                f"{path}.ReferralNFA",
                f"referred {episode.referral_date.isoformat()}, before {cutoff.isoformat()}, and flagged NFA",
            )


@child_rule("8600")
def _referral_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_date is None or episode.referral_date > year.reference_date:
            yield Breach(
                f"{path}.CINreferralDate",
                f"CINreferralDate is {_iso(episode.referral_date)}; the period ends {year.reference_date}",
            )


@child_rule("8606")
def _referral_long_before_birth(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: not more than 280 days before PersonBirthDate or ExpectedPersonBirthDate; a
    # child with both is checked against both.
    born = [d for d in (child.birth_date, child.expected_birth_date) if d is not None]
    for path, episode in _episodes(child):
        referred = episode.referral_date
        late = [d for d in born if referred is not None and referred < d - dt.timedelta(days=280)]
        if referred is not None and late:
            yield Breach(
                f"{path}.CINreferralDate",
                f"referred {referred.isoformat()}, more than 280 days (40 weeks) before {late[0].isoformat()}",
            )


@child_rule("8610")
def _primary_need_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_nfa is False and episode.primary_need is None:
            yield Breach(f"{path}.PrimaryNeedCode", "no PrimaryNeedCode and ReferralNFA is false")


@child_rule("8650")
def _primary_need_valid(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.primary_need is not None and episode.primary_need not in year.codes("PrimaryNeedCode"):
            yield Breach(f"{path}.PrimaryNeedCode", f"{episode.primary_need!r} is not a primary need code")


@child_rule("8866")
def _referral_source(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_source is None or episode.referral_source not in year.codes("ReferralSource"):
            yield Breach(
                f"{path}.ReferralSource",
                f"ReferralSource is {episode.referral_source or 'missing'} (the {year.year} code set applies)",
            )


@child_rule("8620")
def _closure_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_date is not None and not year.in_period(episode.closure_date):
            yield Breach(
                f"{path}.CINclosureDate",
                f"{episode.closure_date.isoformat()} is outside {year.period_start} to {year.reference_date}",
            )


@child_rule("8630")
def _closure_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_date and episode.referral_date and episode.closure_date < episode.referral_date:
            yield Breach(
                f"{path}.CINclosureDate",
                f"closed {episode.closure_date.isoformat()}, before the referral {episode.referral_date.isoformat()}",
            )


@child_rule("8640")
def _closure_reason_valid(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        reason = episode.closure_reason
        if reason is not None and reason not in year.codes("ReasonForClosure"):
            yield Breach(f"{path}.ReasonForClosure", f"{reason!r} is not in the {year.year} code set")


@child_rule("8805")
def _closure_has_reason(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_date is not None and episode.closure_reason is None:
            yield Breach(f"{path}.ReasonForClosure", f"closed {episode.closure_date.isoformat()} with no reason")


@child_rule("8810")
def _reason_has_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_reason is not None and episode.closure_date is None:
            yield Breach(f"{path}.CINclosureDate", f"ReasonForClosure {episode.closure_reason} and no CINclosureDate")


def _open_further_action(child: CensusChild) -> list[tuple[int, CinEpisode]]:
    return [(i, e) for i, e in enumerate(child.episodes) if e.closure_date is None and e.referral_nfa is not True]


@child_rule("8815")
def _one_open_episode(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    open_episodes = _open_further_action(child)
    if len(open_episodes) > 1:
        for i, _episode in open_episodes:
            yield Breach(f"CINdetails[{i}].CINclosureDate", f"{len(open_episodes)} episodes are open")


@child_rule("8816")
def _open_episode_is_latest(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    dates = [e.referral_date for e in child.episodes if e.referral_date is not None]
    if not dates:
        return
    latest = max(dates)
    for i, episode in _open_further_action(child):
        if episode.referral_date is not None and episode.referral_date < latest:
            yield Breach(
                f"CINdetails[{i}].CINreferralDate",
                f"the open episode was referred {episode.referral_date.isoformat()}; another was referred {latest}",
            )


@child_rule("8820")
def _episodes_overlap(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # An episode overlaps a closed one when it is referred on or after that one's referral
    # and before its closure; an open episode that is not the latest is rule 8816's.
    for j, later in enumerate(child.episodes):
        for i, earlier in enumerate(child.episodes):
            if i == j or earlier.closure_date is None or later.referral_date is None:
                continue
            if earlier.referral_date is None or (earlier.referral_date == later.referral_date and i > j):
                continue
            if earlier.referral_date <= later.referral_date < earlier.closure_date:
                yield Breach(
                    f"CINdetails[{j}].CINreferralDate",
                    f"referred {later.referral_date.isoformat()}, during CINdetails[{i}] "
                    f"({earlier.referral_date.isoformat()} to {earlier.closure_date.isoformat()})",
                )
                break


_AFTER_ASSESSMENT = ("RC8", "RC9")


@child_rule("8825Q")
def _closed_after_assessment_without_one(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.closure_reason in _AFTER_ASSESSMENT and not episode.assessments:
            yield Breach(f"{path}.ReasonForClosure", f"{episode.closure_reason} and the episode has no assessment")


@child_rule("2990")
def _activity_after_assessment_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: an episode closed RC8 (or RC9) has no Section47, ChildProtectionPlans or
    # CINPlanDates module, and no DateOfInitialCPC in the CINdetails module itself.
    for path, episode in _episodes(child):
        if episode.closure_reason in _AFTER_ASSESSMENT:
            found = [
                name
                for name, present in (
                    ("DateOfInitialCPC", episode.icpc_date is not None),
                    ("CINPlanDates", bool(episode.cin_plans)),
                    ("Section47", bool(episode.section47s)),
                    ("ChildProtectionPlans", bool(episode.protection_plans)),
                )
                if present
            ]
            if found:
                yield Breach(f"{path}.ReasonForClosure", f"{episode.closure_reason} and {', '.join(found)} recorded")


@child_rule("2991Q")
def _section47_without_assessment(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.section47s and not episode.assessments:
            yield Breach(path, f"{len(episode.section47s)} Section47 group(s) and no Assessments")


@child_rule("8565")
def _activity_after_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        closed = episode.closure_date
        if closed is None:
            continue
        dates: list[tuple[str, dt.date | None]] = [(f"{path}.DateOfInitialCPC", episode.icpc_date)]
        for i, a in enumerate(episode.assessments):
            dates += [
                (f"{path}.Assessments[{i}].AssessmentActualStartDate", a.start_date),
                (f"{path}.Assessments[{i}].AssessmentAuthorisationDate", a.authorisation_date),
            ]
        for i, s in enumerate(episode.section47s):
            dates += [
                (f"{path}.Section47[{i}].S47ActualStartDate", s.start_date),
                (f"{path}.Section47[{i}].DateOfInitialCPC", s.icpc_date),
            ]
        for i, p in enumerate(episode.protection_plans):
            dates.append((f"{path}.ChildProtectionPlans[{i}].CPPendDate", p.end_date))
        for i, c in enumerate(episode.cin_plans):
            dates += [
                (f"{path}.CINPlanDates[{i}].CINPlanStartDate", c.start_date),
                (f"{path}.CINPlanDates[{i}].CINPlanEndDate", c.end_date),
            ]
        for where, day in dates:
            if day is not None and day > closed:
                name = where.rpartition(".")[2]
                yield Breach(where, f"{name} {day.isoformat()} is after CINclosureDate {closed.isoformat()}")


@child_rule("8831")
def _activity_on_nfa(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_nfa is not True:
            continue
        found = []
        if any(a.start_date or a.authorisation_date for a in episode.assessments):
            found.append("an assessment")
        if any(s.start_date for s in episode.section47s):
            found.append("a section 47 enquiry")
        if list(_icpc_dates(path, episode)):
            found.append("an initial child protection conference")
        if found:
            yield Breach(f"{path}.ReferralNFA", f"ReferralNFA is true and the episode has {', '.join(found)}")


@child_rule("8832")
def _plans_on_nfa(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_nfa is True and episode.protection_plans:
            yield Breach(f"{path}.ChildProtectionPlans[0]", "ReferralNFA is true and a child protection plan is given")


@child_rule("4000")
def _cin_plan_on_nfa(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.referral_nfa is True and episode.cin_plans:
            yield Breach(f"{path}.CINPlanDates[0]", "ReferralNFA is true and a CIN plan is given")


# --- assessments ----------------------------------------------------------------------------------------------


def _assessments(child: CensusChild) -> Iterator[tuple[str, CinEpisode, int, str]]:
    for path, episode in _episodes(child):
        for i, _assessment in enumerate(episode.assessments):
            yield path, episode, i, f"{path}.Assessments[{i}]"


@child_rule("1103")
def _assessment_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        start = episode.assessments[i].start_date
        if start and episode.referral_date and start < episode.referral_date:
            yield Breach(
                f"{where}.AssessmentActualStartDate",
                f"started {start.isoformat()}, before the referral {episode.referral_date.isoformat()}",
            )


@child_rule("8608")
def _assessment_ends_after_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        a = episode.assessments[i]
        if a.start_date and a.authorisation_date and a.start_date > a.authorisation_date:
            yield Breach(
                f"{where}.AssessmentActualStartDate",
                f"started {a.start_date.isoformat()}, after its authorisation {a.authorisation_date.isoformat()}",
            )


@child_rule("8614")
def _factors_only_when_complete(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        a = episode.assessments[i]
        if a.factors and not a.completed:
            yield Breach(f"{where}.FactorsIdentifiedAtAssessment", "factors given and no AssessmentAuthorisationDate")


@child_rule("8670Q")
def _assessment_open_long(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: the start must not be before the reference date minus 45 working days.
    edge = working_day_before(year.reference_date, 45)
    for _path, episode, i, where in _assessments(child):
        a = episode.assessments[i]
        if a.start_date and not a.completed and a.start_date < edge:
            yield Breach(
                f"{where}.AssessmentActualStartDate",
                f"started {a.start_date.isoformat()}, before {edge.isoformat()} "
                f"(45 working days before {year.reference_date}), and not completed",
            )


@child_rule("8696")
def _assessment_end_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        end = episode.assessments[i].authorisation_date
        if end is not None and not year.in_period(end):
            yield Breach(
                f"{where}.AssessmentAuthorisationDate",
                f"{end.isoformat()} is outside {year.period_start} to {year.reference_date}",
            )


@child_rule("8736")
def _open_assessment_started_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        a = episode.assessments[i]
        if a.start_date is not None and not a.completed and not year.in_period(a.start_date):
            yield Breach(
                f"{where}.AssessmentActualStartDate",
                f"not completed, and started {a.start_date.isoformat()}, outside {year.period_start} "
                f"to {year.reference_date}",
            )


@child_rule("8863Q")
def _assessment_during_another(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        items = [
            (f"{path}.Assessments[{i}].AssessmentActualStartDate", a.start_date, a.authorisation_date)
            for i, a in enumerate(episode.assessments)
        ]
        for later, earlier in _overlaps(items):
            yield Breach(later, f"starts while {earlier.rpartition('.')[0]} is ongoing")


@child_rule("8867")
def _closed_with_open_assessment(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        if episode.closure_date is not None and not episode.assessments[i].completed:
            yield Breach(
                f"{where}.AssessmentAuthorisationDate",
                f"episode closed {episode.closure_date.isoformat()} and the assessment has no authorisation date",
            )


@child_rule("8896")
def _two_open_assessments(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        open_ones = [i for i, a in enumerate(episode.assessments) if not a.completed]
        if len(open_ones) > 1:
            for i in open_ones:
                yield Breach(
                    f"{path}.Assessments[{i}].AssessmentAuthorisationDate", f"{len(open_ones)} assessments are open"
                )


def _factor_path(where: str, index: int) -> str:
    return f"{where}.FactorsIdentifiedAtAssessment.AssessmentFactors[{index}]"


@child_rule("8869")
def _factor_21_alone(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        factors = episode.assessments[i].factors
        if "21" in factors and len(set(factors)) > 1:
            yield Breach(_factor_path(where, factors.index("21")), f"factors: {', '.join(factors)}")


@child_rule("8873Q")
def _factor_21_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # Checked once the episode has a reason for closure: an open episode has none to check.
    for path, episode in _episodes(child):
        if len(episode.assessments) != 1:
            continue
        only = episode.assessments[0]
        reason = episode.closure_reason
        if only.completed and "21" in only.factors and reason is not None and reason not in _AFTER_ASSESSMENT:
            yield Breach(f"{path}.ReasonForClosure", f"the only assessment found no factors (21) and it is {reason}")


@child_rule("8897Q")
def _completed_without_factors(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: where AssessmentAuthorisationDate is on or after the start of the census year,
    # one or more AssessmentFactors are present and each is a valid code.
    codes = year.codes("AssessmentFactors")
    for _path, episode, i, where in _assessments(child):
        a = episode.assessments[i]
        if a.authorisation_date is None or a.authorisation_date < year.period_start:
            continue
        invalid = [f for f in a.factors if f not in codes]
        if not a.factors or invalid:
            found = f"invalid factor(s) {', '.join(invalid)}" if invalid else "no AssessmentFactors"
            yield Breach(f"{where}.FactorsIdentifiedAtAssessment", f"authorised {a.authorisation_date} with {found}")


@child_rule("8898")
def _factor_twice(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _path, episode, i, where in _assessments(child):
        seen: set[str] = set()
        for k, code in enumerate(episode.assessments[i].factors):
            if code in seen:
                yield Breach(_factor_path(where, k), f"{code} is given more than once")
            seen.add(code)


def _retired_factor(code: str, instead: str) -> ChildCheck:
    def check(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
        for _path, episode, i, where in _assessments(child):
            factors = episode.assessments[i].factors
            if code in factors:
                yield Breach(_factor_path(where, factors.index(code)), f"{code} is used; use {instead}")

    return check


child_rule("8945Q")(_retired_factor("18A", "18B or 18C"))
child_rule("8950Q")(_retired_factor("19A", "19B or 19C"))


# --- CIN plans ---------------------------------------------------------------------------------------------------


def _cin_plans(child: CensusChild) -> Iterator[tuple[CinEpisode, str, dt.date | None, dt.date | None]]:
    for path, episode in _episodes(child):
        for i, plan in enumerate(episode.cin_plans):
            yield episode, f"{path}.CINPlanDates[{i}]", plan.start_date, plan.end_date


@child_rule("4001")
def _open_cin_and_protection_plans(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if any(p.end_date is None for p in episode.protection_plans):
            for i, plan in enumerate(episode.cin_plans):
                if plan.end_date is None:
                    yield Breach(f"{path}.CINPlanDates[{i}].CINPlanEndDate", "this CIN plan and a CP plan are open")


@child_rule("4003")
def _review_during_cin_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # Strictly inside the CIN plan: a review that ends a CP plan on the day a CIN plan starts is not flagged.
    for path, episode in _episodes(child):
        for k, plan in enumerate(episode.protection_plans):
            for r, review in enumerate(plan.review_dates):
                for cin in episode.cin_plans:
                    if review and cin.start_date and cin.start_date < review < (cin.end_date or _NEVER):
                        yield Breach(
                            f"{path}.ChildProtectionPlans[{k}].Reviews.CPPreviewDate[{r}]",
                            f"review on {review.isoformat()}, while a CIN plan from {cin.start_date} is open",
                        )
                        break


@child_rule("4004")
def _one_open_cin_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    open_plans = [where for _e, where, _s, end in _cin_plans(child) if end is None]
    if len(open_plans) > 1:
        for where in open_plans:
            yield Breach(f"{where}.CINPlanEndDate", f"{len(open_plans)} CIN plans have no end date")


@child_rule("4008")
def _cin_plan_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, start, _end in _cin_plans(child):
        if start and child.death_date and start > child.death_date:
            yield Breach(f"{where}.CINPlanStartDate", f"starts {start}, after the death on {child.death_date}")


@child_rule("4009Q")
def _cin_plan_ends_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, _start, end in _cin_plans(child):
        if end and child.death_date and end > child.death_date:
            yield Breach(f"{where}.CINPlanEndDate", f"ends {end}, after the death on {child.death_date}")


@child_rule("4010")
def _cin_plan_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, start, _end in _cin_plans(child):
        if start is None or start > year.reference_date:
            yield Breach(f"{where}.CINPlanStartDate", f"CINPlanStartDate is {_iso(start)}")


@child_rule("4011")
def _cin_plan_order(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, start, end in _cin_plans(child):
        if start and end and end < start:
            yield Breach(f"{where}.CINPlanEndDate", f"ends {end}, before its start {start}")


@child_rule("4012Q")
def _cin_plan_one_day(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, start, end in _cin_plans(child):
        if start and start == end:
            yield Breach(f"{where}.CINPlanEndDate", f"starts and ends on {start}")


@child_rule("4013")
def _cin_plan_end_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _e, where, _start, end in _cin_plans(child):
        if end is not None and not year.in_period(end):
            yield Breach(f"{where}.CINPlanEndDate", f"{end} is outside {year.period_start} to {year.reference_date}")


@child_rule("4014")
def _cin_plans_overlap(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    items = [(f"{where}.CINPlanStartDate", start, end) for _e, where, start, end in _cin_plans(child)]
    for later, earlier in _overlaps(items):
        yield Breach(later, f"starts during {earlier.rpartition('.')[0]}")


@child_rule("4015")
def _cin_plan_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, where, start, _end in _cin_plans(child):
        if start and episode.referral_date and start < episode.referral_date:
            yield Breach(f"{where}.CINPlanStartDate", f"starts {start}, before the referral {episode.referral_date}")


@child_rule("4016")
def _cin_plan_starts_in_cp_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        for i, cin in enumerate(episode.cin_plans):
            for k, cp in enumerate(episode.protection_plans):
                both_open = cin.end_date is None and cp.end_date is None
                if not both_open and _starts_during(cin.start_date, cp.start_date, cp.end_date):
                    yield Breach(
                        f"{path}.CINPlanDates[{i}].CINPlanStartDate",
                        f"starts {cin.start_date}, during ChildProtectionPlans[{k}] "
                        f"({cp.start_date} to {_iso(cp.end_date)})",
                    )


@child_rule("4017")
def _cp_plan_starts_in_cin_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        for k, cp in enumerate(episode.protection_plans):
            for i, cin in enumerate(episode.cin_plans):
                both_open = cin.end_date is None and cp.end_date is None
                if not both_open and _starts_during(cp.start_date, cin.start_date, cin.end_date):
                    yield Breach(
                        f"{path}.ChildProtectionPlans[{k}].CPPstartDate",
                        f"starts {cp.start_date}, during CINPlanDates[{i}] ({cin.start_date} to {_iso(cin.end_date)})",
                    )


# --- section 47 enquiries and initial conferences ------------------------------------------------------------------


def _section47s(child: CensusChild) -> Iterator[tuple[CinEpisode, int, str]]:
    for path, episode in _episodes(child):
        for i, _s47 in enumerate(episode.section47s):
            yield episode, i, f"{path}.Section47[{i}]"


@child_rule("1104")
def _icpc_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        for where, day in _icpc_dates(path, episode):
            if episode.referral_date and day < episode.referral_date:
                yield Breach(where, f"conference on {day}, before the referral {episode.referral_date}")


@child_rule("2889")
def _s47_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, i, where in _section47s(child):
        start = episode.section47s[i].start_date
        if start and episode.referral_date and start < episode.referral_date:
            yield Breach(f"{where}.S47ActualStartDate", f"started {start}, before the referral {episode.referral_date}")


@child_rule("8615")
def _s47_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, i, where in _section47s(child):
        s47 = episode.section47s[i]
        if s47.start_date is None:
            yield Breach(f"{where}.S47ActualStartDate", "S47ActualStartDate is missing")
        elif s47.icpc_date is not None and s47.start_date > s47.icpc_date:
            yield Breach(f"{where}.S47ActualStartDate", f"started {s47.start_date}, after its ICPC {s47.icpc_date}")


@child_rule("8675Q")
def _s47_open_long(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: the start must not be before the reference date minus 15 working days.
    edge = working_day_before(year.reference_date, 15)
    for episode, i, where in _section47s(child):
        s47 = episode.section47s[i]
        if s47.open and s47.start_date and s47.start_date < edge:
            yield Breach(
                f"{where}.S47ActualStartDate",
                f"started {s47.start_date}, before {edge} (15 working days before {year.reference_date}), "
                "with no conference",
            )


@child_rule("8715")
def _icpc_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        for where, day in _icpc_dates(path, episode):
            if not year.in_period(day):
                yield Breach(where, f"{day} is outside {year.period_start} to {year.reference_date}")


@child_rule("8740")
def _open_s47_started_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, i, where in _section47s(child):
        s47 = episode.section47s[i]
        if s47.open and s47.start_date is not None and not year.in_period(s47.start_date):
            yield Breach(
                f"{where}.S47ActualStartDate",
                f"no conference held or needed, and started {s47.start_date}, outside the census year",
            )


@child_rule("8839")
def _two_open_s47s(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        open_ones = [i for i, s in enumerate(episode.section47s) if s.open]
        if len(open_ones) > 1:
            for i in open_ones:
                yield Breach(f"{path}.Section47[{i}].DateOfInitialCPC", f"{len(open_ones)} enquiries are open")


@child_rule("8868")
def _closed_with_open_s47(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, i, where in _section47s(child):
        if episode.closure_date is not None and episode.section47s[i].open:
            yield Breach(
                f"{where}.DateOfInitialCPC",
                f"episode closed {episode.closure_date} with no conference date and ICPCnotRequired not set",
            )


@child_rule("8870Q")
def _target_on_weekend(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, i, where in _section47s(child):
        target = episode.section47s[i].icpc_target_date
        if target is not None and _weekend(target):
            yield Breach(f"{where}.InitialCPCtarget", f"{target} is a {target:%A}")


@child_rule("8875")
def _icpc_on_weekend(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        for where, day in _icpc_dates(path, episode):
            if _weekend(day):
                yield Breach(where, f"{day} is a {day:%A}")


@child_rule("8890")
def _s47_during_another(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # An enquiry is ongoing from its start until its conference, or without end while it is
    # open; one closed by "ICPC not required" has no end date to compare, and is left alone.
    for path, episode in _episodes(child):
        for j, later in enumerate(episode.section47s):
            for i, earlier in enumerate(episode.section47s):
                if i == j or later.start_date is None or earlier.start_date is None:
                    continue
                if earlier.start_date == later.start_date and i > j:
                    continue
                end = earlier.icpc_date if earlier.icpc_date is not None else (_NEVER if earlier.open else None)
                if end is not None and earlier.start_date <= later.start_date < end:
                    yield Breach(
                        f"{path}.Section47[{j}].S47ActualStartDate",
                        f"starts {later.start_date} while Section47[{i}] (from {earlier.start_date}) is ongoing",
                    )
                    break


@child_rule("2884")
def _icpc_recorded_twice(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in _episodes(child):
        if episode.icpc_date is not None and any(s.icpc_date == episode.icpc_date for s in episode.section47s):
            yield Breach(
                f"{path}.DateOfInitialCPC", f"{episode.icpc_date} is also the DateOfInitialCPC of a Section47 group"
            )


# --- child protection plans -------------------------------------------------------------------------------------------


def _plans(child: CensusChild) -> Iterator[tuple[CinEpisode, ProtectionPlan, str]]:
    for path, episode in _episodes(child):
        for i, plan in enumerate(episode.protection_plans):
            yield episode, plan, f"{path}.ChildProtectionPlans[{i}]"


@child_rule("1105")
def _plan_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, plan, where in _plans(child):
        if plan.start_date and episode.referral_date and plan.start_date < episode.referral_date:
            yield Breach(f"{where}.CPPstartDate", f"starts {plan.start_date}, before referral {episode.referral_date}")


@return_rule("2883")
class _MorePlansThanConferences(ReturnCheck):
    # DfE's text: counted over the authority's whole return, not episode by episode: plans starting
    # in the census year against conferences (at either level) held in it.
    plans = conferences = 0

    def add(self, index: int, child: CensusChild, lines: SourceLines | None) -> None:
        in_period = self.year.in_period
        for path, episode in _episodes(child):
            self.plans += sum(1 for p in episode.protection_plans if p.start_date and in_period(p.start_date))
            self.conferences += sum(1 for _w, d in _icpc_dates(path, episode) if in_period(d))

    def finish(self) -> Iterator[Breach]:
        if self.plans > self.conferences:
            yield Breach(
                "Children",
                f"{self.plans} child protection plan(s) start in the census year and {self.conferences} initial "
                "conference(s) are held in it",
            )


@child_rule("2885")
def _plan_starts_on_conference_day(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: a plan starting in the census year starts on a conference day of its episode
    # (a Section47 DateOfInitialCPC, or the CINdetails one); an episode with none fails too.
    for path, episode in _episodes(child):
        conferences = [d for _w, d in _icpc_dates(path, episode)]
        for i, plan in enumerate(episode.protection_plans):
            start = plan.start_date
            if start and year.in_period(start) and start not in conferences:
                days = ", ".join(d.isoformat() for d in conferences) or "none recorded"
                yield Breach(f"{path}.ChildProtectionPlans[{i}].CPPstartDate", f"starts {start}; conference(s): {days}")


@child_rule("8720")
def _plan_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.start_date is None or plan.start_date > year.reference_date:
            yield Breach(f"{where}.CPPstartDate", f"CPPstartDate is {_iso(plan.start_date)}")


@child_rule("8730")
def _previous_plans(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.previous_plans is None:
            yield Breach(f"{where}.NumberOfPreviousCPP", "NumberOfPreviousCPP is missing")


@child_rule("8840")
def _plan_one_day(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.start_date and plan.start_date == plan.end_date:
            yield Breach(f"{where}.CPPendDate", f"starts and ends on {plan.start_date}")


@child_rule("8841")
def _review_after_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        for r, review in enumerate(plan.review_dates):
            if review and plan.start_date and review <= plan.start_date:
                yield Breach(
                    f"{where}.Reviews.CPPreviewDate[{r}]", f"review on {review}, plan started {plan.start_date}"
                )


@child_rule("8842Q")
def _review_has_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        for r, review in enumerate(plan.review_dates):
            if review is None:
                yield Breach(f"{where}.Reviews.CPPreviewDate[{r}]", "the review has no date")


@child_rule("8905")
def _initial_category(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.initial_category not in year.codes("InitialCategoryOfAbuse"):
            yield Breach(f"{where}.InitialCategoryOfAbuse", f"InitialCategoryOfAbuse is {plan.initial_category}")


@child_rule("8910")
def _latest_category(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.latest_category not in year.codes("LatestCategoryOfAbuse"):
            yield Breach(f"{where}.LatestCategoryOfAbuse", f"LatestCategoryOfAbuse is {plan.latest_category}")


@child_rule("8915")
def _plan_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.start_date and child.death_date and plan.start_date > child.death_date:
            yield Breach(f"{where}.CPPstartDate", f"starts {plan.start_date}, after the death on {child.death_date}")


@child_rule("8920")
def _plan_ends_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.end_date and child.death_date and plan.end_date > child.death_date:
            yield Breach(f"{where}.CPPendDate", f"ends {plan.end_date}, after the death on {child.death_date}")


@child_rule("8925")
def _plan_order(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.start_date and plan.end_date and plan.end_date < plan.start_date:
            yield Breach(f"{where}.CPPendDate", f"ends {plan.end_date}, before its start {plan.start_date}")


@child_rule("8930")
def _plan_end_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.end_date is not None and not year.in_period(plan.end_date):
            yield Breach(
                f"{where}.CPPendDate", f"{plan.end_date} is outside {year.period_start} to {year.reference_date}"
            )


@child_rule("8935")
def _one_open_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    open_plans = [where for _e, plan, where in _plans(child) if plan.end_date is None]
    if len(open_plans) > 1:
        for where in open_plans:
            yield Breach(f"{where}.CPPendDate", f"{len(open_plans)} child protection plans have no end date")


@child_rule("8940")
def _plans_overlap(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    items = [(f"{where}.CPPstartDate", plan.start_date, plan.end_date) for _e, plan, where in _plans(child)]
    for later, earlier in _overlaps(items):
        yield Breach(later, f"starts during {earlier.rpartition('.')[0]}")
