"""Management reporting: episodes open a long time (seed §4.3 note 7).

National eCAF never closes an episode by itself; it lists the ones that have stayed open
longer than a given number of days, which may prompt a closure decision. The report names
the episode, how long it has been open, who leads it and who is responsible: no child's name
and no CAF content, since a manager reading it holds no consent for any one child.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field

from ics_interop.model import IcsModel
from ics_interop.model.codes import CafResponsibility

from . import episodes
from .context import Context
from .errors import InvalidInput

__all__ = ["OpenEpisode", "open_episodes_report"]


class OpenEpisode(IcsModel):
    """One line of the open-episodes report."""

    episode_id: str = Field(description="The episode.")
    opened_on: dt.date = Field(description="The date it was opened.")
    days_open: int = Field(description="Whole days since it was opened.")
    responsibility: CafResponsibility = Field(description="The CAF lead and the TAC, or social care.")
    lead_professional_id: str | None = Field(default=None, description="The lead professional, once appointed.")
    last_review_on: dt.date | None = Field(default=None, description="The date of the latest review, if any.")


def open_episodes_report(
    ctx: Context, older_than_days: int, now: dt.datetime | dt.date | None = None
) -> list[OpenEpisode]:
    """Episodes open for more than `older_than_days` days as of `now` (default: the clock), oldest first."""
    if isinstance(older_than_days, bool) or not isinstance(older_than_days, int) or older_than_days < 0:
        raise InvalidInput(
            "MODEL-GREATER-THAN-EQUAL",
            f"olderThanDays must be a whole number of days, 0 or more, not {older_than_days!r}",
            where="olderThanDays",
            hint="ask for, say, olderThanDays=365 to list episodes open for more than a year",
        )
    if now is None:
        today = ctx.today()
    elif isinstance(now, dt.datetime):
        today = now.astimezone(dt.UTC).date() if now.tzinfo is not None else now.date()
    else:
        today = now
    # Open longer than N days: opened before today minus N days.
    cutoff = today - dt.timedelta(days=older_than_days)
    with ctx.store.reading() as connection:
        found = list(episodes.open_episodes_opened_before(connection, ctx.tables, cutoff))
    return [
        OpenEpisode(
            episode_id=e.episode_id,
            opened_on=e.opened_on,
            days_open=(today - e.opened_on).days,
            responsibility=e.responsibility,
            lead_professional_id=e.lead_professional.practitioner_id if e.lead_professional else None,
            last_review_on=max((r.review_date for r in e.reviews), default=None),
        )
        for e in found
    ]
