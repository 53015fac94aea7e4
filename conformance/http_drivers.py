"""The HTTP binding, driven: each profile's adapter Protocol, implemented over the reference services' routes.

A system offered as `--target http://host:port` is driven through the routes the reference
services define (their OpenAPI documents are the binding): `POST /messages` for every
receiver, and each profile's own routes for set-up and triggers. So the checks written
against the Protocol run unchanged over HTTP. What the system sends, it delivers to the
suite's receiver by itself, in its own time; `flush_outbox` has nothing to do.

Every request carries an access token the suite signs itself (`credentials.SuiteIssuer`): the
tester configures the system to trust the suite's issuer, so the suite can act as every
connected system (a system token for the client a delivery comes through) and every user a
check needs (a user token, with the user's practitioner details where the driver knows them),
and can make the broken tokens a system must refuse. `raw` sends any request with any token
(or none), for the security checks.

Errors come back as `{"error": {"id", "where", "message", "hint"}}`: 401 and 403 become
`AccessDenied`, 404 `NotFound`, any other 4xx `Refused`, each with the error's ID.
"""

from __future__ import annotations

import datetime as dt
import ssl
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from ics_interop.messages import StepDownRequest, StepUpDecision, SystemRef
from ics_interop.model import (
    CafAssessment,
    CafEpisode,
    CaseRecord,
    Child,
    ConsentRecord,
    IcsClosure,
    IcsModel,
    IcsReferral,
    Practitioner,
)
from ics_interop.model.codes import CafClosureReason

from ._adapters import LocalIssuer
from .protocol import (
    AccessDenied,
    AccessEntry,
    AlertEntry,
    AuditView,
    CafReferralView,
    Client,
    DirectoryInvolvementView,
    DirectoryView,
    HeldMessage,
    MaintenanceView,
    MessageSink,
    NotFound,
    Refused,
    Reply,
    SearchCriteria,
)

__all__ = [
    "SUITE_CLIENT",
    "DirectoryOverHttp",
    "EcafOverHttp",
    "HttpSystem",
    "IcsOverHttp",
    "directory_view",
    "error_of",
]

#: The client the suite's user tokens name: the one a system's audit must record (SEC-R07).
SUITE_CLIENT = "urn:ics-interop:conformance-suite:client"


def _json(model: IcsModel) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def error_of(response: httpx.Response) -> tuple[str, str]:
    """A refusal's (ID, message), from the binding's error body, or (HTTP-status, the text) without one."""
    try:
        error = response.json()["error"]
        return str(error.get("id", "")), str(error.get("message", ""))
    except (ValueError, KeyError, TypeError, AttributeError):
        return f"HTTP-{response.status_code}", response.text[:300]


class HttpSystem:
    """What every system over HTTP offers: its description, its identity, POST /messages."""

    def __init__(
        self,
        base_url: str,
        identity: SystemRef,
        *,
        issuer: LocalIssuer,
        audience: str | None = None,
        timeout: float = 20.0,
        verify: ssl.SSLContext | bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._identity = identity
        self.issuer = issuer
        self.audience = audience or self.base_url
        self.client = httpx.Client(base_url=self.base_url, timeout=timeout, verify=verify)
        self.known_users: dict[str, str] = {}  # user ID -> organisation, as the suite set them up

    def describe(self) -> Mapping[str, str]:
        """The service's OpenAPI title and version, as it states them."""
        try:
            info = self.client.get("/openapi.json").json().get("info", {})
        except (httpx.HTTPError, ValueError):
            info = {}
        return {"url": self.base_url, "title": str(info.get("title", "")), "version": str(info.get("version", ""))}

    def identity(self) -> SystemRef:
        """The system as messages address it (given on the command line)."""
        return self._identity

    # --- tokens -------------------------------------------------------------------------------

    def system_token(self, client: Client) -> str:
        """A token for a connected system, with its scopes, for this service."""
        scopes = None if client.scopes is None else sorted(client.scopes)
        return self.issuer.system_token(client.system, self.audience, scopes)

    def user_token(self, user_id: str, organisation_id: str | None = None, practitioner: Any = None) -> str:
        """A token for a user of the organisation the suite registered them with (or the one given)."""
        organisation = organisation_id or self.known_users.get(user_id) or self._identity.organisation_id
        return self.issuer.user_token(
            user_id, organisation, self.audience, practitioner=practitioner, client_id=SUITE_CLIENT
        )

    def as_practitioner(self, practitioner: Practitioner) -> str:
        """A token for a practitioner, carrying their details (the standard's Practitioner)."""
        return self.user_token(
            practitioner.practitioner_id, practitioner.organisation.organisation_id, _json(practitioner)
        )

    @staticmethod
    def bearer(token: str) -> dict[str, str]:
        """The Authorization header of a token."""
        return {"Authorization": f"Bearer {token}"}

    # --- requests -----------------------------------------------------------------------------

    def deliver(self, body: bytes, content_type: str, client: Client) -> Reply:
        """POST /messages with the client's token."""
        headers = {"Content-Type": content_type, **self.bearer(self.system_token(client))}
        response = self.client.post("/messages", content=body, headers=headers)
        return Reply(response.content, response.headers.get("content-type", ""), response.status_code)

    def deliver_batch(self, body: bytes, content_type: str, client: Client) -> Reply:
        """POST /messages?batch=true with the client's token."""
        headers = {"Content-Type": content_type, **self.bearer(self.system_token(client))}
        response = self.client.post("/messages", params={"batch": "true"}, content=body, headers=headers)
        return Reply(response.content, response.headers.get("content-type", ""), response.status_code)

    def raw(self, method: str, path: str, *, token: str | None = None, **kwargs: Any) -> httpx.Response:
        """Any request, with the given token (or none): for the checks of the binding's security."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        return self.client.request(method, path, headers=headers, **kwargs)

    def flush_outbox(self, sink: MessageSink) -> None:
        """Nothing to do: a service delivers to the suite's receiver by itself."""

    def close(self) -> None:
        """Close the connections."""
        self.client.close()

    def _call(self, method: str, path: str, *, token: str, **kwargs: Any) -> Any:
        response = self.raw(method, path, token=token, **kwargs)
        if response.status_code < 400:
            return response.json() if response.content else None
        rule_id, message = error_of(response)
        if response.status_code in (401, 403):
            raise AccessDenied(rule_id, message)
        if response.status_code == 404:
            raise NotFound(rule_id, message)
        raise Refused(rule_id, message)


# --- ContactPoint ------------------------------------------------------------------------------------


def directory_view(record: Mapping[str, Any]) -> DirectoryView:
    """A record as the reference directory's API shows it (camelCase JSON), as the suite reads it."""
    address = record.get("address") or record.get("lastKnownAddress") or {}
    lead = record.get("leadProfessional") or {}
    indicators = list(record.get("cafIndicators") or [])
    involvements = []
    for inv in record.get("involvements") or []:
        contact = inv.get("practitioner") or inv.get("team") or {}
        involvements.append(
            DirectoryInvolvementView(
                involvement_id=str(inv.get("involvementId", "")),
                service_name=str(inv.get("serviceName", "")),
                contact_id=contact.get("practitionerId") or contact.get("teamId"),
                end_date=dt.date.fromisoformat(inv["endDate"]) if inv.get("endDate") else None,
                sensitive=inv.get("sensitive"),
            )
        )
    born = record.get("dateOfBirth")
    return DirectoryView(
        contactpoint_id=str(record.get("contactpointId", "")),
        given_names=str(record.get("name", {}).get("givenNames", "")),
        family_name=str(record.get("name", {}).get("familyName", "")),
        former_family_names=tuple(str(n.get("familyName", "")) for n in record.get("formerNames") or []),
        date_of_birth=dt.date.fromisoformat(born) if born else None,
        gender=str(record.get("gender", "")),
        location_hidden=bool(record.get("locationHidden")),
        postcode=address.get("postcode"),
        parent_carer_names=tuple(
            f"{p.get('name', {}).get('givenNames', '')} {p.get('name', {}).get('familyName', '')}"
            for p in record.get("parentsCarers") or []
        ),
        involvements=tuple(involvements),
        caf_indicator=bool(indicators),
        caf_completed_by=indicators[0].get("completedBy", {}).get("practitionerId") if indicators else None,
        lead_professional_id=lead.get("practitionerId"),
        raw=dict(record),
    )


class DirectoryOverHttp(HttpSystem):
    """The contactpoint profile over the reference directory's routes."""

    def __init__(
        self,
        base_url: str,
        identity: SystemRef,
        *,
        issuer: LocalIssuer,
        data_manager: str,
        data_manager_organisation: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, identity, issuer=issuer, **options)
        self._data_manager = data_manager
        self.known_users[data_manager] = data_manager_organisation or identity.organisation_id

    def data_manager(self) -> str:
        """The data manager given on the command line (--option data-manager=ID)."""
        return self._data_manager

    @staticmethod
    def _reasons(reason: str | None = None, override_reason: str | None = None) -> dict[str, str]:
        # A header's value has no leading or trailing space (RFC 9110 §5.5): a blank reason goes empty.
        headers = {}
        if reason is not None:
            headers["X-Access-Reason"] = reason.strip()
        if override_reason is not None:
            headers["X-Override-Shielding"] = override_reason.strip()
        return headers

    def register_user(self, user_id: str, role: str, organisation_id: str, *, by: str) -> None:
        """POST /practitioners."""
        body = {
            "practitionerId": user_id,
            "name": {"givenNames": "Conformance", "familyName": "User"},
            "role": role,
            "organisationId": organisation_id,
        }
        self.known_users[user_id] = organisation_id
        self._call("POST", "/practitioners", token=self.user_token(by), json=body)

    def search(
        self, criteria: SearchCriteria, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> list[DirectoryView]:
        """GET /children."""
        params = {
            "familyName": criteria.family_name,
            "givenNames": criteria.given_names,
            "dateOfBirth": criteria.date_of_birth.isoformat() if criteria.date_of_birth else None,
            "postcode": criteria.postcode,
            "identifier": criteria.identifier,
        }
        found = self._call(
            "GET",
            "/children",
            token=self.user_token(user_id),
            params={k: v for k, v in params.items() if v is not None},
            headers=self._reasons(reason, override_reason),
        )
        return [directory_view(r) for r in found.get("records", [])]

    def view(
        self, contactpoint_id: str, *, user_id: str, reason: str | None, override_reason: str | None = None
    ) -> DirectoryView:
        """GET /children/{id}."""
        found = self._call(
            "GET",
            f"/children/{contactpoint_id}",
            token=self.user_token(user_id),
            headers=self._reasons(reason, override_reason),
        )
        return directory_view(found)

    def set_shielding(self, contactpoint_id: str, shielded: bool, *, by: str, reason: str) -> None:
        """POST /children/{id}/shielding."""
        self._call(
            "POST",
            f"/children/{contactpoint_id}/shielding",
            token=self.user_token(by),
            json={"shielded": shielded, "reason": reason},
        )

    def run_maintenance(self, *, by: str, as_of: dt.date | None = None) -> MaintenanceView | None:
        """POST /maintenance, with asOf=DAY when given (a service takes it only when started with its test clock).

        What the report says it did, or None when it says no day it ran as of.
        """
        params = {"asOf": as_of.isoformat()} if as_of is not None else {}
        report = self._call("POST", "/maintenance", token=self.user_token(by), params=params)
        if not isinstance(report, dict):
            return None
        try:
            ran_on = dt.date.fromisoformat(str(report.get("ranAt", ""))[:10])
        except ValueError:
            return None
        archived = [*(report.get("archivedAtEighteen") or []), *(report.get("archivedAfterDeath") or [])]
        return MaintenanceView(
            ran_on=ran_on, archived=tuple(map(str, archived)), purged=tuple(map(str, report.get("purged") or []))
        )

    def audit_entries(self, *, by: str, contactpoint_id: str | None = None) -> list[AuditView]:
        """GET /audit."""
        params = {"contactpointId": contactpoint_id} if contactpoint_id else {}
        found = self._call("GET", "/audit", token=self.user_token(by), params=params)
        return [
            AuditView(
                user_id=str(e.get("practitionerId", "")),
                action=str(e.get("action", "")),
                outcome=str(e.get("outcome", "")),
                records=tuple(e.get("records") or ()),
                reason=str(e.get("reason", "")),
                client_id=str(e.get("clientId", "")),
            )
            for e in found
        ]

    def audit_alerts(self, *, by: str) -> list[AlertEntry]:
        """GET /audit/alerts."""
        found = self._call("GET", "/audit/alerts", token=self.user_token(by))
        return [
            AlertEntry(
                user_id=str(a.get("practitionerId", "")),
                contactpoint_id=str(a.get("contactpointId", "")),
                reason=str(a.get("reason", "")),
            )
            for a in found
        ]

    def held_messages(self, *, by: str) -> list[HeldMessage]:
        """GET /match-queue."""
        found = self._call("GET", "/match-queue", token=self.user_token(by))
        return [
            HeldMessage(
                message_id=str(e.get("messageId", "")),
                reason=str(e.get("reason", "")),
                candidates=tuple(str(c.get("contactpointId", "")) for c in e.get("candidates") or []),
            )
            for e in found
        ]


# --- National eCAF -----------------------------------------------------------------------------------


class EcafOverHttp(HttpSystem):
    """The ecaf profile over the reference National eCAF's routes: each practitioner acts with their own token."""

    def __init__(
        self,
        base_url: str,
        identity: SystemRef,
        *,
        issuer: LocalIssuer,
        manager: str,
        manager_organisation: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(base_url, identity, issuer=issuer, **options)
        self._manager = manager
        self.known_users[manager] = manager_organisation or identity.organisation_id

    @property
    def manager(self) -> str:
        """The manager given on the command line (--option manager=ID)."""
        return self._manager

    def _by(self, by: Practitioner | None) -> str:
        return self.user_token(self._manager) if by is None else self.as_practitioner(by)

    def log_episode(
        self,
        *,
        child: Child,
        assessment: CafAssessment,
        consents: Sequence[ConsentRecord],
        by: Practitioner,
        episode_id: str,
        opened_on: dt.date,
    ) -> CafEpisode:
        """POST /episodes."""
        body = {
            "child": _json(child),
            "assessment": _json(assessment),
            "consents": [_json(c) for c in consents],
            "episodeId": episode_id,
            "openedOn": opened_on.isoformat(),
        }
        return CafEpisode.model_validate(self._call("POST", "/episodes", token=self._by(by), json=body))

    def read_episode(self, episode_id: str, *, reader: Practitioner, reason: str) -> CafEpisode:
        """GET /episodes/{id}."""
        found = self._call("GET", f"/episodes/{episode_id}", token=self._by(reader), params={"reason": reason})
        return CafEpisode.model_validate(found)

    def record_consent(self, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> None:
        """POST /episodes/{id}/consents."""
        self._call("POST", f"/episodes/{episode_id}/consents", token=self._by(by), json={"consent": _json(consent)})

    def add_tac_member(self, episode_id: str, practitioner: Practitioner, *, by: Practitioner) -> None:
        """POST /episodes/{id}/tac-members."""
        body = {"practitioner": _json(practitioner)}
        self._call("POST", f"/episodes/{episode_id}/tac-members", token=self._by(by), json=body)

    def appoint_lead_professional(self, episode_id: str, practitioner_id: str, *, by: Practitioner) -> None:
        """PUT /episodes/{id}/lead-professional."""
        body = {"practitionerId": practitioner_id}
        self._call("PUT", f"/episodes/{episode_id}/lead-professional", token=self._by(by), json=body)

    def close_episode(self, episode_id: str, reason: CafClosureReason, *, by: Practitioner) -> None:
        """POST /episodes/{id}/closure."""
        self._call("POST", f"/episodes/{episode_id}/closure", token=self._by(by), json={"reason": reason.value})

    def refer_to_social_care(self, episode_id: str, *, by: Practitioner, reason: str, to: SystemRef) -> str:
        """POST /episodes/{id}/referrals."""
        body = {"reason": reason, "to": _json(to)}
        answer = self._call("POST", f"/episodes/{episode_id}/referrals", token=self._by(by), json=body)
        return str(answer["referralId"])

    def offer_to_initial_assessment(self, episode_id: str, *, by: Practitioner, to: SystemRef) -> None:
        """POST /episodes/{id}/initial-assessment-offers."""
        body = {"to": _json(to)}
        self._call("POST", f"/episodes/{episode_id}/initial-assessment-offers", token=self._by(by), json=body)

    def transfer_out(self, episode_id: str, *, to: SystemRef, from_la: str, to_la: str, reason: str) -> None:
        """POST /episodes/{id}/transfers (as the manager: a transfer is the service's act)."""
        body = {"to": _json(to), "fromLa": from_la, "toLa": to_la, "reason": reason}
        self._call("POST", f"/episodes/{episode_id}/transfers", token=self._by(None), json=body)

    def open_episodes_report(self, older_than_days: int, *, by: Practitioner | None = None) -> list[str]:
        """GET /reports/open-episodes."""
        params = {"olderThanDays": older_than_days}
        found = self._call("GET", "/reports/open-episodes", token=self._by(by), params=params)
        return [str(e["episodeId"]) for e in found]

    def access_log(self, episode_id: str, *, by: Practitioner | None = None) -> list[AccessEntry]:
        """GET /audit/access."""
        found = self._call("GET", "/audit/access", token=self._by(by), params={"episodeId": episode_id})
        return [
            AccessEntry(
                practitioner_id=e.get("practitionerId"),
                action=str(e.get("action", "")),
                client_id=str(e.get("clientId", "")),
            )
            for e in found
        ]

    def run_maintenance(
        self, *, by: Practitioner | None = None, as_of: dt.date | None = None
    ) -> MaintenanceView | None:
        """POST /maintenance, with asOf=DAY when given (a service takes it only when started with its test clock).

        The day the nightly run says it ran as of and the episodes it lists as long open, or None.
        """
        params = {"asOf": as_of.isoformat()} if as_of is not None else {}
        report = self._call("POST", "/maintenance", token=self._by(by), params=params)
        if not isinstance(report, dict):
            return None
        try:
            ran_on = dt.date.fromisoformat(str(report.get("ranOn", ""))[:10])
        except ValueError:
            return None
        listed = report.get("longOpen")
        long_open = None if not isinstance(listed, list) else tuple(str(e.get("episodeId", "")) for e in listed)
        return MaintenanceView(ran_on=ran_on, long_open=long_open)


# --- ICS ---------------------------------------------------------------------------------------------


class IcsOverHttp(HttpSystem):
    """The ics profile over the reference ICS system's routes, as one worker of the authority."""

    def __init__(self, base_url: str, identity: SystemRef, *, issuer: LocalIssuer, worker: str, **options: Any) -> None:
        super().__init__(base_url, identity, issuer=issuer, **options)
        self._worker = worker

    @property
    def worker(self) -> str:
        """The worker the suite acts as (--option worker=ID)."""
        return self._worker

    def _call_as_worker(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._call(method, path, token=self.user_token(self._worker), **kwargs)

    def open_case(self, child: Child) -> str:
        """POST /cases."""
        return str(self._call_as_worker("POST", "/cases", json={"child": _json(child)})["caseId"])

    def case_ids(self) -> list[str]:
        """GET /cases."""
        return [str(c["caseId"]) for c in self._call_as_worker("GET", "/cases")]

    def case_record(self, case_id: str) -> CaseRecord:
        """GET /cases/{id}."""
        return CaseRecord.model_validate(self._call_as_worker("GET", f"/cases/{case_id}"))

    def record_referral(self, case_id: str, referral: IcsReferral) -> None:
        """POST /cases/{id}/referrals."""
        self._call_as_worker("POST", f"/cases/{case_id}/referrals", json=_json(referral))

    def close_case(self, case_id: str, closure: IcsClosure) -> None:
        """POST /cases/{id}/closure."""
        self._call_as_worker("POST", f"/cases/{case_id}/closure", json=_json(closure))

    def caf_referrals(self) -> list[CafReferralView]:
        """GET /caf-referrals."""
        return [
            CafReferralView(
                ics_referral_id=str(r["icsReferralId"]),
                case_id=str(r["caseId"]),
                ecaf_referral_id=str(r["ecafReferralId"]),
                episode_id=str(r["episodeId"]),
            )
            for r in self._call_as_worker("GET", "/caf-referrals")
        ]

    def answer_caf_referral(
        self, ics_referral_id: str, *, decision: StepUpDecision, joining: Practitioner | None, representative: bool
    ) -> None:
        """POST /caf-referrals/{id}/answer."""
        body: dict[str, Any] = {"decision": decision.value, "representative": representative}
        if joining is not None:
            body["joiningMember"] = _json(joining)
        self._call_as_worker("POST", f"/caf-referrals/{ics_referral_id}/answer", json=body)

    def drafts(self, case_id: str) -> list[str]:
        """GET /cases/{id}/drafts."""
        return [
            str(d["assessment"]["assessmentId"])
            for d in self._call_as_worker("GET", f"/cases/{case_id}/drafts")
            if not d.get("confirmed")
        ]

    def confirm_draft(self, case_id: str, assessment_id: str, *, by: Practitioner) -> None:
        """POST /cases/{id}/drafts/{assessment}/confirm."""
        self._call_as_worker(
            "POST", f"/cases/{case_id}/drafts/{assessment_id}/confirm", json={"confirmedBy": _json(by)}
        )

    def step_down(
        self,
        case_id: str,
        *,
        episode_id: str,
        social_worker: Practitioner,
        outstanding_needs: Sequence[str],
        request: StepDownRequest,
    ) -> None:
        """POST /cases/{id}/step-down."""
        body = {
            "episodeId": episode_id,
            "socialWorker": _json(social_worker),
            "outstandingNeeds": list(outstanding_needs),
            "request": request.value,
        }
        self._call_as_worker("POST", f"/cases/{case_id}/step-down", json=body)

    def transfer_case(self, case_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        """POST /cases/{id}/transfer."""
        self._call_as_worker(
            "POST", f"/cases/{case_id}/transfer", json={"to": _json(to), "toLa": to_la, "reason": reason}
        )

    def hold_local_episode(self, episode: CafEpisode) -> None:
        """POST /local-ecaf/episodes."""
        self._call_as_worker("POST", "/local-ecaf/episodes", json=_json(episode))

    def transfer_local_episode(self, episode_id: str, *, to: SystemRef, to_la: str, reason: str) -> None:
        """POST /local-ecaf/episodes/{id}/transfer."""
        body = {"to": _json(to), "toLa": to_la, "reason": reason}
        self._call_as_worker("POST", f"/local-ecaf/episodes/{episode_id}/transfer", json=body)

    def export_migration_batch(self, batch_id: str, episode_ids: Sequence[str]) -> None:
        """POST /local-ecaf/migration-batches."""
        self._call_as_worker(
            "POST", "/local-ecaf/migration-batches", json={"batchId": batch_id, "episodeIds": list(episode_ids)}
        )
