"""ChildIdentifiers: UPNs, the LA's child IDs, and the dates of birth and death and sex they carry."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from ics_interop.model.identifiers import is_known_la_code, upn_check_letter

from ..census import CensusChild, Sex
from ..years import CollectionYear
from .dates_and_paths import add_years, episodes, ids, iso
from .registry import Breach, child_rule

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # DfE's alphabet for UPN letters: no I, O or S
_UPN_FORM = re.compile(rf"^[{_UPN_LETTERS}][0-9]{{11}}[0-9{_UPN_LETTERS}]$")
_LA_CHILD_ID = re.compile(r"^[A-Za-z0-9]*$")


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


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
        yield Breach(ids("UPN"), f"{upn} starts with {upn[0]!r}; its check letter is {expected!r}")


@child_rule("1530")
def _upn_la_code(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn is not None and not is_known_la_code(child.upn[1:4]):
        yield Breach(ids("UPN"), f"characters 2-4 of {child.upn} are {child.upn[1:4]!r}")


@child_rule("1540")
def _upn_digits(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn is not None and not (len(child.upn[4:12]) == 8 and child.upn[4:12].isdigit()):
        yield Breach(ids("UPN"), f"characters 5-12 of {child.upn} are {child.upn[4:12]!r}")


@child_rule("1550")
def _upn_last_character(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    upn = child.upn
    if upn is not None and (len(upn) < 13 or upn[12] not in "0123456789" + _UPN_LETTERS):
        found = repr(upn[12]) if len(upn) >= 13 else "missing"
        yield Breach(ids("UPN"), f"character 13 of {upn} is {found}: a digit, or a letter other than I, O or S")


@child_rule("1560Q")
def _former_upn_form(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # The form only: a letter, eleven digits, and a digit or letter (DfE's alphabet, no I, O or S).
    if child.former_upn is not None and not _UPN_FORM.match(child.former_upn):
        yield Breach(ids("FormerUPN"), f"{child.former_upn!r} is not a UPN's form")


@child_rule("1570")
def _child_id_length(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.la_child_id is not None and len(child.la_child_id) > 20:
        yield Breach(ids("LAchildID"), f"{child.la_child_id!r} has {len(child.la_child_id)} characters")


@child_rule("1580")
def _child_id_characters(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.la_child_id is not None and not _LA_CHILD_ID.match(child.la_child_id):
        odd = sorted({ch for ch in child.la_child_id if not _LA_CHILD_ID.match(ch)})
        yield Breach(ids("LAchildID"), f"{child.la_child_id!r} contains {''.join(odd)!r}")


@child_rule("8500")
def _child_id_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if not child.la_child_id:
        yield Breach(ids("LAchildID"), "LAchildID is missing or empty")


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
        yield Breach(ids("UPN"), "neither UPN nor UPNunknown is given")
    elif year.sex_element == "Sex" and child.upn_unknown == "UN1":
        yield Breach(ids("UPNunknown"), f"UPNunknown is UN1 for a child born {child.birth_date.isoformat()}")


@child_rule("8772")
def _un7_but_further_action(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.upn_unknown == "UN7" and any(e.referral_nfa is False for e in child.episodes):
        yield Breach(ids("UPNunknown"), "UPNunknown is UN7 and a referral has ReferralNFA false")


# --- birth, death, sex ----------------------------------------------------------------------------------


@child_rule("4180")
def _sex_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.sex is None:
        codes = ", ".join(sorted(year.codes(year.sex_element)))
        yield Breach(ids(year.sex_element), f"{year.sex_element} is missing or not one of {codes}")


@child_rule("8750")
def _unborn_sex(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.unborn and child.sex is not None and child.sex is not Sex.UNKNOWN:
        yield Breach(
            ids(year.sex_element),
            f"{year.sex_element} is {year.sex_code(child.sex)} for a child expected on "
            f"{iso(child.expected_birth_date)}; it must be {year.unborn_sex_code}",
        )


@child_rule("8520")
def _born_by_reference_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.birth_date is not None and child.birth_date > year.reference_date:
        yield Breach(ids("PersonBirthDate"), f"{child.birth_date.isoformat()} is after {year.reference_date}")


@child_rule("8525Q")
def _birth_or_expected(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if (child.birth_date is None) == (child.expected_birth_date is None):
        found = "both are given" if child.birth_date is not None else "neither is given"
        yield Breach(ids("PersonBirthDate"), found)


@child_rule("8530Q")
def _expected_birth_in_range(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    expected = child.expected_birth_date
    if expected is not None and not dt.date(year.year, 3, 1) <= expected <= dt.date(year.year, 12, 31):
        yield Breach(
            ids("ExpectedPersonBirthDate"),
            f"{expected.isoformat()} is not between {year.year}-03-01 and {year.year}-12-31",
        )


@child_rule("8535Q")
def _death_after_birth(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.death_date is not None and child.birth_date is not None and child.death_date < child.birth_date:
        yield Breach(
            ids("PersonDeathDate"),
            f"died {child.death_date.isoformat()}, before the birth date {child.birth_date.isoformat()}",
        )


@child_rule("8545Q")
def _death_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if child.death_date is not None and not year.in_period(child.death_date):
        yield Breach(
            ids("PersonDeathDate"),
            f"{child.death_date.isoformat()} is outside {year.period_start} to {year.reference_date}",
        )


@child_rule("8775Q")
def _over_25(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: born before the reference date minus 25 years, and an episode still open or
    # closed after the 25th birthday (a child aged exactly 25 on the day is not "over 25").
    born = child.birth_date
    if born is None:
        return
    birthday_25 = add_years(born, 25)
    if not born < add_years(year.reference_date, -25):
        return
    for _path, episode in episodes(child):
        if episode.closure_date is None or episode.closure_date > birthday_25:
            on = episode.closure_date or year.reference_date
            yield Breach(ids("PersonBirthDate"), f"born {born.isoformat()}, over 25 on {on}")
            return


@child_rule("8555Q")
def _referred_after_death(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if child.death_date and episode.referral_date and episode.referral_date > child.death_date:
            yield Breach(
                f"{path}.CINreferralDate",
                f"referred {episode.referral_date.isoformat()}, after the death on {child.death_date.isoformat()}",
            )


@child_rule("8585Q")
def _died_without_death_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.closure_reason == "RC2" and child.death_date is None:
            yield Breach(f"{path}.ReasonForClosure", "ReasonForClosure is RC2 (died) and there is no PersonDeathDate")
