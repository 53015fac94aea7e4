"""The directory's HTTP service: the standard's POST /messages, and its own routes.

Practitioners search and view with their directory user ID in `X-Practitioner-Id` and the
reason for the access in `X-Access-Reason`; a child-protection user overrides shielding with
`X-Override-Shielding: <reason>`. Data managers register users, set shielding, resolve held
messages, run maintenance and read the audit log. Every error is a JSON body
``{"error": {"id", "where", "message", "hint"}}`` with a 4xx status.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Body, FastAPI, Header, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..http import create_app
from .errors import DirectoryError
from .retention import MaintenanceReport
from .views import (
    AuditAlert,
    AuditEntry,
    DirectoryRecord,
    MatchQueueEntry,
    MatchResolution,
    MatchResolved,
    PractitionerRegistration,
    RegisteredPractitioner,
    SearchResult,
    ShieldingChange,
    ShieldingState,
)

if TYPE_CHECKING:
    from .system import ContactPointDirectory

__all__ = ["ErrorBody", "directory_app"]


class ErrorDetail(BaseModel):
    """What went wrong, where, and how to fix it."""

    id: str
    where: str
    message: str
    hint: str


class ErrorBody(BaseModel):
    """The body of every error response."""

    error: ErrorDetail


_ERRORS: dict[int | str, dict[str, Any]] = {
    403: {"model": ErrorBody, "description": "Not a registered user, the wrong role, or no reason given."},
    404: {"model": ErrorBody, "description": "No such live record or queue entry."},
    409: {"model": ErrorBody, "description": "The request contradicts what the directory holds."},
    422: {"model": ErrorBody, "description": "Malformed input."},
}

PractitionerId = Annotated[str | None, Header(alias="X-Practitioner-Id", description="Your directory user ID.")]
AccessReason = Annotated[
    str | None, Header(alias="X-Access-Reason", description="Why you need the record (required; audited).")
]
OverrideShielding = Annotated[
    str | None,
    Header(
        alias="X-Override-Shielding",
        description="Child-protection users only: the reason for seeing a shielded child's location (raises an alert).",
    ),
]
ContactPointIdPath = Annotated[str, Path(description="The child's ContactPoint ID.")]

_DESCRIPTION = """The reference ContactPoint directory of ics-interop (seed §2.2, §5.2).

Local systems feed it one way with F1–F3 messages (POST /messages); authorised practitioners find
a child and see who else is involved, never any case information. Every access is audited."""


def directory_app(directory: ContactPointDirectory) -> FastAPI:
    """The FastAPI app of a directory."""
    app = create_app("ContactPoint directory", _DESCRIPTION, directory.receiver.receive_http)

    @app.exception_handler(DirectoryError)
    async def directory_error(_: Request, error: DirectoryError) -> JSONResponse:
        return JSONResponse(error.to_dict(), status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_: Request, error: RequestValidationError) -> JSONResponse:
        problem = error.errors()[0] if error.errors() else {"loc": (), "msg": "malformed request"}
        where = ".".join(str(part) for part in problem.get("loc", ()))
        body = DirectoryError(
            "CP-INPUT",
            str(problem.get("msg", "malformed request")),
            where=where,
            hint="see the OpenAPI document (/docs) for this route's parameters and body",
        ).to_dict()
        return JSONResponse(body, status_code=422)

    @app.get("/children", response_model=SearchResult, responses=_ERRORS, summary="Search for a child")
    def search(
        practitioner_id: PractitionerId = None,
        reason: AccessReason = None,
        override: OverrideShielding = None,
        family_name: Annotated[str | None, Query(alias="familyName", max_length=100)] = None,
        given_names: Annotated[str | None, Query(alias="givenNames", max_length=100)] = None,
        date_of_birth: Annotated[str | None, Query(alias="dateOfBirth", description="YYYY-MM-DD")] = None,
        postcode: Annotated[str | None, Query(max_length=10)] = None,
        identifier: Annotated[
            str | None, Query(max_length=20, description="A ContactPoint ID, NHS number or UPN.")
        ] = None,
    ) -> SearchResult:
        return directory.search(
            practitioner_id=practitioner_id,
            reason=reason,
            family_name=family_name,
            given_names=given_names,
            date_of_birth=date_of_birth,
            postcode=postcode,
            identifier=identifier,
            override_shielding=override,
        )

    @app.get("/children/{contactpoint_id}", response_model=DirectoryRecord, responses=_ERRORS, summary="View a record")
    def view(
        contactpoint_id: ContactPointIdPath,
        practitioner_id: PractitionerId = None,
        reason: AccessReason = None,
        override: OverrideShielding = None,
    ) -> DirectoryRecord:
        return directory.view(
            contactpoint_id, practitioner_id=practitioner_id, reason=reason, override_shielding=override
        )

    @app.post(
        "/practitioners",
        response_model=RegisteredPractitioner,
        status_code=201,
        responses=_ERRORS,
        summary="Register an authorised user (data managers)",
    )
    def register(
        registration: Annotated[PractitionerRegistration, Body()], practitioner_id: PractitionerId = None
    ) -> RegisteredPractitioner:
        # Over HTTP there is always a caller, and it must be a data manager.
        return directory.register_practitioner(registration, by=practitioner_id or "")

    @app.post(
        "/children/{contactpoint_id}/shielding",
        response_model=ShieldingState,
        responses=_ERRORS,
        summary="Shield a child's location, or lift it (data managers)",
    )
    def shielding(
        contactpoint_id: ContactPointIdPath,
        change: Annotated[ShieldingChange, Body()],
        practitioner_id: PractitionerId = None,
    ) -> ShieldingState:
        return directory.set_shielding(contactpoint_id, change, by=practitioner_id)

    @app.get(
        "/match-queue",
        response_model=list[MatchQueueEntry],
        responses=_ERRORS,
        summary="Messages held because their child could not be matched with confidence (data managers)",
    )
    def match_queue(
        practitioner_id: PractitionerId = None,
        include_resolved: Annotated[bool, Query(alias="includeResolved")] = False,
    ) -> list[MatchQueueEntry]:
        return directory.match_queue(by=practitioner_id, include_resolved=include_resolved)

    @app.post(
        "/match-queue/{entry_id}/resolve",
        response_model=MatchResolved,
        responses=_ERRORS,
        summary="Apply a held message to a record (merge) or a new record (new) (data managers)",
    )
    def resolve(
        entry_id: Annotated[int, Path(description="The queue entry.")],
        resolution: Annotated[MatchResolution, Body()],
        practitioner_id: PractitionerId = None,
    ) -> MatchResolved:
        return directory.resolve_match(entry_id, resolution, by=practitioner_id)

    @app.post(
        "/maintenance",
        response_model=MaintenanceReport,
        responses=_ERRORS,
        summary="Expire involvements, archive at 18 or a year after death, purge (data managers)",
    )
    def maintenance(practitioner_id: PractitionerId = None) -> MaintenanceReport:
        # Over HTTP the directory's own clock decides 'now': a caller cannot move time.
        return directory.run_maintenance(by=practitioner_id or "")

    @app.get("/audit", response_model=list[AuditEntry], responses=_ERRORS, summary="The audit log (data managers)")
    def audit(
        practitioner_id: PractitionerId = None,
        contactpoint_id: Annotated[str | None, Query(alias="contactpointId")] = None,
        of_practitioner: Annotated[str | None, Query(alias="practitionerId")] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> list[AuditEntry]:
        return directory.audit_log(
            by=practitioner_id, contactpoint_id=contactpoint_id, practitioner_id=of_practitioner, limit=limit
        )

    @app.get(
        "/audit/alerts",
        response_model=list[AuditAlert],
        responses=_ERRORS,
        summary="Alerts raised by shielding overrides (data managers)",
    )
    def alerts(practitioner_id: PractitionerId = None) -> list[AuditAlert]:
        return directory.audit_alerts(by=practitioner_id)

    return app
