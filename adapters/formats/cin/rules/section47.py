"""Section47: section 47 enquiries and initial child protection conferences, their dates and their overlaps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..calendar import working_day_before
from ..census import CensusChild, CinEpisode
from ..years import CollectionYear
from .dates_and_paths import NEVER, episodes, icpc_dates
from .registry import Breach, child_rule


def _weekend(day: dt.date) -> bool:
    return day.weekday() >= 5


def _section47s(child: CensusChild) -> Iterator[tuple[CinEpisode, int, str]]:
    for path, episode in episodes(child):
        for i, _s47 in enumerate(episode.section47s):
            yield episode, i, f"{path}.Section47[{i}]"


@child_rule("1104")
def _icpc_after_referral(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        for where, day in icpc_dates(path, episode):
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
    for path, episode in episodes(child):
        for where, day in icpc_dates(path, episode):
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
    for path, episode in episodes(child):
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
    for path, episode in episodes(child):
        for where, day in icpc_dates(path, episode):
            if _weekend(day):
                yield Breach(where, f"{day} is a {day:%A}")


@child_rule("8890")
def _s47_during_another(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    # An enquiry is ongoing from its start until its conference, or without end while it is
    # open; one closed by "ICPC not required" has no end date to compare, and is left alone.
    for path, episode in episodes(child):
        for j, later in enumerate(episode.section47s):
            for i, earlier in enumerate(episode.section47s):
                if i == j or later.start_date is None or earlier.start_date is None:
                    continue
                if earlier.start_date == later.start_date and i > j:
                    continue
                end = earlier.icpc_date if earlier.icpc_date is not None else (NEVER if earlier.open else None)
                if end is not None and earlier.start_date <= later.start_date < end:
                    yield Breach(
                        f"{path}.Section47[{j}].S47ActualStartDate",
                        f"starts {later.start_date} while Section47[{i}] (from {earlier.start_date}) is ongoing",
                    )
                    break


@child_rule("2884")
def _icpc_recorded_twice(child: CensusChild, year: CollectionYear) -> Iterator[Breach]:
    for path, episode in episodes(child):
        if episode.icpc_date is not None and any(s.icpc_date == episode.icpc_date for s in episode.section47s):
            yield Breach(
                f"{path}.DateOfInitialCPC", f"{episode.icpc_date} is also the DateOfInitialCPC of a Section47 group"
            )
