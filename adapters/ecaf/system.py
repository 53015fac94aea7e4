"""National eCAF, the reference system: the national store of CAF episodes (seed §2.2, §4.2, §4.3, §5.3).

`NationalEcaf` is the whole system: its store (tables prefixed `ecaf_`), its receiver (the
messages it accepts: SocialCareReferralResponse, StepDown, EpisodeTransfer, MigrationBatch),
its outbox (what it sends: CafIndicatorUpdate to ContactPoint, SocialCareReferral and
InitialAssessmentPrepopulation to an ICS, EpisodeTransfer to a local eCAF), the practitioner
API, and its HTTP service. It talks to ContactPoint and the ICS systems only through the
standard's messages.
"""

from __future__ import annotations

import datetime as dt
from functools import partial

from sqlalchemy import MetaData

from ics_interop import MessageType, SystemRef
from ics_interop.messages import Acknowledgement, MigrationBatch
from ics_interop.model import (
    CafAction,
    CafAssessment,
    CafEpisode,
    CafReview,
    Child,
    ConsentRecord,
    Practitioner,
)
from ics_interop.model.codes import CafClosureReason, SystemKind

from ..auth.principal import Principal
from ..messaging import Clock, Outbox, Transport, utc_now
from ..storage import Store
from . import audit, maintenance, practice, reports, stepping, transfer
from .audit import AccessRecord
from .context import Context
from .errors import RoleRefused
from .handling import refusing
from .maintenance import MaintenanceReport
from .migration import MigrationReport, Migrations
from .receiving import EcafReceiver
from .refusals import refusal
from .reports import OpenEpisode
from .tables import EcafTables
from .users import EcafRole, RegisteredUser, UserRegistration, acting_practitioner, register_user, require_role

__all__ = ["CONTACTPOINT", "NationalEcaf"]

#: The national directory, as National eCAF addresses it unless told otherwise.
CONTACTPOINT = SystemRef(
    system=SystemKind.CONTACTPOINT,
    organisation_id="DCSF",
    organisation_name="Department for Children, Schools and Families",
)


class NationalEcaf:
    """The National eCAF reference system."""

    def __init__(
        self,
        db_url: str,
        *,
        identity: SystemRef,
        clock: Clock = utc_now,
        contactpoint: SystemRef = CONTACTPOINT,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.tables = EcafTables(MetaData())
        self.store = Store(db_url, self.tables.metadata)
        self.outbox = Outbox(self.tables.messaging, clock)
        self.transports: dict[str, Transport] = {}
        self.ctx = Context(
            store=self.store,
            tables=self.tables,
            outbox=self.outbox,
            identity=identity,
            contactpoint=contactpoint,
            clock=clock,
        )
        self.migrations = Migrations(self.ctx)
        self.receiver = EcafReceiver(
            self.store,
            self.tables.messaging,
            identity,
            {
                MessageType.SOCIAL_CARE_REFERRAL_RESPONSE: refusing(
                    partial(stepping.handle_referral_response, self.ctx)
                ),
                MessageType.STEP_DOWN: refusing(partial(stepping.handle_step_down, self.ctx)),
                MessageType.EPISODE_TRANSFER: refusing(partial(transfer.handle_episode_transfer, self.ctx)),
                MessageType.MIGRATION_BATCH: refusing(self.migrations.handle),
            },
            clock,
            self.migrations,
        )

    # --- wiring ------------------------------------------------------------------------------

    def connect(self, route: str, transport: Transport) -> None:
        """Deliver the outbox's messages for `route` ("contactpoint", "ics:<organisation>", ...) through `transport`."""
        self.transports[route] = transport

    def deliver(self) -> list[Acknowledgement]:
        """Send what is due in the outbox; return the acknowledgements received."""
        return self.outbox.deliver(self.store, self.transports)

    def close(self) -> None:
        """Close the store's connections."""
        self.store.dispose()

    # --- practitioners -----------------------------------------------------------------------

    def log_episode(
        self,
        *,
        child: Child,
        assessment: CafAssessment,
        consents: list[ConsentRecord],
        by: Practitioner,
        episode_id: str | None = None,
        opened_on: dt.date | None = None,
    ) -> CafEpisode:
        """Log a CAF episode with its assessment and consent; ContactPoint is told a CAF exists (F3)."""
        return practice.log_episode(
            self.ctx,
            child=child,
            assessment=assessment,
            consents=consents,
            by=by,
            episode_id=episode_id,
            opened_on=opened_on,
        )

    def read_episode(self, episode_id: str, reader: Practitioner, reason: str) -> CafEpisode:
        """The episode, for a reader with consent on record (or for their organisation); audited either way."""
        return practice.read_episode(
            self.ctx,
            episode_id,
            practitioner_id=reader.practitioner_id,
            organisation_id=reader.organisation.organisation_id,
            reason=reason,
        )

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> CafEpisode:
        """Add consent given or withdrawn to the ledger (a withdrawal ends sharing with whoever loses consent)."""
        return practice.record_consent(self.ctx, episode_id, consent, by=by)

    def add_tac_member(
        self,
        episode_id: str,
        practitioner: Practitioner,
        *,
        by: Practitioner,
        joined_on: dt.date | None = None,
        social_care_representative: bool = False,
    ) -> CafEpisode:
        """Add a practitioner to the Team Around the Child."""
        return practice.add_tac_member(
            self.ctx,
            episode_id,
            practitioner,
            by=by,
            joined_on=joined_on,
            social_care_representative=social_care_representative,
        )

    def appoint_lead_professional(
        self, episode_id: str, practitioner_id: str, *, by: Practitioner, appointed_on: dt.date | None = None
    ) -> CafEpisode:
        """Appoint a TAC member lead professional (CAF-001); ContactPoint is told (F3)."""
        return practice.appoint_lead_professional(
            self.ctx, episode_id, practitioner_id, by=by, appointed_on=appointed_on
        )

    def update_assessment(self, episode_id: str, assessment: CafAssessment, *, by: Practitioner) -> CafEpisode:
        """Record a revised assessment (a re-assessment); ContactPoint is told who updated the CAF (F3)."""
        return practice.update_assessment(self.ctx, episode_id, assessment, by=by)

    def add_action(
        self,
        episode_id: str,
        *,
        owner_id: str,
        description: str,
        due_on: dt.date,
        by: Practitioner,
        action_id: str | None = None,
    ) -> CafAction:
        """Add an agreed action: who (a TAC member), what, by when."""
        return practice.add_action(
            self.ctx, episode_id, owner_id=owner_id, description=description, due_on=due_on, by=by, action_id=action_id
        )

    def complete_action(
        self, episode_id: str, action_id: str, *, by: Practitioner, completed_on: dt.date | None = None
    ) -> CafAction:
        """Record that an action was done."""
        return practice.complete_action(self.ctx, episode_id, action_id, by=by, completed_on=completed_on)

    def record_review(
        self,
        episode_id: str,
        *,
        summary: str,
        by: Practitioner,
        review_date: dt.date | None = None,
        next_review_on: dt.date | None = None,
    ) -> CafReview:
        """Record a TAC review of progress."""
        return practice.record_review(
            self.ctx, episode_id, summary=summary, by=by, review_date=review_date, next_review_on=next_review_on
        )

    def share_with(self, episode_id: str, practitioner_id: str, *, by: Practitioner) -> CafEpisode:
        """Give a practitioner access: only with consent on record for them or their organisation (CAF-002)."""
        return practice.share_with(self.ctx, episode_id, practitioner_id, by=by)

    def close_episode(
        self, episode_id: str, reason: CafClosureReason | str, *, by: Practitioner, closed_on: dt.date | None = None
    ) -> CafEpisode:
        """Close an episode with its reason and date; ContactPoint is told when no other episode is open (F3)."""
        return practice.close_episode(self.ctx, episode_id, reason, by=by, closed_on=closed_on)

    # --- stepping up and down, transfers, migration -------------------------------------------

    def refer_to_social_care(self, episode_id: str, referred_by: Practitioner, reason: str, to: SystemRef) -> str:
        """F4: refer the child to the ICS `to` with the episode (its organisation needs consent); the referral ID."""
        return stepping.refer_to_social_care(self.ctx, episode_id, referred_by, reason, to)

    def offer_to_initial_assessment(self, episode_id: str, requested_by: Practitioner, to: SystemRef) -> str:
        """F5: send the assessment to the ICS `to` as a draft initial assessment; the message ID."""
        return stepping.offer_to_initial_assessment(self.ctx, episode_id, requested_by, to)

    def transfer_out(
        self,
        episode_id: str,
        to: SystemRef,
        to_la: str,
        reason: str,
        *,
        from_la: str | None = None,
        by: Practitioner | None = None,
    ) -> str:
        """F7: send the episode whole to the eCAF `to`; the copy here closes as moved. The message ID."""
        return transfer.transfer_out(self.ctx, episode_id, to, to_la, reason, from_la=from_la, by=by)

    def import_migration_batch(self, batch: MigrationBatch | bytes, *, client: Principal) -> MigrationReport:
        """F8: import a batch episode by episode from the system `client`; safe to run again. The per-episode report."""
        if isinstance(batch, bytes):
            return self.migrations.import_bytes(batch, client)
        return self.migrations.import_batch(batch, client)

    def migration_report(self, batch_id: str) -> MigrationReport:
        """The latest per-episode results of a batch."""
        found = self.migrations.report(batch_id)
        if found is None:
            raise refusal("NECAF-011", f"no batch {batch_id} was imported here", where="batchId")
        return found

    # --- management and audit ----------------------------------------------------------------

    def open_episodes_report(
        self, older_than_days: int, now: dt.datetime | dt.date | None = None, *, by: Practitioner
    ) -> list[OpenEpisode]:
        """Episodes open longer than `older_than_days` days (episodes never close by themselves); managers only."""
        self.require_manager(by)
        return reports.open_episodes_report(self.ctx, older_than_days, now)

    def run_maintenance(
        self, now: dt.datetime | dt.date | None = None, *, by: Practitioner | None = None
    ) -> MaintenanceReport:
        """The nightly run as of `now` (default: the clock): lists the episodes open more than a year, closes none.

        Managers, or the operator's scheduler (`by=None`).
        """
        if by is not None:
            self.require_manager(by)
        return maintenance.run_maintenance(self.ctx, now)

    def access_log(self, episode_id: str | None = None, *, by: Practitioner) -> list[AccessRecord]:
        """The access audit, oldest first; managers only."""
        self.require_manager(by)
        return audit.access_log(self.store, self.tables, episode_id)

    # --- users ------------------------------------------------------------------------------------

    def register_user(self, registration: UserRegistration, *, by: Practitioner | None) -> RegisteredUser:
        """Register a user with a role (an administrator; `by=None` is the operator at the command line)."""
        return register_user(self.ctx, registration, by=by)

    def is_manager(self, by: Practitioner) -> bool:
        """Whether `by` is a registered manager of National eCAF."""
        try:
            self.require_manager(by)
        except RoleRefused:
            return False
        return True

    def require_manager(self, by: Practitioner) -> None:
        """Refuse (NECAF-ROLE) unless `by` is a registered manager."""
        require_role(self.ctx, by, (EcafRole.MANAGER,))

    def acting_practitioner(self, principal: Principal) -> Practitioner:
        """The practitioner an authenticated user acts as (National eCAF's registration, or the token's details)."""
        return acting_practitioner(self.ctx, principal)
