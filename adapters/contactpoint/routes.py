"""The directory's HTTP service: the standard's POST /messages, and its own routes.

Every route but `/health` needs an access token. Local systems deliver their feed (F1–F3) to
`POST /messages` with their own token (client credentials; one scope per message type), and
the envelope's sender must be that client (SEC-001). Practitioners search and view with their
own user token: the directory's registration of the token's subject gives their role, the
token's organisation must be the one they are registered with, and they state the reason for
the access in `X-Access-Reason`; a child-protection user overrides shielding with
`X-Override-Shielding: <reason>` (a reason, never an identity). Data managers register users,
set shielding, resolve held messages, run maintenance (as of the directory's own clock; as of a
day given only with the test clock of accreditation runs) and read the audit log. Every error is a
JSON body ``{"error": {"id", "where", "message", "hint"}}`` with a 4xx status.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated

from fastapi import Body, FastAPI, Header, Path, Query, Request

from ..http import Authenticator, Limits, create_app, error_responses
from ..http.security import ActingUser
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

__all__ = ["directory_app"]


_ERRORS = error_responses(
    403,
    404,
    409,
    422,
    s403="Not a registered user, the wrong role or organisation, or no reason given.",
    s404="No such live record or queue entry.",
)

AccessReason = Annotated[
    str | None,
    Header(alias="X-Access-Reason", max_length=1000, description="Why you need the record (required; audited)."),
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


def directory_app(
    directory: ContactPointDirectory,
    *,
    authenticate: Authenticator,
    limits: Limits | None = None,
    test_clock: bool = False,
) -> FastAPI:
    """The FastAPI app of a directory, authenticating callers with `authenticate`.

    With `test_clock` (for accreditation runs only, never by default) POST /maintenance takes
    `asOf`, the day to run maintenance as of: a tester can see retention and purging happen
    without waiting years. A production service has no such parameter: a caller cannot move its clock.
    """
    app = create_app(
        "ContactPoint directory",
        _DESCRIPTION,
        receive=directory.receiver.receive_http,
        message_types=list(directory.receiver.handlers),
        authenticate=authenticate,
        limits=limits,
    )

    @app.get("/children", response_model=SearchResult, responses=_ERRORS, summary="Search for a child")
    def search(
        user: ActingUser,
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
            practitioner_id=user,
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
        user: ActingUser,
        reason: AccessReason = None,
        override: OverrideShielding = None,
    ) -> DirectoryRecord:
        return directory.view(contactpoint_id, practitioner_id=user, reason=reason, override_shielding=override)

    @app.post(
        "/practitioners",
        response_model=RegisteredPractitioner,
        status_code=201,
        responses=_ERRORS,
        summary="Register an authorised user (data managers)",
    )
    def register(registration: Annotated[PractitionerRegistration, Body()], user: ActingUser) -> RegisteredPractitioner:
        # Over HTTP there is always a caller, and it must be a data manager.
        return directory.register_practitioner(registration, by=user)

    @app.post(
        "/children/{contactpoint_id}/shielding",
        response_model=ShieldingState,
        responses=_ERRORS,
        summary="Shield a child's location, or lift it (data managers)",
    )
    def shielding(
        contactpoint_id: ContactPointIdPath,
        change: Annotated[ShieldingChange, Body()],
        user: ActingUser,
    ) -> ShieldingState:
        return directory.set_shielding(contactpoint_id, change, by=user)

    @app.get(
        "/match-queue",
        response_model=list[MatchQueueEntry],
        responses=_ERRORS,
        summary="Messages held because their child could not be matched with confidence (data managers)",
    )
    def match_queue(
        user: ActingUser,
        include_resolved: Annotated[bool, Query(alias="includeResolved")] = False,
    ) -> list[MatchQueueEntry]:
        return directory.match_queue(by=user, include_resolved=include_resolved)

    @app.post(
        "/match-queue/{entry_id}/resolve",
        response_model=MatchResolved,
        responses=_ERRORS,
        summary="Apply a held message to a record (merge) or a new record (new) (data managers)",
    )
    def resolve(
        entry_id: Annotated[int, Path(ge=1, le=2**31 - 1, description="The queue entry.")],
        resolution: Annotated[MatchResolution, Body()],
        user: ActingUser,
    ) -> MatchResolved:
        return directory.resolve_match(entry_id, resolution, by=user)

    if test_clock:

        @app.post(
            "/maintenance",
            response_model=MaintenanceReport,
            responses=_ERRORS,
            summary="Expire, archive and purge as of a day (test clock: accreditation runs only) (data managers)",
        )
        def maintenance_as_of(
            user: ActingUser,
            as_of: Annotated[
                dt.date | None, Query(alias="asOf", description="The day to run as of (default: today).")
            ] = None,
        ) -> MaintenanceReport:
            moment = None if as_of is None else dt.datetime.combine(as_of, dt.time(12), tzinfo=dt.UTC)
            return directory.run_maintenance(moment, by=user)

    else:

        @app.post(
            "/maintenance",
            response_model=MaintenanceReport,
            responses=_ERRORS,
            summary="Expire involvements, archive at 18 or a year after death, purge (data managers)",
        )
        def maintenance(user: ActingUser, request: Request) -> MaintenanceReport:
            # Over HTTP the directory's own clock decides 'now': a caller cannot move time, and one
            # who tries is told so rather than given a report as of another day than asked.
            if "asOf" in request.query_params:
                raise DirectoryError(
                    "CP-TEST-CLOCK",
                    "this directory runs its maintenance as of its own clock: a caller cannot move it",
                    where="asOf",
                    hint="leave asOf out; only a directory started with its test clock (serve --test-clock, "
                    "for accreditation runs only) takes it",
                )
            return directory.run_maintenance(by=user)

    @app.get("/audit", response_model=list[AuditEntry], responses=_ERRORS, summary="The audit log (data managers)")
    def audit(
        user: ActingUser,
        contactpoint_id: Annotated[str | None, Query(alias="contactpointId")] = None,
        of_practitioner: Annotated[str | None, Query(alias="practitionerId")] = None,
        limit: Annotated[int, Query(ge=1, le=5000)] = 500,
    ) -> list[AuditEntry]:
        return directory.audit_log(
            by=user, contactpoint_id=contactpoint_id, practitioner_id=of_practitioner, limit=limit
        )

    @app.get(
        "/audit/alerts",
        response_model=list[AuditAlert],
        responses=_ERRORS,
        summary="Alerts raised by shielding overrides (data managers)",
    )
    def alerts(user: ActingUser) -> list[AuditAlert]:
        return directory.audit_alerts(by=user)

    return app
