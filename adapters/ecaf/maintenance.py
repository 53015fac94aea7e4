"""The nightly run: what National eCAF does each night, as of a day (seed §4.3 note 7).

Episodes never close by themselves, however long they have been open: only a practitioner's
decision closes one (or a transfer, or social care's answer). So the nightly run changes no
episode. It draws up, for managers, the episodes open longer than a year as of the day it runs,
which may prompt a practitioner's decision. A scheduler runs it as of the system's clock; an
accreditation run may run it as of another day (the test clock).
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ics_interop.model import IcsModel

from .context import Context
from .reports import OpenEpisode, open_episodes_report

__all__ = ["LONG_OPEN_DAYS", "MaintenanceReport", "run_maintenance"]

#: An episode open longer than this many days is listed as long open by the nightly run.
LONG_OPEN_DAYS = 365


class MaintenanceReport(IcsModel):
    """What one nightly run found. It closes nothing: every episode is as it was."""

    ran_on: dt.date = Field(description="The day the run was as of.")
    long_open: list[OpenEpisode] = Field(
        default_factory=list, description=f"Episodes open more than {LONG_OPEN_DAYS} days, oldest first."
    )


def run_maintenance(ctx: Context, now: dt.datetime | dt.date | None = None) -> MaintenanceReport:
    """The nightly run as of `now` (default: the clock): the episodes open more than a year."""
    if now is None:
        today = ctx.today()
    elif isinstance(now, dt.datetime):
        today = now.astimezone(dt.UTC).date() if now.tzinfo is not None else now.date()
    else:
        today = now
    return MaintenanceReport(ran_on=today, long_open=open_episodes_report(ctx, LONG_OPEN_DAYS, today))
