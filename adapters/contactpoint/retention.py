"""How long the directory shows and keeps what it holds, and the maintenance run that applies it.

- An ended involvement stays visible, with its contact, for one year after its end (seed
  §3.1: John's team is still listed a year on); after that it is no longer shown, and
  maintenance deletes it.
- A record is archived at the child's 18th birthday (seed §2.2: "up to their 18th
  birthday"): it can no longer be searched or viewed.
- A child's death keeps the record live for one more year from the date of death (DOMAIN.md,
  SI 2007/2182), whatever the child's age then; then it is archived.
- An archived record is purged (deleted) after a retention period, six years by default.

The visibility rules are applied when a record is read, whenever maintenance last ran;
maintenance does the archiving, purging and deleting, in one transaction.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import delete, or_, select, update
from sqlalchemy.engine import Connection

from .tables import DirectoryTables
from .views import DirectoryModel

__all__ = [
    "DEFAULT_RETENTION_YEARS",
    "MaintenanceReport",
    "add_years",
    "archive_due_on",
    "involvement_visible",
    "maintain",
    "visible_until",
]

#: Years an archived record is kept before it is purged.
DEFAULT_RETENTION_YEARS = 6


def add_years(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (or earlier); 29 February becomes 1 March, as birthdays do in law."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def visible_until(end_date: dt.date) -> dt.date:
    """The last day an involvement that ended on `end_date` is shown (seed §3.1)."""
    return add_years(end_date, 1)


def involvement_visible(end_date: dt.date | None, today: dt.date) -> bool:
    """Whether an involvement is shown today: while it lasts, and for a year after it ends."""
    return end_date is None or today <= visible_until(end_date)


def archive_due_on(date_of_birth: dt.date | None, died_on: dt.date | None) -> dt.date | None:
    """The day a record is archived: a year after death, or else the 18th birthday."""
    if died_on is not None:
        return add_years(died_on, 1)
    if date_of_birth is not None:
        return add_years(date_of_birth, 18)
    return None


class MaintenanceReport(DirectoryModel):
    """What one maintenance run did."""

    ran_at: dt.datetime
    involvements_expired: int = Field(description="Ended involvements deleted, a year after their end.")
    archived_at_eighteen: list[str] = Field(description="Records archived at the 18th birthday.")
    archived_after_death: list[str] = Field(description="Records archived a year after the child's death.")
    purged: list[str] = Field(description="Archived records deleted after the retention period.")


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything the directory stores is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def maintain(
    connection: Connection, tables: DirectoryTables, now: dt.datetime, retention_years: int
) -> MaintenanceReport:
    """Expire involvements, archive and purge records as of `now`, inside the caller's transaction."""
    today = now.date()
    expired = _expire_involvements(connection, tables, today)
    at_eighteen, after_death = _archive(connection, tables, now)
    purged = _purge(connection, tables, today, retention_years)
    return MaintenanceReport(
        ran_at=now,
        involvements_expired=expired,
        archived_at_eighteen=at_eighteen,
        archived_after_death=after_death,
        purged=purged,
    )


def _expire_involvements(connection: Connection, tables: DirectoryTables, today: dt.date) -> int:
    inv = tables.involvement
    # A coarse cut in SQL, then the exact rule in Python, so the two never disagree on 29 February.
    rows = connection.execute(
        select(inv.c.row_id, inv.c.end_date).where(inv.c.end_date <= today - dt.timedelta(days=364))
    ).all()
    gone = [row.row_id for row in rows if not involvement_visible(row.end_date, today)]
    if gone:
        connection.execute(delete(inv).where(inv.c.row_id.in_(gone)))
    return len(gone)


def _archive(connection: Connection, tables: DirectoryTables, now: dt.datetime) -> tuple[list[str], list[str]]:
    child = tables.child
    today = now.date()
    rows = connection.execute(
        select(child.c.contactpoint_id, child.c.date_of_birth, child.c.died_on)
        .where(child.c.status == "live")
        .where(or_(child.c.died_on.is_not(None), child.c.date_of_birth <= add_years(today, -17)))
        .order_by(child.c.contactpoint_id)
    ).all()
    at_eighteen: list[str] = []
    after_death: list[str] = []
    for row in rows:
        due = archive_due_on(row.date_of_birth, row.died_on)
        if due is None or due > today:
            continue
        (after_death if row.died_on is not None else at_eighteen).append(row.contactpoint_id)
    archived = at_eighteen + after_death
    if archived:
        connection.execute(
            update(child).where(child.c.contactpoint_id.in_(archived)).values(status="archived", archived_at=now)
        )
    return at_eighteen, after_death


def _purge(connection: Connection, tables: DirectoryTables, today: dt.date, retention_years: int) -> list[str]:
    child = tables.child
    rows = connection.execute(
        select(child.c.contactpoint_id, child.c.archived_at)
        .where(child.c.status == "archived")
        .order_by(child.c.contactpoint_id)
    ).all()
    purged = [
        row.contactpoint_id
        for row in rows
        if row.archived_at is not None and add_years(_aware(row.archived_at).date(), retention_years) <= today
    ]
    if purged:
        for table in (tables.involvement, tables.caf_indicator, tables.identifier, tables.name):
            connection.execute(delete(table).where(table.c.contactpoint_id.in_(purged)))
        connection.execute(delete(child).where(child.c.contactpoint_id.in_(purged)))
    return purged
