"""The ICS reference system: one authority's children's social care case-management system (seed §2.1).

`IcsSystem` is the public face: the practitioner's Python API (each call one transaction,
stored whole or refused whole), the message receiver (F4, F5, F9 in), the outbox (F1/F2, F4,
F6, F7, F8, F9 out), the local eCAF module, and the HTTP app. The rooms behind it: `casework`
(records and chronology), `directory_feed` (ContactPoint), `stepping` (F4, F6),
`prepopulation` (F5), `transfer` (F9), `local_ecaf` (F7, F8).

It reaches the other systems only through the standard's messages, over the transports
registered with `connect` (routes: 'contactpoint', 'national-ecaf', 'local-ecaf:<org>',
'ics:<org>').
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection, select

from ics_interop.messages import (
    Acknowledgement,
    CaseRecordTransfer,
    Message,
    MessageType,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
    SystemRef,
)
from ics_interop.model import (
    CafEpisode,
    CaseRecord,
    Child,
    ChildCharacteristics,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    DimensionFinding,
    IcsClosure,
    IcsContact,
    IcsModel,
    IcsReferral,
    IcsReview,
    InitialAssessment,
    Practitioner,
)
from ics_interop.model.codes import SystemKind

from ..auth.principal import Principal
from ..messaging import Clock, Format, HandlerRefusal, Outbox, Receiver, Transport, utc_now
from ..storage import Store
from . import case_file, casework, prepopulation, stepping, transfer
from .context import IcsContext, IcsSettings
from .errors import ChangeRefused, refusal
from .local_ecaf import LocalEcafModule
from .tables import IcsTables
from .views import CafReferral, CaseSummary, DraftAssessment

__all__ = ["IcsSystem"]

R = TypeVar("R")
M = TypeVar("M", bound=IcsModel)


class IcsSystem:
    """One authority's ICS system: casework, the messages it sends and receives, its local eCAF module.

    `IcsSystem(db_url, identity=SystemRef(system='ics', organisation_id='LA206-CSC', ...))`
    creates its tables (prefix `ics_`) in the store at `db_url` (SQLite or PostgreSQL).
    Every call that changes something is one transaction: a refusal (`ChangeRefused`, with the
    rule, where and how to fix it) or any failure stores nothing, and a message the change
    causes is in the outbox exactly when the change is stored.
    """

    def __init__(
        self,
        db_url: str,
        *,
        identity: SystemRef,
        clock: Clock = utc_now,
        settings: IcsSettings | None = None,
    ) -> None:
        if identity.system is not SystemKind.ICS:
            raise ValueError(f"an ICS system's identity has system 'ics', not {identity.system.value!r}")
        self.identity = identity
        self.clock = clock
        self.tables = IcsTables()
        self.store = Store(db_url, self.tables.metadata)
        self.outbox = Outbox(self.tables.messaging, clock)
        self.ctx = IcsContext(
            identity=identity, settings=settings or IcsSettings(), tables=self.tables, outbox=self.outbox, clock=clock
        )
        self.receiver = Receiver(
            self.store,
            self.tables.messaging,
            identity,
            {
                MessageType.SOCIAL_CARE_REFERRAL: self._handler(stepping.receive_social_care_referral),
                MessageType.INITIAL_ASSESSMENT_PREPOPULATION: self._handler(prepopulation.receive_prepopulation),
                MessageType.CASE_RECORD_TRANSFER: self._handler(transfer.receive_case_record_transfer),
            },
            clock,
        )
        #: The local eCAF module (F7, F8).
        self.local_ecaf = LocalEcafModule(self.store, self.ctx)
        self._transports: dict[str, Transport] = {}

    # --- plumbing ----------------------------------------------------------------------------------

    def _handler(self, apply: Callable[[Connection, IcsContext, Any], None]) -> Callable[[Connection, Any], None]:
        def handle(connection: Connection, message: Message) -> None:
            try:
                apply(connection, self.ctx, message)
            except ChangeRefused as refused:  # rejected with the rule; the receiver rolls everything back
                raise HandlerRefusal(refused.rule_id, refused.message, path=refused.where, hint=refused.hint) from None

        return handle

    def _change(self, operation: Callable[[Connection], R]) -> R:
        with self.store.transaction() as connection:
            return operation(connection)

    def _read(self, operation: Callable[[Connection], R]) -> R:
        with self.store.reading() as connection:
            return operation(connection)

    def connect(self, route: str, transport: Transport) -> None:
        """Register how to reach a route of the outbox ('contactpoint', 'national-ecaf', 'ics:<org>'...)."""
        self._transports[route] = transport

    def deliver(self, *, wire: Format = "xml") -> list[Acknowledgement]:
        """Send what is waiting in the outbox (retrying later what cannot be delivered now)."""
        return self.outbox.deliver(self.store, self._transports, wire=wire)

    def require_worker(self, user: Principal) -> None:
        """Refuse (ICS-024) a user who does not work for this authority: the token's organisation is not this ICS's."""
        if user.organisation_id != self.identity.organisation_id:
            raise refusal(
                "ICS-024",
                f"the token names the organisation {user.organisation_id}; this system serves "
                f"{self.identity.organisation_id}'s staff",
                where="Authorization",
            )

    def new_id(self, kind: str) -> str:
        """A fresh record identifier of this system, for example new_id('REF') -> 'LA206-CSC-REF-3F9A2C71B0'."""
        return self.ctx.new_id(kind)

    # --- cases ---------------------------------------------------------------------------------------

    def open_case(
        self,
        child: Child,
        *,
        characteristics: ChildCharacteristics | None = None,
        allocated_worker: Practitioner | None = None,
        opened_on: date | None = None,
    ) -> CaseRecord:
        """Open a case for a child; the case ID becomes the child's local ID in every message about them."""

        def operation(connection: Connection) -> CaseRecord:
            row = casework.open_case(
                connection,
                self.ctx,
                child,
                characteristics=characteristics,
                allocated_worker=allocated_worker,
                opened_on=opened_on,
            )
            return case_file.assemble(connection, self.ctx, row.case_id)

        return self._change(operation)

    def _record(self, case_id: str, record: M) -> M:
        self._change(lambda connection: casework.record(connection, self.ctx, case_id, record))
        return record

    def record_contact(self, case_id: str, contact: IcsContact) -> IcsContact:
        """Record a contact."""
        return self._record(case_id, contact)

    def record_referral(self, case_id: str, referral: IcsReferral) -> IcsReferral:
        """Record a referral; the first one puts social care's involvement on ContactPoint (F2)."""
        return self._record(case_id, referral)

    def record_initial_assessment(self, case_id: str, assessment: InitialAssessment) -> InitialAssessment:
        """Record an initial assessment (one started from a CAF is confirmed with `confirm_draft` instead)."""
        return self._record(case_id, assessment)

    def record_core_assessment(self, case_id: str, assessment: CoreAssessment) -> CoreAssessment:
        """Record a core assessment."""
        return self._record(case_id, assessment)

    def record_plan(self, case_id: str, plan: ChildPlan) -> ChildPlan:
        """Record a plan (a child protection plan names its category of abuse)."""
        return self._record(case_id, plan)

    def end_plan(self, case_id: str, plan_id: str, end_date: date) -> ChildPlan:
        """Record the end of a plan."""
        return self._change(lambda connection: casework.end_plan(connection, self.ctx, case_id, plan_id, end_date))

    def record_review(self, case_id: str, review: IcsReview) -> IcsReview:
        """Record a review (of one of the case's plans, if it names one)."""
        return self._record(case_id, review)

    def allocate_worker(self, case_id: str, worker: Practitioner) -> CaseRecord:
        """Allocate a social worker to an open case."""

        def operation(connection: Connection) -> CaseRecord:
            casework.allocate_worker(connection, self.ctx, case_id, worker)
            return case_file.assemble(connection, self.ctx, case_id)

        return self._change(operation)

    def close_case(self, case_id: str, closure: IcsClosure) -> IcsClosure:
        """Close the case with its CIN closure reason; social care's involvement ends on ContactPoint (F1)."""
        return self._change(lambda connection: casework.close_case(connection, self.ctx, case_id, closure))

    def add_chronology_entry(self, case_id: str, entry: ChronologyEntry) -> ChronologyEntry:
        """Add a practitioner's own entry to the case's chronology."""
        return self._change(lambda connection: casework.add_manual_entry(connection, self.ctx, case_id, entry))

    def case_record(self, case_id: str) -> CaseRecord:
        """The case record: confirmed records only, with the chronology."""
        return self._read(lambda connection: case_file.assemble(connection, self.ctx, case_id))

    def chronology(self, case_id: str) -> list[ChronologyEntry]:
        """The case's chronology, oldest first."""

        def operation(connection: Connection) -> list[ChronologyEntry]:
            case_file.load_case(connection, self.ctx, case_id, for_update=False)
            return case_file.chronology(connection, self.ctx, case_id)

        return self._read(operation)

    def cases(self) -> list[CaseSummary]:
        """Every case, oldest first."""
        cases = self.tables.cases
        with self.store.reading() as connection:
            rows = connection.execute(select(cases).order_by(cases.c.created_at, cases.c.case_id))
            return [
                CaseSummary(
                    case_id=row.case_id,
                    child_name=f"{row.child['name']['givenNames']} {row.child['name']['familyName']}",
                    state=row.state,
                    opened_on=row.opened_on,
                    received_from=row.received_from,
                )
                for row in rows
            ]

    def case_records(self) -> Iterator[CaseRecord]:
        """Every case record, confirmed records only (drafts never count): what a CIN census export reads."""
        ids = self._read(lambda connection: case_file.case_ids(connection, self.ctx))
        for case_id in ids:
            yield self.case_record(case_id)

    # --- F5: initial assessments started from a CAF -----------------------------------------------------

    def drafts(self, case_id: str) -> list[DraftAssessment]:
        """The case's draft initial assessments started from a CAF, awaiting a practitioner."""
        return self._read(lambda connection: prepopulation.drafts(connection, self.ctx, case_id))

    def draft(self, case_id: str, assessment_id: str) -> DraftAssessment:
        """One initial assessment started from a CAF, draft or confirmed."""
        return self._read(lambda connection: prepopulation.draft(connection, self.ctx, case_id, assessment_id))

    def edit_draft(
        self,
        case_id: str,
        assessment_id: str,
        *,
        findings: list[DimensionFinding] | None = None,
        summary: str | None = None,
        started_on: date | None = None,
        completed_on: date | None = None,
    ) -> DraftAssessment:
        """Edit a draft initial assessment: what is given replaces what it had (findings as a whole)."""
        return self._change(
            lambda connection: prepopulation.edit_draft(
                connection,
                self.ctx,
                case_id,
                assessment_id,
                findings=findings,
                summary=summary,
                started_on=started_on,
                completed_on=completed_on,
            )
        )

    def confirm_draft(self, case_id: str, assessment_id: str, *, confirmed_by: Practitioner) -> DraftAssessment:
        """Confirm a draft initial assessment: it joins the case record, with who confirmed it and when."""
        return self._change(
            lambda connection: prepopulation.confirm_draft(connection, self.ctx, case_id, assessment_id, confirmed_by)
        )

    # --- F4, F6: stepping up and down -------------------------------------------------------------------

    def caf_referrals(self) -> list[CafReferral]:
        """Every referral that came from a CAF, with its answer so far, oldest first."""
        table = self.tables.caf_referrals

        def operation(connection: Connection) -> list[CafReferral]:
            ids = list(connection.scalars(select(table.c.ics_referral_id).order_by(table.c.received_at)))
            return [stepping.caf_referral(connection, self.ctx, referral_id) for referral_id in ids]

        return self._read(operation)

    def caf_referral(self, ics_referral_id: str) -> CafReferral:
        """One referral that came from a CAF."""
        return self._read(lambda connection: stepping.caf_referral(connection, self.ctx, ics_referral_id))

    def caf_referral_episode(self, ics_referral_id: str) -> CafEpisode:
        """The CAF episode a referral came with, shared with social care under the child's consent."""
        return self._read(lambda connection: stepping.caf_episode_of(connection, self.ctx, ics_referral_id))

    def respond_to_caf_referral(
        self,
        ics_referral_id: str,
        *,
        decision: StepUpDecision,
        joining: Practitioner | None,
        representative: bool = False,
        decided_on: date | None = None,
    ) -> SocialCareReferralResponse:
        """F4: answer a referral from a CAF; the social worker (or a representative) joins the TAC.

        An allocated social worker (not a representative) becomes the case's allocated worker.
        """
        return self._change(
            lambda connection: stepping.respond_to_caf_referral(
                connection,
                self.ctx,
                ics_referral_id,
                decision,
                joining,
                representative=representative,
                decided_on=decided_on,
            )
        )

    def step_down(
        self,
        case_id: str,
        episode_id: str,
        social_worker: Practitioner,
        outstanding_needs: list[str],
        request: StepDownRequest,
    ) -> StepDown:
        """F6: hand the outstanding needs of a closed case back to its CAF episode."""
        return self._change(
            lambda connection: stepping.step_down(
                connection, self.ctx, case_id, episode_id, social_worker, outstanding_needs, request
            )
        )

    # --- F9: case record transfer -----------------------------------------------------------------------

    def transfer_case(self, case_id: str, to: SystemRef, to_la: str, reason: str) -> CaseRecordTransfer:
        """F9: send the case record (confirmed records only) to another authority's ICS system."""
        return self._change(lambda connection: transfer.transfer_case(connection, self.ctx, case_id, to, to_la, reason))
