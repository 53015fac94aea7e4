"""National eCAF's HTTP service: the standard's `POST /messages`, and JSON routes for practitioners.

Each route calls one method of `NationalEcaf` and answers with the standard's JSON (camelCase,
no nulls). A request that cannot be carried out answers 4xx with one structured error,
`{"error": {"id", "where", "message", "hint"}}`: 403 without consent (CAF-002), 404 for an
unknown episode, 409 for a conflict, 422 for a value or rule the change would break; nothing
is stored. The practitioner acting is named in each request body (`by`): the reference
system trusts it, as authentication is the deploying organisation's business.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import Field
from starlette.exceptions import HTTPException

from ics_interop import SystemRef
from ics_interop.codecs.xml import format_path
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

from ..http import create_app
from . import practice
from .audit import AccessRecord
from .errors import ConsentRefused, EcafError, error_document
from .migration import MigrationReport
from .reports import OpenEpisode

if TYPE_CHECKING:
    from .system import NationalEcaf

__all__ = ["build_app"]


# --- request and response bodies ------------------------------------------------------------


class LogEpisodeRequest(IcsModel):
    """A new CAF episode: the child, the assessment, and the consent to store and share it."""

    child: Child = Field(description="The child or young person.")
    assessment: CafAssessment = Field(description="The common assessment.")
    consents: list[ConsentRecord] = Field(min_length=1, description="The consent ledger, as captured with the CAF.")
    by: Practitioner = Field(description="The practitioner logging it (needs consent on the ledger).")
    episode_id: Identifier | None = Field(default=None, description="An ID to use; National eCAF assigns one if not.")
    opened_on: dt.date | None = Field(default=None, description="The date the episode opened; today if not given.")


class ConsentRequest(IcsModel):
    """A consent decision to add to the ledger."""

    consent: ConsentRecord = Field(description="Consent given or withdrawn, by whom, for whom.")
    by: Practitioner = Field(description="The practitioner recording it.")


class TacMemberRequest(IcsModel):
    """A practitioner joining the Team Around the Child."""

    practitioner: Practitioner = Field(description="The new member.")
    by: Practitioner = Field(description="The practitioner recording it.")
    joined_on: dt.date | None = Field(default=None, description="The date they joined; today if not given.")
    social_care_representative: bool = Field(
        default=False, description="A social services representative standing in until a social worker is allocated."
    )


class LeadProfessionalRequest(IcsModel):
    """The TAC member to appoint lead professional."""

    practitioner_id: Identifier = Field(description="A current member of the TAC (CAF-001).")
    by: Practitioner = Field(description="The practitioner recording it.")
    appointed_on: dt.date | None = Field(default=None, description="The date of appointment; today if not given.")


class AssessmentRequest(IcsModel):
    """A revised common assessment."""

    assessment: CafAssessment = Field(description="The assessment.")
    by: Practitioner = Field(description="The practitioner who completed it.")


class ActionRequest(IcsModel):
    """An agreed action: who, what, by when."""

    owner_id: Identifier = Field(description="The TAC member who will do it (CAF-005).")
    description: Text = Field(description="What will be done.")
    due_on: dt.date = Field(description="By when.")
    by: Practitioner = Field(description="The practitioner recording it.")
    action_id: Identifier | None = Field(default=None, description="An ID to use; assigned if not given.")


class ActionCompletionRequest(IcsModel):
    """That an action was done."""

    by: Practitioner = Field(description="The practitioner recording it.")
    completed_on: dt.date | None = Field(default=None, description="When; today if not given.")


class ReviewRequest(IcsModel):
    """A review of progress."""

    summary: Text = Field(description="Progress and decisions.")
    by: Practitioner = Field(description="The practitioner recording it.")
    review_date: dt.date | None = Field(default=None, description="The date of the review; today if not given.")
    next_review_on: dt.date | None = Field(default=None, description="The date of the next review.")


class ShareRequest(IcsModel):
    """A practitioner to give access to (consent for them or their organisation must be on the ledger)."""

    practitioner_id: Identifier = Field(description="The practitioner.")
    by: Practitioner = Field(description="The practitioner sharing.")


class ClosureRequest(IcsModel):
    """Closing the episode."""

    reason: CafClosureReason = Field(description="Why it closes.")
    by: Practitioner = Field(description="The practitioner closing it.")
    closed_on: dt.date | None = Field(default=None, description="The date; today if not given.")


class ReferralRequest(IcsModel):
    """A referral to social care (F4)."""

    referred_by: Practitioner = Field(description="The practitioner referring (usually the lead professional).")
    reason: Text = Field(description="Why the child is referred.")
    to: SystemRef = Field(description="The ICS of the children's social care service referred to.")


class InitialAssessmentOfferRequest(IcsModel):
    """A social worker's request for the CAF as a draft initial assessment (F5)."""

    requested_by: Practitioner = Field(description="The social worker asking.")
    to: SystemRef = Field(description="The ICS to send the draft to.")


class TransferRequest(IcsModel):
    """Sending the episode to another eCAF as the child moves (F7)."""

    to: SystemRef = Field(description="The receiving eCAF.")
    to_la: LaCode = Field(description="The authority the child moved to.")
    reason: ShortText = Field(description="Why the episode is transferred.")
    from_la: LaCode | None = Field(default=None, description="The authority the child left; as recorded if not given.")
    by: Practitioner | None = Field(default=None, description="The practitioner transferring it.")


class ReferralAnswer(IcsModel):
    """The referral made."""

    referral_id: str = Field(description="The referral's ID; the ICS's response names it.")


class SentAnswer(IcsModel):
    """A message written to the outbox."""

    message_id: str = Field(description="The message's ID.")


class ErrorDetail(IcsModel):
    """What was refused, where, and how to put it right."""

    id: str = Field(description="The rule or constraint ID, for example CAF-002 or MODEL-MISSING.")
    where: str = Field(description="Where in the request, as a JSON-style path.")
    message: str = Field(description="What is wrong.")
    hint: str = Field(description="How to fix it.")


class ErrorBody(IcsModel):
    """The structured error every route answers a refused request with."""

    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "No consent on record (CAF-002); the refusal is audited."},
    404: {"model": ErrorBody, "description": "No such episode (NECAF-001)."},
    409: {"model": ErrorBody, "description": "The episode ID is held already, or the episode changed meanwhile."},
    422: {"model": ErrorBody, "description": "A value, or a rule of the standard, the change would break."},
}

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


def _validation_error(exc: RequestValidationError) -> JSONResponse:
    first = exc.errors()[0]
    loc = [p for p in first.get("loc", ()) if p not in ("body", "query", "path")]
    kind = str(first.get("type", "invalid"))
    return JSONResponse(
        {
            "error": {
                "id": "MODEL-" + kind.upper().replace("_", "-"),
                "where": format_path(loc),
                "message": str(first.get("msg", "invalid value")),
                "hint": "correct the value as the message says; the OpenAPI document gives each member's form",
            }
        },
        status_code=422,
    )


def build_app(system: NationalEcaf) -> FastAPI:
    """National eCAF's FastAPI application."""
    app = create_app(
        "National eCAF",
        "The national store of CAF episodes (ics-interop reference system). Access to an episode needs the "
        "consent of the child or young person, or a parent or carer, on the episode's ledger.",
        system.receiver.receive_http,
    )

    @app.exception_handler(EcafError)
    async def _refused(_request: Request, exc: EcafError) -> JSONResponse:
        return JSONResponse(error_document(exc), status_code=exc.status_code)

    @app.exception_handler(ConsentRefused)
    async def _no_consent(_request: Request, exc: ConsentRefused) -> JSONResponse:
        return JSONResponse(error_document(exc), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return _validation_error(exc)

    @app.exception_handler(HTTPException)
    async def _http(_request: Request, exc: HTTPException) -> JSONResponse:
        document = {"error": {"id": f"HTTP-{exc.status_code}", "where": "", "message": str(exc.detail), "hint": ""}}
        return JSONResponse(document, status_code=exc.status_code)

    episode: dict[str, Any] = {"response_model": CafEpisode, "response_model_exclude_none": True, "responses": _ERRORS}

    @app.post("/episodes", status_code=201, summary="Log a CAF episode (tells ContactPoint, F3)", **episode)
    def log_episode(body: LogEpisodeRequest) -> CafEpisode:
        return system.log_episode(
            child=body.child,
            assessment=body.assessment,
            consents=body.consents,
            by=body.by,
            episode_id=body.episode_id,
            opened_on=body.opened_on,
        )

    @app.get("/episodes/{episode_id}", summary="Read an episode (needs consent; audited)", **episode)
    def read_episode(
        episode_id: str,
        practitioner_id: Annotated[str, Query(alias="practitionerId", min_length=1)],
        reason: Annotated[str, Query(min_length=1, description="Why the episode is read (audited).")],
        organisation_id: Annotated[str | None, Query(alias="organisationId")] = None,
    ) -> CafEpisode:
        return practice.read_episode(
            system.ctx, episode_id, practitioner_id=practitioner_id, organisation_id=organisation_id, reason=reason
        )

    @app.post("/episodes/{episode_id}/consents", summary="Record consent given or withdrawn", **episode)
    def record_consent(episode_id: str, body: ConsentRequest) -> CafEpisode:
        return system.record_consent(episode_id, body.consent, by=body.by)

    @app.post("/episodes/{episode_id}/tac-members", summary="Add a member to the TAC", **episode)
    def add_tac_member(episode_id: str, body: TacMemberRequest) -> CafEpisode:
        return system.add_tac_member(
            episode_id,
            body.practitioner,
            by=body.by,
            joined_on=body.joined_on,
            social_care_representative=body.social_care_representative,
        )

    @app.put("/episodes/{episode_id}/lead-professional", summary="Appoint the lead professional (F3)", **episode)
    def appoint_lead(episode_id: str, body: LeadProfessionalRequest) -> CafEpisode:
        return system.appoint_lead_professional(
            episode_id, body.practitioner_id, by=body.by, appointed_on=body.appointed_on
        )

    @app.put("/episodes/{episode_id}/assessment", summary="Record a revised assessment (F3)", **episode)
    def update_assessment(episode_id: str, body: AssessmentRequest) -> CafEpisode:
        return system.update_assessment(episode_id, body.assessment, by=body.by)

    part: dict[str, Any] = {"status_code": 201, "response_model_exclude_none": True, "responses": _ERRORS}

    @app.post("/episodes/{episode_id}/reviews", summary="Record a review", response_model=CafReview, **part)
    def record_review(episode_id: str, body: ReviewRequest) -> CafReview:
        return system.record_review(
            episode_id,
            summary=body.summary,
            by=body.by,
            review_date=body.review_date,
            next_review_on=body.next_review_on,
        )

    @app.post("/episodes/{episode_id}/actions", summary="Add an agreed action", response_model=CafAction, **part)
    def add_action(episode_id: str, body: ActionRequest) -> CafAction:
        return system.add_action(
            episode_id,
            owner_id=body.owner_id,
            description=body.description,
            due_on=body.due_on,
            by=body.by,
            action_id=body.action_id,
        )

    @app.post(
        "/episodes/{episode_id}/actions/{action_id}/completion",
        summary="Record an action done",
        response_model=CafAction,
        **part,
    )
    def complete_action(episode_id: str, action_id: str, body: ActionCompletionRequest) -> CafAction:
        return system.complete_action(episode_id, action_id, by=body.by, completed_on=body.completed_on)

    @app.post("/episodes/{episode_id}/shares", summary="Share the episode with a practitioner (CAF-002)", **episode)
    def share(episode_id: str, body: ShareRequest) -> CafEpisode:
        return system.share_with(episode_id, body.practitioner_id, by=body.by)

    @app.post("/episodes/{episode_id}/closure", summary="Close the episode (F3)", **episode)
    def close(episode_id: str, body: ClosureRequest) -> CafEpisode:
        return system.close_episode(episode_id, body.reason, by=body.by, closed_on=body.closed_on)

    @app.post(
        "/episodes/{episode_id}/referrals",
        status_code=201,
        summary="Refer to social care with the episode (F4)",
        response_model=ReferralAnswer,
        responses=_ERRORS,
    )
    def refer(episode_id: str, body: ReferralRequest) -> ReferralAnswer:
        return ReferralAnswer(
            referral_id=system.refer_to_social_care(episode_id, body.referred_by, body.reason, body.to)
        )

    @app.post(
        "/episodes/{episode_id}/initial-assessment-offers",
        status_code=201,
        summary="Send the assessment to an ICS as a draft initial assessment (F5)",
        response_model=SentAnswer,
        responses=_ERRORS,
    )
    def offer(episode_id: str, body: InitialAssessmentOfferRequest) -> SentAnswer:
        return SentAnswer(message_id=system.offer_to_initial_assessment(episode_id, body.requested_by, body.to))

    @app.post(
        "/episodes/{episode_id}/transfers",
        status_code=201,
        summary="Transfer the episode to another eCAF (F7)",
        response_model=SentAnswer,
        responses=_ERRORS,
    )
    def transfer_out(episode_id: str, body: TransferRequest) -> SentAnswer:
        message_id = system.transfer_out(episode_id, body.to, body.to_la, body.reason, from_la=body.from_la, by=body.by)
        return SentAnswer(message_id=message_id)

    @app.post(
        "/migrations",
        summary="Import a migration batch episode by episode (F8); safe to run again",
        response_model=MigrationReport,
        responses=_ERRORS,
        openapi_extra=_MIGRATION_BODY,
    )
    async def import_batch(request: Request) -> MigrationReport:
        return system.import_migration_batch(await request.body())

    @app.get(
        "/migrations/{batch_id}",
        summary="The latest per-episode results of a migration batch",
        response_model=MigrationReport,
        responses=_ERRORS,
    )
    def migration_report(batch_id: str) -> MigrationReport:
        return system.migration_report(batch_id)

    @app.get(
        "/reports/open-episodes",
        summary="Episodes open longer than N days (episodes never close by themselves)",
        response_model=list[OpenEpisode],
        response_model_exclude_none=True,
        responses=_ERRORS,
    )
    def open_episodes(older_than_days: Annotated[int, Query(alias="olderThanDays", ge=0)]) -> list[OpenEpisode]:
        return system.open_episodes_report(older_than_days)

    @app.get("/audit/access", summary="The access audit", response_model=list[AccessRecord], responses=_ERRORS)
    def access_log(episode_id: Annotated[str | None, Query(alias="episodeId")] = None) -> list[AccessRecord]:
        return system.access_log(episode_id)

    return app
