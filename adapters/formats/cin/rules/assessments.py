"""Assessments: their dates within the episode and the period, and the factors identified at assessment."""

from __future__ import annotations

from collections.abc import Iterator

from ..calendar import working_day_before
from ..census import CensusChild, CinEpisode
from ..years import CollectionYear
from .cin_details import AFTER_ASSESSMENT
from .dates_and_paths import episodes, overlaps
from .registry import Breach, ChildCheck, child_rule


def _assessments(child: CensusChild) -> Iterator[tuple[str, CinEpisode, int, str]]:
    for path, episode in episodes(child):
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
    for path, episode in episodes(child):
        items = [
            (f"{path}.Assessments[{i}].AssessmentActualStartDate", a.start_date, a.authorisation_date)
            for i, a in enumerate(episode.assessments)
        ]
        for later, earlier in overlaps(items):
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
    for path, episode in episodes(child):
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
    for path, episode in episodes(child):
        if len(episode.assessments) != 1:
            continue
        only = episode.assessments[0]
        reason = episode.closure_reason
        if only.completed and "21" in only.factors and reason is not None and reason not in AFTER_ASSESSMENT:
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
