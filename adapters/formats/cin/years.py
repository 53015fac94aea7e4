"""What changes with the collection year: schema, sex element and codes, yes/no spellings, code sets, rules.

A collection year is named by the year its census period ends: the 2022 return covers
1 April 2021 to 31 March 2022, and 31 March 2022 is its reference date. The schemas are
Social Finance's, built from DfE's specification (`schemas/CIN_schema_YYYY.xsd`, shipped as
data); they change as follows:

| year | sex element and codes | yes/no | UPN pattern | NumberOfPreviousCPP | code sets |
|---|---|---|---|---|---|
| 2022 | `GenderCurrent` 1/2/0/9 | true/false/TRUE/FALSE/0/1 | two patterns | 1 or more | no 5D, no RC9 |
| 2023, 2024 | `GenderCurrent` 1/2/0/9 | true/false/TRUE/FALSE/0/1 | two patterns | 1 or more | + source 5D, RC9 |
| 2025, 2026 | `Sex` M/F/U | 0/1 only | one pattern | 0 or more | + factors 18A and 19A kept |

The code sets a rule checks against are read from the year's schema itself, so the rules
and the schema cannot disagree. The census rules in force are the data-to-insight
validator's rule sets (`data/rule_list.csv`): 2022-23 for 2022 and 2023 (there is none
older), plus the 2023-24 changes for 2024, plus the 2024-25 changes for 2025 and 2026.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from functools import cache
from importlib import resources

import attrs
from lxml import etree

from ics_interop.codecs.safe_xml import parse_xml
from ics_interop.errors import UnusableInputError

from .census import Sex

__all__ = [
    "GENDER_CURRENT_CODES",
    "SEX_CODES",
    "YEARS",
    "CollectionYear",
    "collection_year",
    "read_yes_no",
    "sex_from_code",
]

_XS = "{http://www.w3.org/2001/XMLSchema}"

#: `GenderCurrent`, up to 2024.
GENDER_CURRENT_CODES: Mapping[str, Sex] = {"1": Sex.MALE, "2": Sex.FEMALE, "0": Sex.UNKNOWN, "9": Sex.INDETERMINATE}
#: `Sex`, from 2025. Indeterminate has no code of its own and is written as U.
SEX_CODES: Mapping[str, Sex] = {"M": Sex.MALE, "F": Sex.FEMALE, "U": Sex.UNKNOWN}

_YES_NO = {"true": True, "TRUE": True, "1": True, "false": False, "FALSE": False, "0": False}


def sex_from_code(element: str, code: str) -> Sex | None:
    """The sex a code stands for in the element that carries it, or None for a code it does not know."""
    table = GENDER_CURRENT_CODES if element == "GenderCurrent" else SEX_CODES
    return table.get(code)


def read_yes_no(text: str) -> bool | None:
    """A census yes/no flag in any spelling any year has allowed; None when it is none of them."""
    return _YES_NO.get(text)


@attrs.frozen
class CollectionYear:
    """One collection year of the census, and how a return for it is spelled and checked."""

    year: int
    #: The validator rule sets in force, oldest first; a later set's rule replaces an earlier one's.
    rulesets: tuple[str, ...]
    sex_element: str
    yes: str
    no: str
    #: The smallest NumberOfPreviousCPP the year's schema accepts.
    min_previous_plans: int

    @property
    def reference_date(self) -> dt.date:
        """31 March of the year: the last day of the census period."""
        return dt.date(self.year, 3, 31)

    @property
    def period_start(self) -> dt.date:
        """1 April of the year before: the first day of the census period."""
        return dt.date(self.year - 1, 4, 1)

    def in_period(self, day: dt.date) -> bool:
        """Whether a date falls in the census period (both ends included)."""
        return self.period_start <= day <= self.reference_date

    @property
    def schema_file(self) -> str:
        """The name of the year's schema among the package's data."""
        return f"CIN_schema_{self.year}.xsd"

    def schema_bytes(self) -> bytes:
        """The year's XML Schema document."""
        return _schema_bytes(self.year)

    def codes(self, element: str) -> frozenset[str]:
        """The codes the year's schema allows in an element (empty for an element without a code list)."""
        return _codes(self.year, element)

    def sex_code(self, sex: Sex) -> str:
        """How the year writes a sex: 1/2/0/9 up to 2024, M/F/U from 2025."""
        table = GENDER_CURRENT_CODES if self.sex_element == "GenderCurrent" else SEX_CODES
        for code, value in table.items():
            if value is sex:
                return code
        return "U"  # indeterminate, from 2025: the census has only "unknown"

    @property
    def unborn_sex_code(self) -> str:
        """The sex code an unborn child must have (rule 8750)."""
        return self.sex_code(Sex.UNKNOWN)

    def yes_no(self, value: bool) -> str:
        """How the year writes a yes/no flag."""
        return self.yes if value else self.no


@cache
def _schema_bytes(year: int) -> bytes:
    return resources.files("ics_interop.adapters.formats.cin").joinpath(f"schemas/CIN_schema_{year}.xsd").read_bytes()


@cache
def _schema_tree(year: int) -> etree._ElementTree:
    return parse_xml(_schema_bytes(year))


@cache
def _codes(year: int, element: str) -> frozenset[str]:
    root = _schema_tree(year).getroot()
    found: set[str] = set()
    for declaration in root.iter(f"{_XS}element"):
        if declaration.get("name") != element:
            continue
        type_name = declaration.get("type")
        if type_name is None:
            found.update(e.get("value", "") for e in declaration.iter(f"{_XS}enumeration"))
            continue
        for simple in root.iter(f"{_XS}simpleType"):
            if simple.get("name") == type_name:
                found.update(e.get("value", "") for e in simple.iter(f"{_XS}enumeration"))
    return frozenset(found)


_BASE = ("cin2022_23",)

#: The collection years the package supports, by year.
YEARS: Mapping[int, CollectionYear] = {
    2022: CollectionYear(2022, _BASE, "GenderCurrent", "true", "false", 1),
    2023: CollectionYear(2023, _BASE, "GenderCurrent", "true", "false", 1),
    2024: CollectionYear(2024, (*_BASE, "cin2023_24"), "GenderCurrent", "true", "false", 1),
    2025: CollectionYear(2025, (*_BASE, "cin2023_24", "cin2024_25"), "Sex", "1", "0", 0),
    2026: CollectionYear(2026, (*_BASE, "cin2023_24", "cin2024_25", "cin2025_26"), "Sex", "1", "0", 0),
}


def collection_year(year: int | CollectionYear) -> CollectionYear:
    """The collection year `year`, or `UnusableInputError` for a year the package has no schema for."""
    if isinstance(year, CollectionYear):
        return year
    try:
        return YEARS[year]
    except KeyError:
        known = ", ".join(str(y) for y in YEARS)
        raise UnusableInputError(
            f"there is no CIN census schema for {year}",
            hint=f"give one of the collection years {known} (the year the census period ends on 31 March)",
        ) from None
