"""The access audit: who saw, changed or was refused an episode, when, and why.

Every read is recorded with its reason, permitted or not; so is every change, every
disclosure (a referral, a pre-populated assessment, a transfer) and every refusal for want of
consent. A refusal is recorded in a transaction of its own, because the change it refused
is rolled back.
"""

from __future__ import annotations

import datetime as dt

from pydantic import Field
from sqlalchemy import insert, select
from sqlalchemy.engine import Connection

from ics_interop.model import IcsModel

from ..auth.principal import audit_client
from ..storage import Store
from .errors import ConsentRefused
from .tables import EcafTables

__all__ = ["AccessRecord", "access_log", "record", "record_refusal"]


class AccessRecord(IcsModel):
    """One entry of the access audit."""

    at: dt.datetime = Field(description="When (UTC).")
    episode_id: str = Field(description="The episode.")
    practitioner_id: str | None = Field(default=None, description="The practitioner, where one acted.")
    organisation_id: str | None = Field(default=None, description="Their organisation, or the one disclosed to.")
    action: str = Field(
        description="read, read-refused, changed, change-refused, disclosed, disclosure-refused or received."
    )
    reason: str = Field(description="The reason given, or what was done.")
    client_id: str = Field(description="The authenticated client the request came through.")


def record(
    connection: Connection,
    tables: EcafTables,
    *,
    at: dt.datetime,
    episode_id: str,
    practitioner_id: str | None,
    organisation_id: str | None,
    action: str,
    reason: str,
) -> None:
    """Add an entry to the audit, inside the caller's transaction."""
    connection.execute(
        insert(tables.access_audit).values(
            at=at,
            episode_id=episode_id,
            practitioner_id=practitioner_id,
            organisation_id=organisation_id,
            action=action,
            reason=reason[:2000],
            client_id=audit_client()[:200],
        )
    )


def record_refusal(store: Store, tables: EcafTables, refused: ConsentRefused, *, at: dt.datetime, action: str) -> None:
    """Record a refusal for want of consent, in a transaction of its own."""
    with store.transaction() as connection:
        record(
            connection,
            tables,
            at=at,
            episode_id=refused.episode_id,
            practitioner_id=refused.practitioner_id,
            organisation_id=refused.organisation_id,
            action=action,
            reason=refused.purpose,
        )


def access_log(store: Store, tables: EcafTables, episode_id: str | None = None) -> list[AccessRecord]:
    """The audit, oldest first, for one episode or all."""
    query = select(tables.access_audit).order_by(tables.access_audit.c.seq)
    if episode_id is not None:
        query = query.where(tables.access_audit.c.episode_id == episode_id)
    with store.reading() as connection:
        rows = connection.execute(query).mappings().all()
    return [
        AccessRecord(
            at=row["at"] if row["at"].tzinfo is not None else row["at"].replace(tzinfo=dt.UTC),
            episode_id=row["episode_id"],
            practitioner_id=row["practitioner_id"],
            organisation_id=row["organisation_id"],
            action=row["action"],
            reason=row["reason"],
            client_id=row["client_id"],
        )
        for row in rows
    ]
