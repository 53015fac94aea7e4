"""Checks over the whole return: the header's reference date, duplicate identifiers, and the return's percentages."""

from __future__ import annotations

from collections.abc import Iterator

from ..census import CensusChild, Header, Sex
from ..reader import SourceLines
from ..years import CollectionYear
from .dates_and_paths import ids, iso
from .registry import Breach, ReturnCheck, return_rule


@return_rule("100")
class _ReferenceDate(ReturnCheck):
    def start(self, header: Header | None) -> Iterator[Breach]:
        found = header.reference_date if header is not None else None
        if found != self.year.reference_date:
            yield Breach(
                "Header.CollectionDetails.ReferenceDate",
                f"ReferenceDate is {iso(found)}; for the {self.year.year} collection it is "
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
            line = lines.line(index, ids(self.field)) if lines is not None else None
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
            yield Breach(ids(self.field), detail, child=index, line=line, value=value)


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
