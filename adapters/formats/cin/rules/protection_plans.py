"""ChildProtectionPlans: the plans, their categories of abuse, their reviews, and their dates."""

from __future__ import annotations

from collections.abc import Iterator

from ..census import CensusChild, CinEpisode, ProtectionPlan
from ..reader import SourceLines
from ..years import CollectionYear
from .dates_and_paths import episodes, icpc_dates, iso, overlaps
from .registry import Breach, ReturnCheck, child_rule, return_rule


def _plans(child: CensusChild) -> Iterator[tuple[CinEpisode, ProtectionPlan, str]]:
    for path, episode in episodes(child):
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
        for path, episode in episodes(child):
            self.plans += sum(1 for p in episode.protection_plans if p.start_date and in_period(p.start_date))
            self.conferences += sum(1 for _w, d in icpc_dates(path, episode) if in_period(d))

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
    for path, episode in episodes(child):
        conferences = [d for _w, d in icpc_dates(path, episode)]
        for i, plan in enumerate(episode.protection_plans):
            start = plan.start_date
            if start and year.in_period(start) and start not in conferences:
                days = ", ".join(d.isoformat() for d in conferences) or "none recorded"
                yield Breach(f"{path}.ChildProtectionPlans[{i}].CPPstartDate", f"starts {start}; conference(s): {days}")


@child_rule("8720")
def _plan_start(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for _episode, plan, where in _plans(child):
        if plan.start_date is None or plan.start_date > year.reference_date:
            yield Breach(f"{where}.CPPstartDate", f"CPPstartDate is {iso(plan.start_date)}")


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
    for later, earlier in overlaps(items):
        yield Breach(later, f"starts during {earlier.rpartition('.')[0]}")
