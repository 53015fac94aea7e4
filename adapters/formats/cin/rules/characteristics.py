"""ChildCharacteristics and Disabilities: ethnicity and the disability codes of each child."""

from __future__ import annotations

from collections.abc import Iterator

from ..census import CensusChild
from ..years import CollectionYear
from .registry import Breach, child_rule


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
