"""The ICS system over HTTP: the standard's message endpoint, and JSON routes for practitioners.

Beside `POST /messages` (the standard's binding, shared by every system), a practitioner can
open a case, record each kind of record, read the case record and the chronology, work on
draft assessments started from a CAF (F5), answer referrals from a CAF (F4), step down (F6),
transfer a case (F9), and run the local eCAF module (F7, F8). Bodies are the standard's own
JSON (camelCase); a record's ID may be left out for the system to assign. Any refusal or bad
input is answered with a 4xx and `{"error": {"id", "where", "message", "hint"}}`.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, FastAPI, Request
from pydantic import Field

from ics_interop.messages import Message, StepDownRequest, StepUpDecision, SystemRef
from ics_interop.model import (
    CafEpisode,
    CaseRecord,
    Child,
    ChildCharacteristics,
    ChildPlan,
    ChronologyEntry,
    ConsentRecord,
    CoreAssessment,
    DimensionFinding,
    IcsClosure,
    IcsContact,
    IcsModel,
    IcsReferral,
    IcsReview,
    InitialAssessment,
    Practitioner,
    XmlName,
)
from ics_interop.model.codes import AbuseCategory, PlanType, PrimaryNeed, ReferralSource
from ics_interop.model.identifiers import LaCode
from ics_interop.model.scalars import Identifier, ShortText, Text

from ..auth.principal import Principal
from ..http import Authenticator, Limits, create_app, error_responses
from ..http.security import ActingUser
from ..messaging import route_key
from .caf_mapping import CAF_TO_FRAMEWORK, element_label
from .views import CafReferral, CaseSummary, DraftAssessment, LocalEpisode, MigrationReport, SentMessage

if TYPE_CHECKING:
    from .system import IcsSystem

__all__ = ["build_app"]


# --- request bodies -------------------------------------------------------------------------------


class OpenCase(IcsModel):
    """A new case for a child."""

    child: Child = Field(description="The child, with every identifier known.")
    characteristics: ChildCharacteristics | None = Field(default=None, description="Ethnicity, disabilities, notes.")
    allocated_worker: Practitioner | None = Field(default=None, description="The allocated social worker, if any.")
    opened_on: date | None = Field(default=None, description="The date the case opened; today when left out.")


class NewContact(IcsModel):
    """A contact to record; the system assigns the ID when none is given."""

    contact_id: Identifier | None = Field(default=None, description="The contact's ID; assigned when left out.")
    contact_date: date = Field(description="The date of the contact.")
    source: ReferralSource = Field(description="Who made the contact (CIN referral source code).")
    summary: Text = Field(description="What was reported.")


class NewReferral(IcsModel):
    """A referral to record; the first one of a case puts social care's involvement on ContactPoint (F2)."""

    referral_id: Identifier | None = Field(default=None, description="The referral's ID; assigned when left out.")
    referral_date: date = Field(description="The date of the referral.")
    source: ReferralSource = Field(description="Source of the referral (CIN code).")
    primary_need: PrimaryNeed | None = Field(default=None, description="Primary need (CIN code), once identified.")
    reason: Text = Field(description="Why the child was referred (stays in the case record).")
    caf_episode_id: Identifier | None = Field(default=None, description="The CAF episode that supported it.")
    no_further_action: bool = Field(default=False, description="The referral led to no further action.")


class NewCoreAssessment(IcsModel):
    """An assessment to record."""

    assessment_id: Identifier | None = Field(default=None, description="The assessment's ID; assigned when left out.")
    started_on: date = Field(description="The date the assessment started.")
    completed_on: date | None = Field(default=None, description="The date it was completed.")
    findings: Annotated[list[DimensionFinding], XmlName("Finding")] = Field(
        default_factory=list, description="Findings by Assessment Framework dimension."
    )
    summary: Text | None = Field(default=None, description="The analysis and decision.")


class NewInitialAssessment(NewCoreAssessment):
    """An initial assessment to record (one started from a CAF arrives as a draft instead: F5)."""

    caf_episode_id: Identifier | None = Field(default=None, description="The CAF episode it was started from.")


class NewPlan(IcsModel):
    """A plan to record."""

    plan_id: Identifier | None = Field(default=None, description="The plan's ID; assigned when left out.")
    plan_type: PlanType = Field(description="The kind of plan.")
    start_date: date = Field(description="The date the plan started.")
    end_date: date | None = Field(default=None, description="The date the plan ended.")
    abuse_category: AbuseCategory | None = Field(default=None, description="For a child protection plan only.")
    summary: Text = Field(description="The plan's outcomes and the services to meet them.")


class PlanEnd(IcsModel):
    """The end of a plan."""

    end_date: date = Field(description="The date the plan ended.")


class NewReview(IcsModel):
    """A review to record."""

    review_id: Identifier | None = Field(default=None, description="The review's ID; assigned when left out.")
    review_date: date = Field(description="The date of the review.")
    plan_id: Identifier | None = Field(default=None, description="The plan reviewed: one of the case's plans.")
    outcome: Text = Field(description="What the review decided.")


class Allocation(IcsModel):
    """A social worker to allocate."""

    social_worker: Practitioner = Field(description="The social worker.")


class DraftEdit(IcsModel):
    """Changes to a draft initial assessment: what is given replaces what the draft had."""

    findings: Annotated[list[DimensionFinding], XmlName("Finding")] | None = Field(
        default=None, description="The findings, as a whole (they replace the draft's)."
    )
    summary: Text | None = Field(default=None, description="The analysis and decision.")
    started_on: date | None = Field(default=None, description="The date the assessment started.")
    completed_on: date | None = Field(default=None, description="The date it was completed.")


class DraftConfirmation(IcsModel):
    """Who confirms a draft initial assessment."""

    confirmed_by: Practitioner = Field(description="The practitioner confirming it.")


class CafReferralAnswer(IcsModel):
    """Social care's answer to a referral from a CAF (F4)."""

    decision: StepUpDecision = Field(description="What becomes of the CAF episode.")
    joining_member: Practitioner | None = Field(
        default=None, description="Who joins the TAC: required unless the decision is 'not-accepted'."
    )
    representative: bool = Field(
        default=False, description="The member is a social services representative until a social worker is allocated."
    )
    decided_on: date | None = Field(default=None, description="The date of the decision; today when left out.")


class StepDownBody(IcsModel):
    """Stepping down (F6): the outstanding needs go back to the CAF episode."""

    episode_id: Identifier = Field(description="The CAF episode to go back to.")
    social_worker: Practitioner = Field(description="The social worker stepping the case down.")
    outstanding_needs: Annotated[list[Text], XmlName("OutstandingNeed")] = Field(
        min_length=1, description="The additional needs still to be met."
    )
    request: StepDownRequest = Field(description="Re-open the episode, or start a re-assessment.")


class CaseTransferBody(IcsModel):
    """A case record transfer (F9)."""

    to: SystemRef = Field(description="The receiving authority's ICS system.")
    to_la: LaCode = Field(description="The receiving authority's LA code.")
    reason: Text = Field(description="Why the case is transferred.")


class EpisodeTransferBody(IcsModel):
    """A single-episode transfer from the local eCAF module (F7)."""

    to: SystemRef = Field(description="National eCAF, or the receiving authority's local eCAF.")
    to_la: LaCode = Field(description="The authority the child moved to.")
    reason: ShortText = Field(description="Why the episode is transferred.")


class MigrationBody(IcsModel):
    """A migration export from the local eCAF module into National eCAF (F8)."""

    batch_id: Identifier = Field(description="The batch's ID.")
    episode_ids: list[Identifier] | None = Field(
        default=None, description="The episodes to migrate; every held episode when left out."
    )


class MappingRow(IcsModel):
    """One row of the CAF-to-initial-assessment mapping (F5)."""

    domain: ShortText = Field(description="The CAF domain (a field of the CAF assessment).")
    element: ShortText = Field(description="The CAF element, as the form names it.")
    dimensions: list[ShortText] = Field(description="The Assessment Framework dimensions it feeds.")


def _sent(message: Message) -> SentMessage:
    return SentMessage(
        message_id=message.header.message_id,
        message_type=message.message_type.value,
        destination=route_key(message.header.recipient),
    )


_ERRORS = error_responses(
    404,
    409,
    422,
    s404="Not found: the case or record does not exist.",
    s409="Refused: the change does not fit the case's state (nothing was stored).",
    s422="Refused: the input breaks a rule or the schema (nothing was stored).",
)


def _worker(request: Request, user: ActingUser) -> Principal:
    system: IcsSystem = request.app.state.system
    system.require_worker(user)
    return user


#: The dependency of every practitioner's route: a user token of the authority's own staff (ICS-024).
WORKER = [Depends(_worker)]


def build_app(system: IcsSystem, *, authenticate: Authenticator, limits: Limits | None = None) -> FastAPI:
    """The ICS system's FastAPI app: its practitioners' routes take a user token of the authority's own staff."""
    name = system.identity.organisation_name or system.identity.organisation_id
    app = create_app(
        f"ICS case-management system: {name}",
        "A local authority's children's social care case-management system (reference implementation of "
        "ics-interop): casework, the chronology, referrals from CAFs (F4), initial assessments started from "
        "a CAF (F5), stepping down (F6), case record transfer (F9) and a local eCAF module (F7, F8). Every "
        "route but POST /messages and /health takes a user token of the authority's own staff (ICS-024).",
        receive=system.receiver.receive_http,
        message_types=list(system.receiver.handlers),
        authenticate=authenticate,
        limits=limits,
    )
    app.state.system = system

    # --- cases ---------------------------------------------------------------------------------------

    @app.get("/cases", dependencies=WORKER, response_model=list[CaseSummary], summary="List the cases", tags=["cases"])
    def list_cases() -> list[CaseSummary]:
        return system.cases()

    @app.post(
        "/cases",
        dependencies=WORKER,
        response_model=CaseRecord,
        status_code=201,
        summary="Open a case",
        tags=["cases"],
        responses=_ERRORS,
    )
    def open_case(body: OpenCase) -> CaseRecord:
        return system.open_case(
            body.child,
            characteristics=body.characteristics,
            allocated_worker=body.allocated_worker,
            opened_on=body.opened_on,
        )

    @app.get(
        "/cases/{case_id}",
        dependencies=WORKER,
        response_model=CaseRecord,
        summary="Read the case record (confirmed records only)",
        tags=["cases"],
        responses=_ERRORS,
    )
    def read_case(case_id: str) -> CaseRecord:
        return system.case_record(case_id)

    @app.get(
        "/cases/{case_id}/chronology",
        dependencies=WORKER,
        response_model=list[ChronologyEntry],
        summary="Read the chronology, oldest first",
        tags=["cases"],
        responses=_ERRORS,
    )
    def read_chronology(case_id: str) -> list[ChronologyEntry]:
        return system.chronology(case_id)

    @app.post(
        "/cases/{case_id}/chronology",
        dependencies=WORKER,
        response_model=ChronologyEntry,
        status_code=201,
        summary="Add a manual chronology entry",
        tags=["cases"],
        responses=_ERRORS,
    )
    def add_entry(case_id: str, body: ChronologyEntry) -> ChronologyEntry:
        return system.add_chronology_entry(case_id, body)

    @app.post(
        "/cases/{case_id}/contacts",
        dependencies=WORKER,
        response_model=IcsContact,
        status_code=201,
        summary="Record a contact",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_contact(case_id: str, body: NewContact) -> IcsContact:
        data = body.model_dump()
        data["contact_id"] = body.contact_id or system.new_id("CON")
        return system.record_contact(case_id, IcsContact(**data))

    @app.post(
        "/cases/{case_id}/referrals",
        dependencies=WORKER,
        response_model=IcsReferral,
        status_code=201,
        summary="Record a referral (F2 to ContactPoint on the first)",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_referral(case_id: str, body: NewReferral) -> IcsReferral:
        data = body.model_dump()
        data["referral_id"] = body.referral_id or system.new_id("REF")
        return system.record_referral(case_id, IcsReferral(**data))

    @app.post(
        "/cases/{case_id}/initial-assessments",
        dependencies=WORKER,
        response_model=InitialAssessment,
        status_code=201,
        summary="Record an initial assessment",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_initial_assessment(case_id: str, body: NewInitialAssessment) -> InitialAssessment:
        data = body.model_dump()
        data["assessment_id"] = body.assessment_id or system.new_id("IA")
        return system.record_initial_assessment(case_id, InitialAssessment(**data))

    @app.post(
        "/cases/{case_id}/core-assessments",
        dependencies=WORKER,
        response_model=CoreAssessment,
        status_code=201,
        summary="Record a core assessment",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_core_assessment(case_id: str, body: NewCoreAssessment) -> CoreAssessment:
        data = body.model_dump()
        data["assessment_id"] = body.assessment_id or system.new_id("CA")
        return system.record_core_assessment(case_id, CoreAssessment(**data))

    @app.post(
        "/cases/{case_id}/plans",
        dependencies=WORKER,
        response_model=ChildPlan,
        status_code=201,
        summary="Record a plan",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_plan(case_id: str, body: NewPlan) -> ChildPlan:
        data = body.model_dump()
        data["plan_id"] = body.plan_id or system.new_id("PLAN")
        return system.record_plan(case_id, ChildPlan(**data))

    @app.post(
        "/cases/{case_id}/plans/{plan_id}/end",
        dependencies=WORKER,
        response_model=ChildPlan,
        summary="Record the end of a plan",
        tags=["records"],
        responses=_ERRORS,
    )
    def end_plan(case_id: str, plan_id: str, body: PlanEnd) -> ChildPlan:
        return system.end_plan(case_id, plan_id, body.end_date)

    @app.post(
        "/cases/{case_id}/reviews",
        dependencies=WORKER,
        response_model=IcsReview,
        status_code=201,
        summary="Record a review",
        tags=["records"],
        responses=_ERRORS,
    )
    def record_review(case_id: str, body: NewReview) -> IcsReview:
        data = body.model_dump()
        data["review_id"] = body.review_id or system.new_id("REV")
        return system.record_review(case_id, IcsReview(**data))

    @app.put(
        "/cases/{case_id}/allocated-worker",
        dependencies=WORKER,
        response_model=CaseRecord,
        summary="Allocate a social worker",
        tags=["cases"],
        responses=_ERRORS,
    )
    def allocate(case_id: str, body: Allocation) -> CaseRecord:
        return system.allocate_worker(case_id, body.social_worker)

    @app.post(
        "/cases/{case_id}/closure",
        dependencies=WORKER,
        response_model=IcsClosure,
        summary="Close the case (F1 to ContactPoint: the involvement ends)",
        tags=["cases"],
        responses=_ERRORS,
    )
    def close(case_id: str, body: IcsClosure) -> IcsClosure:
        return system.close_case(case_id, body)

    # --- F5: drafts --------------------------------------------------------------------------------

    @app.get(
        "/cases/{case_id}/drafts",
        dependencies=WORKER,
        response_model=list[DraftAssessment],
        summary="Draft initial assessments started from a CAF, awaiting confirmation",
        tags=["F5: assessments from a CAF"],
        responses=_ERRORS,
    )
    def list_drafts(case_id: str) -> list[DraftAssessment]:
        return system.drafts(case_id)

    @app.get(
        "/cases/{case_id}/drafts/{assessment_id}",
        dependencies=WORKER,
        response_model=DraftAssessment,
        summary="One initial assessment started from a CAF",
        tags=["F5: assessments from a CAF"],
        responses=_ERRORS,
    )
    def read_draft(case_id: str, assessment_id: str) -> DraftAssessment:
        return system.draft(case_id, assessment_id)

    @app.put(
        "/cases/{case_id}/drafts/{assessment_id}",
        dependencies=WORKER,
        response_model=DraftAssessment,
        summary="Edit a draft (the findings given replace the draft's)",
        tags=["F5: assessments from a CAF"],
        responses=_ERRORS,
    )
    def edit_draft(case_id: str, assessment_id: str, body: DraftEdit) -> DraftAssessment:
        return system.edit_draft(
            case_id,
            assessment_id,
            findings=body.findings,
            summary=body.summary,
            started_on=body.started_on,
            completed_on=body.completed_on,
        )

    @app.post(
        "/cases/{case_id}/drafts/{assessment_id}/confirm",
        dependencies=WORKER,
        response_model=DraftAssessment,
        summary="Confirm a draft: it joins the case record",
        tags=["F5: assessments from a CAF"],
        responses=_ERRORS,
    )
    def confirm_draft(case_id: str, assessment_id: str, body: DraftConfirmation) -> DraftAssessment:
        return system.confirm_draft(case_id, assessment_id, confirmed_by=body.confirmed_by)

    @app.get(
        "/caf-mapping",
        dependencies=WORKER,
        response_model=list[MappingRow],
        summary="Which CAF element feeds which Assessment Framework dimension(s)",
        tags=["F5: assessments from a CAF"],
    )
    def caf_mapping() -> list[MappingRow]:
        return [
            MappingRow(domain=m.domain, element=element_label(m), dimensions=[d.value for d in m.dimensions])
            for m in CAF_TO_FRAMEWORK
        ]

    # --- F4, F6, F9 ----------------------------------------------------------------------------------

    @app.get(
        "/caf-referrals",
        dependencies=WORKER,
        response_model=list[CafReferral],
        summary="Referrals from a CAF and their answers",
        tags=["F4, F6: stepping up and down"],
    )
    def list_caf_referrals() -> list[CafReferral]:
        return system.caf_referrals()

    @app.get(
        "/caf-referrals/{referral_id}/episode",
        dependencies=WORKER,
        response_model=CafEpisode,
        summary="The CAF episode the referral came with",
        tags=["F4, F6: stepping up and down"],
        responses=_ERRORS,
    )
    def read_caf_episode(referral_id: str) -> CafEpisode:
        return system.caf_referral_episode(referral_id)

    @app.post(
        "/caf-referrals/{referral_id}/answer",
        dependencies=WORKER,
        response_model=SentMessage,
        summary="Answer a referral from a CAF (SocialCareReferralResponse to the eCAF)",
        tags=["F4, F6: stepping up and down"],
        responses=_ERRORS,
    )
    def answer(referral_id: str, body: CafReferralAnswer) -> SentMessage:
        message = system.respond_to_caf_referral(
            referral_id,
            decision=body.decision,
            joining=body.joining_member,
            representative=body.representative,
            decided_on=body.decided_on,
        )
        return _sent(message)

    @app.post(
        "/cases/{case_id}/step-down",
        dependencies=WORKER,
        response_model=SentMessage,
        summary="Step down: outstanding needs back to the CAF (StepDown)",
        tags=["F4, F6: stepping up and down"],
        responses=_ERRORS,
    )
    def step_down(case_id: str, body: StepDownBody) -> SentMessage:
        message = system.step_down(
            case_id, body.episode_id, body.social_worker, list(body.outstanding_needs), body.request
        )
        return _sent(message)

    @app.post(
        "/cases/{case_id}/transfer",
        dependencies=WORKER,
        response_model=SentMessage,
        summary="Transfer the case record to another authority's ICS (CaseRecordTransfer)",
        tags=["F9: case transfer"],
        responses=_ERRORS,
    )
    def transfer(case_id: str, body: CaseTransferBody) -> SentMessage:
        return _sent(system.transfer_case(case_id, body.to, body.to_la, body.reason))

    # --- the local eCAF module -------------------------------------------------------------------------

    tag = "F7, F8: local eCAF module"

    @app.get(
        "/local-ecaf/episodes",
        dependencies=WORKER,
        response_model=list[LocalEpisode],
        summary="The held episodes",
        tags=[tag],
    )
    def list_episodes() -> list[LocalEpisode]:
        return system.local_ecaf.episodes()

    @app.post(
        "/local-ecaf/episodes",
        dependencies=WORKER,
        response_model=CafEpisode,
        status_code=201,
        summary="Hold a new CAF episode (with consent to store, if it has an assessment)",
        tags=[tag],
        responses=_ERRORS,
    )
    def create_episode(body: CafEpisode) -> CafEpisode:
        return system.local_ecaf.create_episode(body)

    @app.get(
        "/local-ecaf/episodes/{episode_id}",
        dependencies=WORKER,
        response_model=LocalEpisode,
        summary="One episode",
        tags=[tag],
        responses=_ERRORS,
    )
    def read_episode(episode_id: str) -> LocalEpisode:
        return system.local_ecaf.episode(episode_id)

    @app.post(
        "/local-ecaf/episodes/{episode_id}/consents",
        dependencies=WORKER,
        response_model=CafEpisode,
        status_code=201,
        summary="Record a consent decision in the episode's ledger",
        tags=[tag],
        responses=_ERRORS,
    )
    def record_consent(episode_id: str, body: ConsentRecord) -> CafEpisode:
        return system.local_ecaf.record_consent(episode_id, body)

    @app.post(
        "/local-ecaf/episodes/{episode_id}/transfer",
        dependencies=WORKER,
        response_model=SentMessage,
        summary="Transfer one episode (EpisodeTransfer)",
        tags=[tag],
        responses=_ERRORS,
    )
    def transfer_episode(episode_id: str, body: EpisodeTransferBody) -> SentMessage:
        return system.local_ecaf.transfer_episode(episode_id, to=body.to, to_la=body.to_la, reason=body.reason)

    @app.post(
        "/local-ecaf/migration-batches",
        dependencies=WORKER,
        response_model=MigrationReport,
        summary="Export a migration batch into National eCAF (MigrationBatch)",
        tags=[tag],
        responses=_ERRORS,
    )
    def migrate(body: MigrationBody) -> MigrationReport:
        return system.local_ecaf.export_migration_batch(body.batch_id, body.episode_ids)

    return app
