"""National eCAF's HTTP service: the standard's `POST /messages`, and JSON routes for practitioners.

Each route calls one method of `NationalEcaf` and answers with the standard's JSON (camelCase,
no nulls). The practitioner acting is the subject of the request's user token: National
eCAF's registration of that user (or the token's own practitioner details) says who they are,
and the consent ledger what they may see (CAF-002); nothing in a request's body or parameters
names the acting user. Managers read the reports and the access audit; administrators
register users. Migration batches (F8) come, like every message, from a connected system with
its own token. A request that cannot be carried out answers 4xx with one structured error,
`{"error": {"id", "where", "message", "hint"}}`: 401 without a usable token, 403 without
consent or the role, 404 for an unknown episode, 409 for a conflict, 422 for a value or rule the
change would break; nothing is stored.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

import anyio
from fastapi import Depends, FastAPI, Query, Request
from pydantic import Field

from ics_interop import MessageType, SystemRef
from ics_interop.model import (
    CafAction,
    CafAssessment,
    CafEpisode,
    CafReview,
    Child,
    ConsentRecord,
    IcsModel,
    Practitioner,
)
from ics_interop.model.codes import CafClosureReason
from ics_interop.model.identifiers import LaCode
from ics_interop.model.scalars import Identifier, ShortText, Text

from ..auth.principal import message_scope
from ..errors import Forbidden
from ..http import MESSAGE_MEDIA_TYPES, Authenticator, Limits, create_app, error_json, error_responses
from ..http.app import form_mismatch
from ..http.security import ActingUser, principal_of, system_dependency
from ..messaging import route_key
from .audit import AccessRecord
from .maintenance import MaintenanceReport
from .migration import MigrationReport
from .refusals import refusal
from .reports import OpenEpisode
from .users import RegisteredUser, UserRegistration

if TYPE_CHECKING:
    from .system import NationalEcaf

__all__ = ["build_app"]


# --- request and response bodies ------------------------------------------------------------


class LogEpisodeRequest(IcsModel):
    """A new CAF episode: the child, the assessment, and the consent to store and share it."""

    child: Child = Field(description="The child or young person.")
    assessment: CafAssessment = Field(description="The common assessment.")
    consents: list[ConsentRecord] = Field(
        min_length=1, description="The consent ledger, as captured with the CAF (it must include you, who log it)."
    )
    episode_id: Identifier | None = Field(default=None, description="An ID to use; National eCAF assigns one if not.")
    opened_on: dt.date | None = Field(default=None, description="The date the episode opened; today if not given.")


class ConsentRequest(IcsModel):
    """A consent decision to add to the ledger."""

    consent: ConsentRecord = Field(description="Consent given or withdrawn, by whom, for whom.")


class TacMemberRequest(IcsModel):
    """A practitioner joining the Team Around the Child."""

    practitioner: Practitioner = Field(description="The new member.")
    joined_on: dt.date | None = Field(default=None, description="The date they joined; today if not given.")
    social_care_representative: bool = Field(
        default=False, description="A social services representative standing in until a social worker is allocated."
    )


class LeadProfessionalRequest(IcsModel):
    """The TAC member to appoint lead professional."""

    practitioner_id: Identifier = Field(description="A current member of the TAC (CAF-001).")
    appointed_on: dt.date | None = Field(default=None, description="The date of appointment; today if not given.")


class AssessmentRequest(IcsModel):
    """A revised common assessment."""

    assessment: CafAssessment = Field(description="The assessment (you are recorded as having completed it).")


class ActionRequest(IcsModel):
    """An agreed action: who, what, by when."""

    owner_id: Identifier = Field(description="The TAC member who will do it (CAF-005).")
    description: Text = Field(description="What will be done.")
    due_on: dt.date = Field(description="By when.")
    action_id: Identifier | None = Field(default=None, description="An ID to use; assigned if not given.")


class ActionCompletionRequest(IcsModel):
    """That an action was done."""

    completed_on: dt.date | None = Field(default=None, description="When; today if not given.")


class ReviewRequest(IcsModel):
    """A review of progress."""

    summary: Text = Field(description="Progress and decisions.")
    review_date: dt.date | None = Field(default=None, description="The date of the review; today if not given.")
    next_review_on: dt.date | None = Field(default=None, description="The date of the next review.")


class ShareRequest(IcsModel):
    """A practitioner to give access to (consent for them or their organisation must be on the ledger)."""

    practitioner_id: Identifier = Field(description="The practitioner.")


class ClosureRequest(IcsModel):
    """Closing the episode."""

    reason: CafClosureReason = Field(description="Why it closes.")
    closed_on: dt.date | None = Field(default=None, description="The date; today if not given.")


class ReferralRequest(IcsModel):
    """A referral to social care (F4)."""

    reason: Text = Field(description="Why the child is referred.")
    to: SystemRef = Field(description="The ICS of the children's social care service referred to.")


class InitialAssessmentOfferRequest(IcsModel):
    """A social worker's request for the CAF as a draft initial assessment (F5); you are the one asking."""

    to: SystemRef = Field(description="The ICS to send the draft to.")


class TransferRequest(IcsModel):
    """Sending the episode to another eCAF as the child moves (F7)."""

    to: SystemRef = Field(description="The receiving eCAF.")
    to_la: LaCode = Field(description="The authority the child moved to.")
    reason: ShortText = Field(description="Why the episode is transferred.")
    from_la: LaCode | None = Field(default=None, description="The authority the child left; as recorded if not given.")


class ReferralAnswer(IcsModel):
    """The referral made."""

    referral_id: str = Field(description="The referral's ID; the ICS's response names it.")


class SentAnswer(IcsModel):
    """A message written to the outbox."""

    message_id: str = Field(description="The message's ID.")


_ERRORS = error_responses(
    403,
    404,
    409,
    422,
    s403="No consent on record (CAF-002; the refusal is audited), or not the role this needs (NECAF-ROLE).",
    s404="No such episode (NECAF-001).",
    s409="The episode ID is held already, or the episode changed meanwhile.",
)

_MIGRATION_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "One MigrationBatch message, as XML or JSON.",
        "content": {
            "application/xml": {"schema": {"type": "string"}},
            "application/json": {"schema": {"type": "object"}},
        },
    }
}


def _acting(request: Request, principal: ActingUser) -> Practitioner:
    system: NationalEcaf = request.app.state.system
    return system.acting_practitioner(principal)


#: A route parameter: the practitioner the request's user token acts as.
Acting = Annotated[Practitioner, Depends(_acting)]


def build_app(
    system: NationalEcaf, *, authenticate: Authenticator, limits: Limits | None = None, test_clock: bool = False
) -> FastAPI:
    """National eCAF's FastAPI application, authenticating callers with `authenticate`.

    With `test_clock` (for accreditation runs only, never by default) POST /maintenance takes `asOf`,
    the day to run the nightly run as of, so a tester can see that no episode closes by itself years on.
    """
    app = create_app(
        "National eCAF",
        "The national store of CAF episodes (ics-interop reference system). Access to an episode needs the "
        "consent of the child or young person, or a parent or carer, on the episode's ledger.",
        receive=system.receiver.receive_http,
        message_types=list(system.receiver.handlers),
        authenticate=authenticate,
        limits=limits,
    )

    app.state.system = system
    episode: dict[str, Any] = {"response_model": CafEpisode, "responses": _ERRORS}

    @app.post("/episodes", status_code=201, summary="Log a CAF episode (tells ContactPoint, F3)", **episode)
    def log_episode(body: LogEpisodeRequest, by: Acting) -> CafEpisode:
        return system.log_episode(
            child=body.child,
            assessment=body.assessment,
            consents=body.consents,
            by=by,
            episode_id=body.episode_id,
            opened_on=body.opened_on,
        )

    @app.get("/episodes/{episode_id}", summary="Read an episode (needs consent; audited)", **episode)
    def read_episode(
        episode_id: str,
        reason: Annotated[str, Query(min_length=1, max_length=2000, description="Why the episode is read (audited).")],
        by: Acting,
    ) -> CafEpisode:
        return system.read_episode(episode_id, by, reason)

    @app.post("/episodes/{episode_id}/consents", summary="Record consent given or withdrawn", **episode)
    def record_consent(episode_id: str, body: ConsentRequest, by: Acting) -> CafEpisode:
        return system.record_consent(episode_id, body.consent, by=by)

    @app.post("/episodes/{episode_id}/tac-members", summary="Add a member to the TAC", **episode)
    def add_tac_member(episode_id: str, body: TacMemberRequest, by: Acting) -> CafEpisode:
        return system.add_tac_member(
            episode_id,
            body.practitioner,
            by=by,
            joined_on=body.joined_on,
            social_care_representative=body.social_care_representative,
        )

    @app.put("/episodes/{episode_id}/lead-professional", summary="Appoint the lead professional (F3)", **episode)
    def appoint_lead(episode_id: str, body: LeadProfessionalRequest, by: Acting) -> CafEpisode:
        return system.appoint_lead_professional(episode_id, body.practitioner_id, by=by, appointed_on=body.appointed_on)

    @app.put("/episodes/{episode_id}/assessment", summary="Record a revised assessment (F3)", **episode)
    def update_assessment(episode_id: str, body: AssessmentRequest, by: Acting) -> CafEpisode:
        return system.update_assessment(episode_id, body.assessment, by=by)

    part: dict[str, Any] = {"status_code": 201, "responses": _ERRORS}

    @app.post("/episodes/{episode_id}/reviews", summary="Record a review", response_model=CafReview, **part)
    def record_review(episode_id: str, body: ReviewRequest, by: Acting) -> CafReview:
        return system.record_review(
            episode_id,
            summary=body.summary,
            by=by,
            review_date=body.review_date,
            next_review_on=body.next_review_on,
        )

    @app.post("/episodes/{episode_id}/actions", summary="Add an agreed action", response_model=CafAction, **part)
    def add_action(episode_id: str, body: ActionRequest, by: Acting) -> CafAction:
        return system.add_action(
            episode_id,
            owner_id=body.owner_id,
            description=body.description,
            due_on=body.due_on,
            by=by,
            action_id=body.action_id,
        )

    @app.post(
        "/episodes/{episode_id}/actions/{action_id}/completion",
        summary="Record an action done",
        response_model=CafAction,
        **part,
    )
    def complete_action(episode_id: str, action_id: str, body: ActionCompletionRequest, by: Acting) -> CafAction:
        return system.complete_action(episode_id, action_id, by=by, completed_on=body.completed_on)

    @app.post("/episodes/{episode_id}/shares", summary="Share the episode with a practitioner (CAF-002)", **episode)
    def share(episode_id: str, body: ShareRequest, by: Acting) -> CafEpisode:
        return system.share_with(episode_id, body.practitioner_id, by=by)

    @app.post("/episodes/{episode_id}/closure", summary="Close the episode (F3)", **episode)
    def close(episode_id: str, body: ClosureRequest, by: Acting) -> CafEpisode:
        return system.close_episode(episode_id, body.reason, by=by, closed_on=body.closed_on)

    @app.post(
        "/episodes/{episode_id}/referrals",
        status_code=201,
        summary="Refer to social care with the episode (F4)",
        response_model=ReferralAnswer,
        responses=_ERRORS,
    )
    def refer(episode_id: str, body: ReferralRequest, by: Acting) -> ReferralAnswer:
        return ReferralAnswer(referral_id=system.refer_to_social_care(episode_id, by, body.reason, body.to))

    @app.post(
        "/episodes/{episode_id}/initial-assessment-offers",
        status_code=201,
        summary="Send the assessment to an ICS as a draft initial assessment (F5)",
        response_model=SentAnswer,
        responses=_ERRORS,
    )
    def offer(episode_id: str, body: InitialAssessmentOfferRequest, by: Acting) -> SentAnswer:
        return SentAnswer(message_id=system.offer_to_initial_assessment(episode_id, by, body.to))

    @app.post(
        "/episodes/{episode_id}/transfers",
        status_code=201,
        summary="Transfer the episode to another eCAF (F7): a manager, or a practitioner with consent",
        response_model=SentAnswer,
        responses=_ERRORS,
    )
    def transfer_out(episode_id: str, body: TransferRequest, by: Acting) -> SentAnswer:
        # A manager transfers on the service's behalf; a practitioner needs consent on the ledger, like any disclosure.
        acting = None if system.is_manager(by) else by
        message_id = system.transfer_out(episode_id, body.to, body.to_la, body.reason, from_la=body.from_la, by=acting)
        return SentAnswer(message_id=message_id)

    @app.post(
        "/migrations",
        summary="Import a migration batch episode by episode (F8); safe to run again",
        response_model=MigrationReport,
        responses=_ERRORS,
        openapi_extra=_MIGRATION_BODY,
        dependencies=[system_dependency([message_scope(MessageType.MIGRATION_BATCH)])],
    )
    async def import_batch(request: Request) -> Any:
        client = principal_of(request)
        body = await request.body()
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in MESSAGE_MEDIA_TYPES:
            return error_json(
                415,
                "HTTP-415",
                f"a batch is sent as XML or JSON, not {content_type or 'nothing'}",
                where="Content-Type",
            )
        mismatch = form_mismatch(body, content_type)
        if mismatch is not None:
            return mismatch
        report: MigrationReport = await anyio.to_thread.run_sync(
            lambda: system.import_migration_batch(body, client=client)
        )
        return report

    @app.get(
        "/migrations/{batch_id}",
        summary="The latest per-episode results of a migration batch (its sender, or a manager)",
        response_model=MigrationReport,
        responses=_ERRORS,
    )
    def migration_report(batch_id: str, request: Request) -> MigrationReport:
        principal = principal_of(request)
        if principal.is_user:
            system.require_manager(system.acting_practitioner(principal))
        report = system.migration_report(batch_id)
        if not principal.is_user and principal.system is not None:
            mine = route_key(SystemRef(system=principal.system, organisation_id=principal.organisation_id))
        else:
            mine = None
        if not principal.is_user and mine != report.sender:
            raise Forbidden(
                "NECAF-ROLE",
                f"the batch {batch_id} was sent by {report.sender}, not by {principal.organisation_id}",
                where="batchId",
                hint="read the results of your own batches, or ask a National eCAF manager",
            )
        return report

    @app.get(
        "/reports/open-episodes",
        summary="Episodes open longer than N days (episodes never close by themselves; managers)",
        response_model=list[OpenEpisode],
        responses=_ERRORS,
    )
    def open_episodes(
        older_than_days: Annotated[int, Query(alias="olderThanDays", ge=0, le=36500)], by: Acting
    ) -> list[OpenEpisode]:
        return system.open_episodes_report(older_than_days, by=by)

    if test_clock:

        @app.post(
            "/maintenance",
            response_model=MaintenanceReport,
            responses=_ERRORS,
            summary="The nightly run as of a day (test clock: accreditation runs only); it closes nothing (managers)",
        )
        def maintenance_as_of(
            by: Acting,
            as_of: Annotated[
                dt.date | None, Query(alias="asOf", description="The day to run as of (default: today).")
            ] = None,
        ) -> MaintenanceReport:
            return system.run_maintenance(as_of, by=by)

    else:

        @app.post(
            "/maintenance",
            response_model=MaintenanceReport,
            responses=_ERRORS,
            summary="The nightly run: the episodes open more than a year; it closes nothing (managers)",
        )
        def maintenance(by: Acting, request: Request) -> MaintenanceReport:
            # The service's own clock decides 'now': a caller who tries to move it is told so.
            if "asOf" in request.query_params:
                raise refusal("NECAF-012", "a caller cannot move the day the nightly run is as of", where="asOf")
            return system.run_maintenance(by=by)

    @app.get(
        "/audit/access", summary="The access audit (managers)", response_model=list[AccessRecord], responses=_ERRORS
    )
    def access_log(
        by: Acting, episode_id: Annotated[str | None, Query(alias="episodeId")] = None
    ) -> list[AccessRecord]:
        return system.access_log(episode_id, by=by)

    @app.post(
        "/users",
        status_code=201,
        summary="Register a user with a role (administrators)",
        response_model=RegisteredUser,
        responses=_ERRORS,
    )
    def register(body: UserRegistration, by: Acting) -> RegisteredUser:
        return system.register_user(body, by=by)

    return app
