"""CINdetails: each episode's referral, primary need and closure; what may follow a closure or no further action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..calendar import working_day_before
from ..census import CensusChild, CinEpisode
from ..years import CollectionYear
from .dates_and_paths import episodes, icpc_dates, iso
from .registry import Breach, child_rule


@child_rule("8590")
def _has_episode(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    if not child.episodes:
        yield Breach("", "the child has no CINdetails")


@child_rule("8568")
def _nfa_flag(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_nfa is None:
            yield Breach(f"{path}.ReferralNFA", f"ReferralNFA is missing or not {year.yes} or {year.no}")


@child_rule("8569Q")
def _nfa_referred_before_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    cutoff = working_day_before(year.period_start)
    for path, episode in episodes(child):
        if episode.referral_nfa and episode.referral_date is not None and episode.referral_date < cutoff:
            yield Breach(
                f"{path}.ReferralNFA",
                f"referred {episode.referral_date.isoformat()}, before {cutoff.isoformat()}, and flagged NFA",
            )


@child_rule("8600")
def _referral_date(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_date is None or episode.referral_date > year.reference_date:
            yield Breach(
                f"{path}.CINreferralDate",
                f"CINreferralDate is {iso(episode.referral_date)}; the period ends {year.reference_date}",
            )


@child_rule("8606")
def _referral_long_before_birth(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: not more than 280 days before PersonBirthDate or ExpectedPersonBirthDate; a
    # child with both is checked against both.
    born = [d for d in (child.birth_date, child.expected_birth_date) if d is not None]
    for path, episode in episodes(child):
        referred = episode.referral_date
        late = [d for d in born if referred is not None and referred < d - dt.timedelta(days=280)]
        if referred is not None and late:
            yield Breach(
                f"{path}.CINreferralDate",
                f"referred {referred.isoformat()}, more than 280 days (40 weeks) before {late[0].isoformat()}",
            )


@child_rule("8610")
def _primary_need_present(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_nfa is False and episode.primary_need is None:
            yield Breach(f"{path}.PrimaryNeedCode", "no PrimaryNeedCode and ReferralNFA is false")


@child_rule("8650")
def _primary_need_valid(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.primary_need is not None and episode.primary_need not in year.codes("PrimaryNeedCode"):
            yield Breach(f"{path}.PrimaryNeedCode", f"{episode.primary_need!r} is not a primary need code")


@child_rule("8866")
def _referral_source(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_source is None or episode.referral_source not in year.codes("ReferralSource"):
            yield Breach(
                f"{path}.ReferralSource",
                f"ReferralSource is {episode.referral_source or 'missing'} (the {year.year} code set applies)",
            )


@child_rule("8620")
def _closure_in_period(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.closure_date is not None and not year.in_period(episode.closure_date):
            yield Breach(
                f"{path}.CINclosureDate",
                f"{episode.closure_date.isoformat()} is outside {year.period_start} to {year.reference_date}",
            )


@child_rule("8630")
def _closure_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.closure_date and episode.referral_date and episode.closure_date < episode.referral_date:
            yield Breach(
                f"{path}.CINclosureDate",
                f"closed {episode.closure_date.isoformat()}, before the referral {episode.referral_date.isoformat()}",
            )


@child_rule("8640")
def _closure_reason_valid(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        reason = episode.closure_reason
        if reason is not None and reason not in year.codes("ReasonForClosure"):
            yield Breach(f"{path}.ReasonForClosure", f"{reason!r} is not in the {year.year} code set")


@child_rule("8805")
def _closure_has_reason(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.closure_date is not None and episode.closure_reason is None:
            yield Breach(f"{path}.ReasonForClosure", f"closed {episode.closure_date.isoformat()} with no reason")


@child_rule("8810")
def _reason_has_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
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


AFTER_ASSESSMENT = ("RC8", "RC9")


@child_rule("8825Q")
def _closed_after_assessment_without_one(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.closure_reason in AFTER_ASSESSMENT and not episode.assessments:
            yield Breach(f"{path}.ReasonForClosure", f"{episode.closure_reason} and the episode has no assessment")


@child_rule("2990")
def _activity_after_assessment_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # DfE's text: an episode closed RC8 (or RC9) has no Section47, ChildProtectionPlans or
    # CINPlanDates module, and no DateOfInitialCPC in the CINdetails module itself.
    for path, episode in episodes(child):
        if episode.closure_reason in AFTER_ASSESSMENT:
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
    for path, episode in episodes(child):
        if episode.section47s and not episode.assessments:
            yield Breach(path, f"{len(episode.section47s)} Section47 group(s) and no Assessments")


@child_rule("8565")
def _activity_after_closure(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
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
    for path, episode in episodes(child):
        if episode.referral_nfa is not True:
            continue
        found = []
        if any(a.start_date or a.authorisation_date for a in episode.assessments):
            found.append("an assessment")
        if any(s.start_date for s in episode.section47s):
            found.append("a section 47 enquiry")
        if list(icpc_dates(path, episode)):
            found.append("an initial child protection conference")
        if found:
            yield Breach(f"{path}.ReferralNFA", f"ReferralNFA is true and the episode has {', '.join(found)}")


@child_rule("8832")
def _plans_on_nfa(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_nfa is True and episode.protection_plans:
            yield Breach(f"{path}.ChildProtectionPlans[0]", "ReferralNFA is true and a child protection plan is given")


@child_rule("4000")
def _cin_plan_on_nfa(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.referral_nfa is True and episode.cin_plans:
            yield Breach(f"{path}.CINPlanDates[0]", "ReferralNFA is true and a CIN plan is given")
