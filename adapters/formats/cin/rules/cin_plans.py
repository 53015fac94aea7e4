"""CINplanDates: child in need plans, their dates, and how they sit with child protection plans."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..census import CensusChild, CinEpisode
from ..years import CollectionYear
from .dates_and_paths import NEVER, episodes, iso, overlaps, starts_during
from .registry import Breach, child_rule


def _cin_plans(child: CensusChild) -> Iterator[tuple[CinEpisode, str, dt.date | None, dt.date | None]]:
    for path, episode in episodes(child):
        for i, plan in enumerate(episode.cin_plans):
            yield episode, f"{path}.CINPlanDates[{i}]", plan.start_date, plan.end_date


@child_rule("4001")
def _open_cin_and_protection_plans(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if any(p.end_date is None for p in episode.protection_plans):
            for i, plan in enumerate(episode.cin_plans):
                if plan.end_date is None:
                    yield Breach(f"{path}.CINPlanDates[{i}].CINPlanEndDate", "this CIN plan and a CP plan are open")


@child_rule("4003")
def _review_during_cin_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # Strictly inside the CIN plan: a review that ends a CP plan on the day a CIN plan starts is not flagged.
    for path, episode in episodes(child):
        for k, plan in enumerate(episode.protection_plans):
            for r, review in enumerate(plan.review_dates):
                for cin in episode.cin_plans:
                    if review and cin.start_date and cin.start_date < review < (cin.end_date or NEVER):
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
            yield Breach(f"{where}.CINPlanStartDate", f"CINPlanStartDate is {iso(start)}")


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
    for later, earlier in overlaps(items):
        yield Breach(later, f"starts during {earlier.rpartition('.')[0]}")


@child_rule("4015")
def _cin_plan_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for episode, where, start, _end in _cin_plans(child):
        if start and episode.referral_date and start < episode.referral_date:
            yield Breach(f"{where}.CINPlanStartDate", f"starts {start}, before the referral {episode.referral_date}")


@child_rule("4016")
def _cin_plan_starts_in_cp_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        for i, cin in enumerate(episode.cin_plans):
            for k, cp in enumerate(episode.protection_plans):
                both_open = cin.end_date is None and cp.end_date is None
                if not both_open and starts_during(cin.start_date, cp.start_date, cp.end_date):
                    yield Breach(
                        f"{path}.CINPlanDates[{i}].CINPlanStartDate",
                        f"starts {cin.start_date}, during ChildProtectionPlans[{k}] "
                        f"({cp.start_date} to {iso(cp.end_date)})",
                    )


@child_rule("4017")
def _cp_plan_starts_in_cin_plan(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        for k, cp in enumerate(episode.protection_plans):
            for i, cin in enumerate(episode.cin_plans):
                both_open = cin.end_date is None and cp.end_date is None
                if not both_open and starts_during(cp.start_date, cin.start_date, cin.end_date):
                    yield Breach(
                        f"{path}.ChildProtectionPlans[{k}].CPPstartDate",
                        f"starts {cp.start_date}, during CINPlanDates[{i}] ({cin.start_date} to {iso(cin.end_date)})",
                    )
