"""Who may use the directory, and the audit log of every use.

Only registered users may search or view, each with a role (`DirectoryRole`), and every
access states a reason. Over HTTP the user is the subject of a verified access token (a
`Principal`), whose organisation must be the one the user is registered with; a Python
caller names the user directly. Every access is written to the audit log (`cp_audit`): who, through
which client, when, which records, the reason, and the outcome, including searches and views that were refused,
found nothing, or were malformed. A child-protection user overriding a child's shielding
also raises an alert (`cp_audit_alert`), for someone to look at.

The audit entry of a successful access is written in the same transaction as the reads it
records, so no record is ever shown without its entry; the entry of a failed access is
written on its own, after the failure, so the failure is kept.

A directory always keeps a data manager, and nobody changes their own role: registering the
only data manager with another role is refused (``CP-LAST-DATA-MANAGER``), whoever asks, and so
is a data manager re-registering themselves with another role (``CP-OWN-ROLE``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

import attrs
from sqlalchemy import func, insert, select, text
from sqlalchemy.engine import Connection

from ..auth.principal import Principal, audit_client
from .errors import AccessRefused, DirectoryConflict, DirectoryError, RecordNotFound
from .tables import DirectoryTables
from .views import AuditAlert, AuditEntry, DirectoryRole, PractitionerRegistration

__all__ = [
    "AuditLog",
    "User",
    "Viewer",
    "authorise",
    "keep_a_data_manager",
    "outcome_of",
    "serialise_registrations",
    "user_id_of",
]

#: Who is acting: a verified credential's principal (over HTTP), or a user ID (a Python caller).
User = str | Principal


def user_id_of(user: User | None) -> str | None:
    """The user ID of who is acting."""
    return user.subject if isinstance(user, Principal) else user


@attrs.frozen
class Viewer:
    """A registered user of the directory, as an access is made."""

    practitioner_id: str
    role: DirectoryRole
    organisation_id: str


def authorise(
    connection: Connection,
    tables: DirectoryTables,
    user: User | None,
    reason: str | None,
    *,
    roles: Iterable[DirectoryRole] = tuple(DirectoryRole),
    reason_required: bool = True,
) -> Viewer:
    """The registered user making an access, or `AccessRefused`: unregistered, wrong role or organisation, no reason."""
    practitioner_id = user_id_of(user)
    if not practitioner_id:
        raise AccessRefused(
            "CP-ACCESS-UNREGISTERED",
            "no user is named: the directory is open to registered practitioners only",
            where="Authorization",
            hint="send your access token: its subject is your directory user ID",
        )
    row = connection.execute(
        select(tables.practitioner).where(tables.practitioner.c.practitioner_id == practitioner_id)
    ).first()
    if row is None:
        raise AccessRefused(
            "CP-ACCESS-UNREGISTERED",
            f"{practitioner_id} is not a registered practitioner of the directory",
            where="Authorization",
            hint="ask a data manager to register you (POST /practitioners)",
        )
    viewer = Viewer(row.practitioner_id, DirectoryRole(row.role), row.organisation_id)
    if isinstance(user, Principal) and user.organisation_id != viewer.organisation_id:
        raise AccessRefused(
            "CP-ACCESS-ORGANISATION",
            f"the token names the organisation {user.organisation_id}, but {practitioner_id} is registered with "
            f"{viewer.organisation_id}",
            where="Authorization",
            hint="use a token from the organisation you are registered with, or ask a data manager to update "
            "your registration",
        )
    allowed = tuple(roles)
    if viewer.role not in allowed:
        raise AccessRefused(
            "CP-ACCESS-ROLE",
            f"the role {viewer.role.value!r} may not do this",
            where="Authorization",
            hint="this needs the role " + " or ".join(repr(r.value) for r in allowed),
        )
    if reason_required and not (reason or "").strip():
        raise AccessRefused(
            "CP-ACCESS-REASON",
            "no reason is given for the access: every access to the directory states why",
            where="X-Access-Reason",
            hint="say why you need the record, in the X-Access-Reason header (for example 'school attendance concern')",
        )
    return viewer


def serialise_registrations(connection: Connection) -> None:
    """On PostgreSQL, let one transaction at a time change who is registered, and with what role.

    Without it two data managers demoting each other at once would each see the other still a
    data manager, and leave the directory with none. (SQLite allows one writer at a time already.)
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _REGISTRATIONS_LOCK})


#: The advisory lock key of registration changes (any fixed number no other lock of the directory uses).
_REGISTRATIONS_LOCK = 0x43505245  # "CPRE"


def keep_a_data_manager(
    connection: Connection, tables: DirectoryTables, registration: PractitionerRegistration, by: str | None
) -> None:
    """Refuse a registration that would leave no data manager (CP-LAST-DATA-MANAGER), or change its author's role.

    `by` is the data manager registering (None: the operator, from the command line or Python).
    """
    table = tables.practitioner
    current = connection.execute(
        select(table.c.role).where(table.c.practitioner_id == registration.practitioner_id)
    ).scalar_one_or_none()
    if current is None or current == registration.role.value:
        return  # a new user, or the same role (a new name or organisation)
    if current == DirectoryRole.DATA_MANAGER.value:
        others = connection.execute(
            select(func.count())
            .select_from(table)
            .where(
                table.c.role == DirectoryRole.DATA_MANAGER.value,
                table.c.practitioner_id != registration.practitioner_id,
            )
        ).scalar_one()
        if not others:
            raise DirectoryConflict(
                "CP-LAST-DATA-MANAGER",
                f"{registration.practitioner_id} is the directory's only data manager: registering them as "
                f"{registration.role.value!r} would leave no one to register users, set shielding or resolve held "
                "messages",
                where="role",
                hint="register another data manager first (POST /practitioners with the role 'data-manager'), "
                "who can then change this registration",
            )
    if by is not None and by == registration.practitioner_id:
        raise AccessRefused(
            "CP-OWN-ROLE",
            f"{by} may not change their own role (from {current!r} to {registration.role.value!r})",
            where="role",
            hint="ask another data manager to change your role; you may re-register yourself with your own role",
        )


def outcome_of(error: DirectoryError) -> str:
    """The audit outcome of a failed access."""
    if isinstance(error, AccessRefused):
        return "refused"
    if isinstance(error, RecordNotFound):
        return "not-found"
    return "invalid"


class AuditLog:
    """Writes and reads the audit log and its alerts."""

    def __init__(self, tables: DirectoryTables) -> None:
        self.tables = tables

    def write(
        self,
        connection: Connection,
        *,
        at: dt.datetime,
        practitioner_id: str | None,
        action: str,
        outcome: str,
        reason: str | None,
        records: Sequence[str] = (),
        query: dict[str, Any] | None = None,
        detail: str = "",
        alerts: Iterable[tuple[str, str]] = (),
    ) -> int:
        """Record one access; `alerts` are (ContactPoint ID, reason) pairs of shielding overridden."""
        result = connection.execute(
            insert(self.tables.audit).values(
                at=at,
                practitioner_id=(practitioner_id or "(none)")[:64],
                client_id=audit_client()[:200],
                action=action,
                outcome=outcome,
                reason=(reason or "")[:1000],
                records=list(records),
                query=query or {},
                detail=detail[:1000],
            )
        )
        (audit_id,) = result.inserted_primary_key or (None,)
        if audit_id is None:
            raise RuntimeError("the database gave the audit entry no ID")
        for contactpoint_id, alert_reason in alerts:
            connection.execute(
                insert(self.tables.audit_alert).values(
                    audit_id=audit_id,
                    at=at,
                    kind="shielding-override",
                    practitioner_id=(practitioner_id or "")[:64],
                    contactpoint_id=contactpoint_id,
                    reason=alert_reason[:1000],
                )
            )
        return int(audit_id)

    def entries(
        self,
        connection: Connection,
        *,
        contactpoint_id: str | None = None,
        practitioner_id: str | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        """The most recent entries first, for one record or one user if asked."""
        audit = self.tables.audit
        query = select(audit).order_by(audit.c.audit_id.desc())
        if practitioner_id is not None:
            query = query.where(audit.c.practitioner_id == practitioner_id)
        entries = []
        # The record IDs are a JSON list; filtering them here keeps one query for both databases.
        for row in connection.execute(query).mappings():
            if contactpoint_id is not None and contactpoint_id not in row["records"]:
                continue
            entries.append(AuditEntry.model_validate({**row, "at": _aware(row["at"])}))
            if len(entries) >= limit:
                break
        return entries

    def alerts(self, connection: Connection) -> list[AuditAlert]:
        """Every alert, the most recent first."""
        alert = self.tables.audit_alert
        rows = connection.execute(select(alert).order_by(alert.c.alert_id.desc())).mappings()
        return [AuditAlert.model_validate({**row, "at": _aware(row["at"])}) for row in rows]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
