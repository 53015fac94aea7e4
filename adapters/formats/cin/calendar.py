"""Working days in England and Wales, for the census's timescale rules.

A working day is a weekday that is not a bank holiday in England and Wales. The bank
holidays come from the `holidays` package (its `GB` calendar, subdivision England, whose
bank holidays are Wales's too), including substitute days and one-off days such as the
2022 Platinum Jubilee and the 2023 Coronation.
"""

from __future__ import annotations

import datetime as dt
from functools import cache

__all__ = ["is_working_day", "working_day_before", "working_days_between"]


@cache
def _bank_holidays(year: int) -> frozenset[dt.date]:
    import holidays  # the census extra; imported when a working day is first counted

    calendar = holidays.country_holidays("GB", subdiv="ENG", years=year)
    return frozenset(calendar.keys())


def is_working_day(day: dt.date) -> bool:
    """A weekday that is not a bank holiday in England and Wales."""
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def working_days_between(start: dt.date, end: dt.date) -> int:
    """The working days after `start`, up to and including `end` (0 when `end` is not after `start`)."""
    count = 0
    day = start + dt.timedelta(days=1)
    while day <= end:
        count += is_working_day(day)
        day += dt.timedelta(days=1)
    return count


@cache  # the rules ask for the same few edges (1 April, 31 March) for every child
def working_day_before(day: dt.date, count: int = 1) -> dt.date:
    """The date `count` working days before `day` (`day` itself need not be a working day)."""
    found = day
    while count > 0:
        found -= dt.timedelta(days=1)
        if is_working_day(found):
            count -= 1
    return found
