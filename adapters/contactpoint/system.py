"""The ContactPoint directory: the feed it receives, the searches it answers, and its data management.

`ContactPointDirectory` is the reference system. Its receiver takes F1, F2 and F3 messages
(`feed`); its Python API and HTTP routes (`http`) serve registered practitioners
(`search`, `view`) and data managers (registration, shielding, the match queue, maintenance,
the audit log). Every method that reads a child's record writes the audit log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Generic, Literal, TypeVar

import attrs
from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from ics_interop.messages import Acknowledgement, SystemRef
from ics_interop.model import Child
from ics_interop.model.codes import SystemKind

from ..messaging import Clock, Receiver, Transport, utc_now
from ..storage import Store
from .access import (
    AuditLog,
    User,
    Viewer,
    authorise,
    keep_a_data_manager,
    outcome_of,
    serialise_registrations,
    user_id_of,
)
from .errors import AccessRefused, DirectoryConflict, DirectoryError, RecordNotFound
from .feed import FEED_TYPES, DirectoryFeed
from .matching import serialise_matching
from .records import SearchCriteria, find, render
from .retention import DEFAULT_RETENTION_YEARS, MaintenanceReport, maintain
from .tables import DirectoryTables
from .views import (
    AuditAlert,
    AuditEntry,
    DirectoryRecord,
    DirectoryRole,
    MatchCandidate,
    MatchQueueEntry,
    MatchResolution,
    MatchResolved,
    PractitionerRegistration,
    RegisteredPractitioner,
    SearchResult,
    ShieldingChange,
    ShieldingState,
)

__all__ = ["CONTACTPOINT_IDENTITY", "ContactPointDirectory", "run_maintenance"]

#: The directory as the examples address it: one national system, run for the DCSF.
CONTACTPOINT_IDENTITY = SystemRef(
    system=SystemKind.CONTACTPOINT,
    organisation_id="DCSF",
    organisation_name="Department for Children, Schools and Families",
)

_DATA_MANAGER = (DirectoryRole.DATA_MANAGER,)
T = TypeVar("T")


@attrs.frozen
class Access(Generic[T]):
    """What an audited operation returns, and what its audit entry records."""

    result: T
    records: list[str] = attrs.field(factory=list)  # the ContactPoint IDs accessed
    alerts: list[tuple[str, str]] = attrs.field(factory=list)  # (ContactPoint ID, reason) of shielding overridden
    detail: str = ""


class ContactPointDirectory:
    """The national directory of children (seed §2.2, §5.2): fed one way, searched by authorised practitioners."""

    #: How messages are applied (the conformance suite's broken directories put a broken one here).
    feed_type: type[DirectoryFeed] = DirectoryFeed

    def __init__(
        self,
        db_url: str,
        *,
        identity: SystemRef,
        clock: Clock = utc_now,
        retention_years: int = DEFAULT_RETENTION_YEARS,
        search_limit: int = 25,
    ) -> None:
        if identity.system is not SystemKind.CONTACTPOINT:
            raise ValueError(
                f"a ContactPoint directory's identity must be of kind 'contactpoint', not {identity.system.value!r}"
            )
        if retention_years < 0 or search_limit < 1:
            raise ValueError("retention_years must be zero or more, and search_limit one or more")
        self.identity = identity
        self.clock = clock
        self.retention_years = retention_years
        self.search_limit = search_limit
        self.tables = DirectoryTables()
        self.store = Store(db_url, self.tables.metadata)
        if ("cp_child_name", "date_of_birth") in self.store.added_columns:
            self._fill_name_birth_dates()
        self.feed = self.feed_type(self.tables, clock)
        self.audit = AuditLog(self.tables)
        self.receiver = Receiver(
            self.store,
            self.tables.messaging,
            identity,
            {cls.message_type: self.feed.handle for cls in FEED_TYPES},
            clock,
        )
        #: The directory sends nothing but acknowledgements, which go back on the same delivery (seed §5.2).
        self.outbox = None
        self._routes: dict[str, Transport] = {}

    def _fill_name_birth_dates(self) -> None:
        """A store from before names carried the child's birth date: copy it from each record."""
        name, child = self.tables.name, self.tables.child
        born = select(child.c.date_of_birth).where(child.c.contactpoint_id == name.c.contactpoint_id)
        with self.store.transaction() as connection:
            connection.execute(update(name).values(date_of_birth=born.scalar_subquery()))

    # --- the shared conventions of the reference systems -----------------------------------------

    def connect(self, route: str, transport: Transport) -> None:
        """Register a route. The directory is fed one way and never sends, so no route is ever used."""
        self._routes[route] = transport

    def deliver(self) -> list[Acknowledgement]:
        """Flush the outbox: the directory has none (it never updates the systems that feed it, seed §5.2)."""
        return []

    def dispose(self) -> None:
        """Close the store's connections."""
        self.store.dispose()

    # --- audited operations ------------------------------------------------------------------------

    def _audited(
        self,
        action: str,
        user: User | None,
        reason: str | None,
        query: dict[str, object],
        run: Callable[[Connection, dt.datetime], Access[T]],
        *,
        records_if_failed: list[str] | None = None,
    ) -> T:
        """Run an operation and its audit entry in one transaction; a failure is audited on its own."""
        now = self.clock()
        practitioner_id = user_id_of(user)
        try:
            with self.store.transaction() as connection:
                access = run(connection, now)
                self.audit.write(
                    connection,
                    at=now,
                    practitioner_id=practitioner_id,
                    action=action,
                    outcome="ok",
                    reason=reason,
                    records=access.records,
                    query=query,
                    detail=access.detail,
                    alerts=access.alerts,
                )
            return access.result
        except DirectoryError as error:
            with self.store.transaction() as connection:
                self.audit.write(
                    connection,
                    at=now,
                    practitioner_id=practitioner_id,
                    action=action,
                    outcome=outcome_of(error),
                    reason=reason,
                    records=records_if_failed or [],
                    query=query,
                    detail=f"{error.rule_id}: {error.message}",
                )
            raise

    def _override(self, viewer: Viewer, override_shielding: str | None) -> bool:
        if override_shielding is None:
            return False
        if viewer.role is not DirectoryRole.CHILD_PROTECTION:
            raise AccessRefused(
                "CP-ACCESS-ROLE",
                "only a child-protection user may override shielding",
                where="X-Override-Shielding",
                hint="leave out the override; the record is shown shielded",
            )
        if not override_shielding.strip():
            raise AccessRefused(
                "CP-ACCESS-REASON",
                "overriding shielding needs a stated reason",
                where="X-Override-Shielding",
                hint="give the child-protection reason for seeing the child's location",
            )
        return True

    # --- practitioners: search and view ----------------------------------------------------------

    def search(
        self,
        *,
        practitioner_id: User | None,
        reason: str | None,
        family_name: str | None = None,
        given_names: str | None = None,
        date_of_birth: dt.date | str | None = None,
        postcode: str | None = None,
        identifier: str | None = None,
        override_shielding: str | None = None,
    ) -> SearchResult:
        """Find live records by name, date of birth, postcode or identifier; audited, refused without a reason."""
        raw = {
            "familyName": family_name,
            "givenNames": given_names,
            "dateOfBirth": date_of_birth.isoformat() if isinstance(date_of_birth, dt.date) else date_of_birth,
            "postcode": postcode,
            "identifier": identifier,
        }
        query: dict[str, object] = {key: value for key, value in raw.items() if value}

        def run(connection: Connection, now: dt.datetime) -> Access[SearchResult]:
            viewer = authorise(connection, self.tables, practitioner_id, reason)
            reveal = self._override(viewer, override_shielding)
            criteria = SearchCriteria.parse(
                family_name=family_name,
                given_names=given_names,
                date_of_birth=date_of_birth,
                postcode=postcode,
                identifier=identifier,
            )
            ids = [row.contactpoint_id for row in connection.execute(find(self.tables, criteria, self.search_limit))]
            shown = ids[: self.search_limit]
            records = [render(connection, self.tables, i, viewer, now.date(), reveal_location=reveal) for i in shown]
            alerts = [(r.contactpoint_id, override_shielding or "") for r in records if reveal and r.shielded]
            detail = f"shielding overridden: {override_shielding}" if alerts else ""
            return Access(SearchResult(records=records, truncated=len(ids) > len(shown)), shown, alerts, detail)

        return self._audited("search", practitioner_id, reason, query, run)

    def view(
        self,
        contactpoint_id: str,
        *,
        practitioner_id: User | None,
        reason: str | None,
        override_shielding: str | None = None,
    ) -> DirectoryRecord:
        """One live record; audited, refused without a reason. A child-protection override raises an alert."""

        def run(connection: Connection, now: dt.datetime) -> Access[DirectoryRecord]:
            viewer = authorise(connection, self.tables, practitioner_id, reason)
            reveal = self._override(viewer, override_shielding)
            self._live(connection, contactpoint_id)
            record = render(connection, self.tables, contactpoint_id, viewer, now.date(), reveal_location=reveal)
            alerts = [(contactpoint_id, override_shielding or "")] if reveal and record.shielded else []
            detail = f"shielding overridden: {override_shielding}" if alerts else ""
            return Access(record, [contactpoint_id], alerts, detail)

        return self._audited(
            "view",
            practitioner_id,
            reason,
            {"contactpointId": contactpoint_id},
            run,
            records_if_failed=[contactpoint_id],
        )

    def _live(self, connection: Connection, contactpoint_id: str) -> None:
        child = self.tables.child
        row = connection.execute(select(child.c.status).where(child.c.contactpoint_id == contactpoint_id)).first()
        if row is None or row.status != "live":
            raise RecordNotFound(
                "CP-NOT-FOUND",
                f"no live record has the ContactPoint ID {contactpoint_id}",
                where="contactpointId",
                hint="search by name and date of birth; records are archived at the 18th birthday",
            )

    # --- data management -------------------------------------------------------------------------

    def register_practitioner(
        self, registration: PractitionerRegistration, *, by: User | None = None
    ) -> RegisteredPractitioner:
        """Register (or re-register, with a new role) an authorised user.

        Over HTTP `by` is always a data manager; from Python, `by=None` is the operator
        setting up the first data manager.
        """

        def run(connection: Connection, now: dt.datetime) -> Access[RegisteredPractitioner]:
            serialise_registrations(connection)
            if by is not None:
                authorise(connection, self.tables, by, None, roles=_DATA_MANAGER, reason_required=False)
            self._keep_a_data_manager(connection, registration, by)
            table = self.tables.practitioner
            values = {
                "name": registration.name.model_dump(mode="json", by_alias=True),
                "role": registration.role.value,
                "organisation_id": registration.organisation_id,
                "registered_at": now,
                "registered_by": user_id_of(by),
            }
            exists = connection.execute(
                select(table.c.practitioner_id).where(table.c.practitioner_id == registration.practitioner_id)
            ).first()
            if exists is None:
                connection.execute(table.insert().values(practitioner_id=registration.practitioner_id, **values))
            else:
                connection.execute(
                    update(table).where(table.c.practitioner_id == registration.practitioner_id).values(**values)
                )
            registered = RegisteredPractitioner(
                **registration.model_dump(), registered_at=now, registered_by=user_id_of(by)
            )
            detail = f"{registration.practitioner_id} registered as {registration.role.value}"
            return Access(registered, detail=detail)

        return self._audited(
            "register-practitioner", by or "(operator)", None, {"practitionerId": registration.practitioner_id}, run
        )

    def _keep_a_data_manager(
        self, connection: Connection, registration: PractitionerRegistration, by: User | None
    ) -> None:
        """CP-LAST-DATA-MANAGER and CP-OWN-ROLE (`access.keep_a_data_manager`)."""
        keep_a_data_manager(connection, self.tables, registration, user_id_of(by))

    def set_shielding(self, contactpoint_id: str, change: ShieldingChange, *, by: User | None) -> ShieldingState:
        """Shield a child's location, or lift the shielding (data managers, with a reason; audited)."""

        def run(connection: Connection, now: dt.datetime) -> Access[ShieldingState]:
            authorise(connection, self.tables, by, change.reason, roles=_DATA_MANAGER)
            self._live(connection, contactpoint_id)
            connection.execute(
                update(self.tables.child)
                .where(self.tables.child.c.contactpoint_id == contactpoint_id)
                .values(shielded=change.shielded)
            )
            detail = "shielded" if change.shielded else "shielding lifted"
            state = ShieldingState(contactpoint_id=contactpoint_id, shielded=change.shielded)
            return Access(state, [contactpoint_id], detail=detail)

        return self._audited(
            "set-shielding", by, change.reason, {"shielded": change.shielded}, run, records_if_failed=[contactpoint_id]
        )

    def match_queue(self, *, by: User | None, include_resolved: bool = False) -> list[MatchQueueEntry]:
        """Messages held for a data manager, with the records they might be about (audited: it shows records)."""

        def run(connection: Connection, now: dt.datetime) -> Access[list[MatchQueueEntry]]:
            authorise(connection, self.tables, by, None, roles=_DATA_MANAGER, reason_required=False)
            queue = self.tables.match_queue
            query = select(queue).order_by(queue.c.entry_id)
            if not include_resolved:
                query = query.where(queue.c.status == "held")
            entries = []
            shown: list[str] = []
            for row in connection.execute(query):
                candidates = [self._candidate(connection, c) for c in row.candidates]
                shown += [c.contactpoint_id for c in candidates if c is not None]
                message = self.feed.held_message(row.message)
                entries.append(
                    MatchQueueEntry(
                        entry_id=row.entry_id,
                        received_at=_aware(row.received_at),
                        message_id=row.message_id,
                        message_type=row.message_type,
                        sender=row.sender,
                        reason=row.reason,
                        child=message.child.model_dump(mode="json", by_alias=True, exclude_none=True),
                        candidates=[c for c in candidates if c is not None],
                        status=row.status,
                        contactpoint_id=row.contactpoint_id,
                    )
                )
            return Access(entries, sorted(set(shown)), detail=f"{len(entries)} queue entries")

        return self._audited("match-queue", by, "match queue review", {}, run)

    def _candidate(self, connection: Connection, contactpoint_id: str) -> MatchCandidate | None:
        row = connection.execute(
            select(self.tables.child).where(self.tables.child.c.contactpoint_id == contactpoint_id)
        ).first()
        if row is None:
            return None  # purged since
        child = Child.model_validate(row.details)
        return MatchCandidate(
            contactpoint_id=contactpoint_id,
            name=child.name,
            date_of_birth=child.date_of_birth or child.expected_date_of_birth,
            # Data managers match on it, but a shielded child's postcode is not shown to them either.
            postcode=None if row.shielded else row.postcode_key,
            shielded=bool(row.shielded),
            status=row.status,
        )

    def resolve_match(self, entry_id: int, resolution: MatchResolution, *, by: User | None) -> MatchResolved:
        """Apply a held message to the record a data manager names (merge), or to a new record (new).

        Shielding survives: if the target or any candidate record is shielded, the result is.
        """

        def run(connection: Connection, now: dt.datetime) -> Access[MatchResolved]:
            authorise(connection, self.tables, by, resolution.reason, roles=_DATA_MANAGER)
            queue = self.tables.match_queue
            entry = connection.execute(select(queue).where(queue.c.entry_id == entry_id)).first()
            if entry is None:
                raise RecordNotFound(
                    "CP-NOT-FOUND",
                    f"no queue entry {entry_id}",
                    where="entryId",
                    hint="list the queue: GET /match-queue",
                )
            if entry.status != "held":
                raise DirectoryConflict(
                    "CP-QUEUE-RESOLVED",
                    f"queue entry {entry_id} was resolved already (to {entry.contactpoint_id})",
                    where="entryId",
                    hint="nothing to do",
                )
            message = self.feed.held_message(entry.message)
            serialise_matching(connection, message.child)
            child = self.tables.child
            candidates = list(entry.candidates)
            shielded = any(
                row.shielded
                for row in connection.execute(select(child.c.shielded).where(child.c.contactpoint_id.in_(candidates)))
            )
            target = self._resolution_target(connection, resolution, message.child)
            if target is None:
                target = self.feed.create_record(connection, message.child, shielded=shielded)
            else:
                shielded = shielded or bool(
                    connection.execute(select(child.c.shielded).where(child.c.contactpoint_id == target)).scalar_one()
                )
            self.feed.apply(connection, target, message, refuse=False)
            if shielded:
                connection.execute(update(child).where(child.c.contactpoint_id == target).values(shielded=True))
            connection.execute(
                update(queue)
                .where(queue.c.entry_id == entry_id)
                .values(
                    status="resolved",
                    resolved_at=now,
                    resolved_by=user_id_of(by),
                    resolution=resolution.action,
                    resolution_reason=resolution.reason,
                    contactpoint_id=target,
                )
            )
            resolved = MatchResolved(
                entry_id=entry_id, action=resolution.action, contactpoint_id=target, shielded=shielded
            )
            records = [target, *(c for c in candidates if c != target)]
            return Access(resolved, records, detail=f"queue entry {entry_id}: {resolution.action} into {target}")

        return self._audited(
            "resolve-match", by, resolution.reason, {"entryId": entry_id, "action": resolution.action}, run
        )

    def _resolution_target(self, connection: Connection, resolution: MatchResolution, child: Child) -> str | None:
        action: Literal["merge", "new"] = resolution.action
        if action == "new":
            if resolution.contactpoint_id is not None:
                raise DirectoryError(
                    "CP-INPUT",
                    "a new record gets its own ContactPoint ID",
                    where="contactpointId",
                    hint="leave out contactpointId, or use action 'merge'",
                )
            return None
        if resolution.contactpoint_id is None:
            raise DirectoryError(
                "CP-INPUT",
                "merging needs the record to merge into",
                where="contactpointId",
                hint="give the ContactPoint ID of the record the message is about",
            )
        self._live(connection, resolution.contactpoint_id)
        sent = child.identifiers.contactpoint_id
        if sent is not None and sent != resolution.contactpoint_id:
            exists = connection.execute(
                select(self.tables.child.c.contactpoint_id).where(self.tables.child.c.contactpoint_id == sent)
            ).first()
            if exists is not None:
                raise DirectoryConflict(
                    "CP-IDENTIFIER-CONFLICT",
                    f"the message names ContactPoint ID {sent}, another record",
                    where="child.identifiers.contactpointId",
                    hint=f"merge the message into {sent} instead",
                )
        return resolution.contactpoint_id

    def run_maintenance(self, now: dt.datetime | None = None, *, by: User | None = None) -> MaintenanceReport:
        """Expire involvements a year after their end, archive at 18 (or a year after death), purge after retention.

        `now` defaults to the directory's clock; tests step through time with it. Over HTTP
        `by` is a data manager; from Python (the command line), `by=None` is the operator.
        """
        moment = now or self.clock()

        def run(connection: Connection, _: dt.datetime) -> Access[MaintenanceReport]:
            if by is not None:
                authorise(connection, self.tables, by, None, roles=_DATA_MANAGER, reason_required=False)
            report = maintain(connection, self.tables, moment, self.retention_years)
            records = report.archived_at_eighteen + report.archived_after_death + report.purged
            detail = (
                f"as of {moment.isoformat()}: {report.involvements_expired} involvements expired, "
                f"{len(report.archived_at_eighteen) + len(report.archived_after_death)} archived, "
                f"{len(report.purged)} purged"
            )
            return Access(report, records, detail=detail)

        return self._audited("maintenance", by or "(operator)", "scheduled maintenance", {}, run)

    def audit_log(
        self,
        *,
        by: User | None,
        contactpoint_id: str | None = None,
        practitioner_id: str | None = None,
        limit: int = 500,
    ) -> list[AuditEntry]:
        """The audit log, the most recent first (data managers)."""
        with self.store.transaction() as connection:
            authorise(connection, self.tables, by, None, roles=_DATA_MANAGER, reason_required=False)
            return self.audit.entries(
                connection, contactpoint_id=contactpoint_id, practitioner_id=practitioner_id, limit=limit
            )

    def audit_alerts(self, *, by: User | None) -> list[AuditAlert]:
        """Alerts raised by shielding overrides, the most recent first (data managers)."""
        with self.store.transaction() as connection:
            authorise(connection, self.tables, by, None, roles=_DATA_MANAGER, reason_required=False)
            return self.audit.alerts(connection)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def run_maintenance(
    db_url: str,
    *,
    now: dt.datetime | None = None,
    retention_years: int = DEFAULT_RETENTION_YEARS,
    identity: SystemRef = CONTACTPOINT_IDENTITY,
) -> MaintenanceReport:
    """Run the directory's maintenance on the store at `db_url` (for the command line and schedulers)."""
    directory = ContactPointDirectory(db_url, identity=identity, retention_years=retention_years)
    try:
        return directory.run_maintenance(now)
    finally:
        directory.dispose()
