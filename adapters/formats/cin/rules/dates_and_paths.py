"""What many census checks share: dates shown and compared, and the paths of a child's episodes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from ..census import CensusChild, CinEpisode

NEVER = dt.date.max


def iso(day: dt.date | None) -> str:
    return day.isoformat() if day is not None else "(none)"


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes 28 February in other years."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def ids(field: str) -> str:
    return f"ChildIdentifiers.{field}"


def episodes(child: CensusChild) -> Iterator[tuple[str, CinEpisode]]:
    for i, episode in enumerate(child.episodes):
        yield f"CINdetails[{i}]", episode


def icpc_dates(path: str, episode: CinEpisode) -> Iterator[tuple[str, dt.date]]:
    """Every initial conference date with its path: at episode level and in each section 47 group."""
    if episode.icpc_date is not None:
        yield f"{path}.DateOfInitialCPC", episode.icpc_date
    for i, s47 in enumerate(episode.section47s):
        if s47.icpc_date is not None:
            yield f"{path}.Section47[{i}].DateOfInitialCPC", s47.icpc_date


def starts_during(start: dt.date | None, other_start: dt.date | None, other_end: dt.date | None) -> bool:
    """Whether `start` falls on or after `other_start` and before `other_end` (open-ended when None)."""
    if start is None or other_start is None:
        return False
    return other_start <= start < (other_end or NEVER)


def overlaps(items: list[tuple[str, dt.date | None, dt.date | None]]) -> Iterator[tuple[str, str]]:
    """Pairs (later item's path, earlier item's path) where the later starts during the earlier.

    Two items that are both open are left to the "more than one open" rules.
    """
    for j, (path_b, start_b, end_b) in enumerate(items):
        for i, (path_a, start_a, end_a) in enumerate(items):
            if i == j or (end_a is None and end_b is None):
                continue
            if starts_during(start_b, start_a, end_a) and (start_a != start_b or i < j):
                yield path_b, path_a
                break
