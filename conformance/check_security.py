"""Checks of the HTTP binding's security (docs/binding.md): who may call, with what token, acting as whom.

Over HTTP the suite signs its own tokens (`credentials`): a system under test trusts the suite's
issuer for the run, so the suite can play any sender and any user, and make the tokens a
system must refuse. Through a Python adapter a delivery names the client it comes through
(`Client`), and a call names the user: the checks that make sense in one process (who sent a
message, what a role may do, what the audit records) run there too.
"""

from __future__ import annotations

import base64
import json
import re
import time
from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

from ics_interop import to_xml
from ics_interop.messages import MessageType, SystemRef
from ics_interop.model.codes import SystemKind

from ._adapters import LocalIssuer
from .check_ecaf import Ecaf
from .check_messaging import Probe, message_probe
from .context import CheckContext, CheckFailed
from .http_drivers import SUITE_CLIENT, HttpSystem
from .protocol import (
    AccessDenied,
    Client,
    DirectoryUnderTest,
    EcafUnderTest,
    NotFound,
    Refused,
    SearchCriteria,
)
from .registry import check
from .scenarios import FEEDER_A, FEEDER_B, Cast

__all__: list[str] = []

SERVICES = ("contactpoint", "ecaf", "ics")
REASON = "conformance suite: checking the binding's security"


def _http(ctx: CheckContext) -> HttpSystem:
    if not isinstance(ctx.sut, HttpSystem):
        raise CheckFailed("the system under test is not driven over HTTP")
    return ctx.sut


def _binding_routes(profile: str) -> Iterator[tuple[str, str]]:
    """Every (method, path) of the profile's published OpenAPI document, path parameters filled in."""
    document = json.loads(
        resources.files("ics_interop.schemas").joinpath(f"v1/openapi/{profile}.json").read_text("utf-8")
    )
    for path, operations in document["paths"].items():
        if path == "/health":
            continue
        concrete = re.sub(r"\{[^}]+\}", "CONF-NOTHING-1", path)
        for method in operations:
            yield method.upper(), concrete


def _read_route(ctx: CheckContext, sut: HttpSystem) -> tuple[str, dict[str, Any], str]:
    """A read any authorised user of the profile may make: (path, parameters, the user acting)."""
    if ctx.profile == "contactpoint":
        manager = ctx.options.get("data-manager", "")
        return "/audit", {"limit": 1}, manager
    if ctx.profile == "ecaf":
        return "/reports/open-episodes", {"olderThanDays": 36500}, ctx.options.get("manager", "")
    return "/cases", {}, ctx.options.get("worker", "CONF-ICS-WORKER")


def _headers(token: str | None, **more: str) -> dict[str, str]:
    headers = dict(more)
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return headers


# --- SEC-R01 ------------------------------------------------------------------------------------------


@check(
    "sec.no-token-no-service",
    "Every route of the binding but /health refuses a caller without a token, with 401 and a Bearer challenge",
    requirements=["SEC-R01"],
    profiles=SERVICES,
    kinds=("http",),
)
def no_token_no_service(ctx: CheckContext) -> None:
    sut = _http(ctx)
    with ctx.verifying("SEC-R01"):
        probe = message_probe(ctx)
        answered = sut.raw(
            "POST", "/messages", content=to_xml(probe.message), headers={"Content-Type": "application/xml"}
        )
        ctx.expect(answered.status_code == 401, f"POST /messages without a token answered {answered.status_code}")
        ctx.expect(probe.effect() == 0, "a message delivered without a token took effect")
        for method, path in _binding_routes(ctx.profile):
            response = sut.raw(method, path, content=b"{}", headers={"Content-Type": "application/json"})
            ctx.evidence(f"{method} {path} without a token: {response.status_code}")
            ctx.expect(response.status_code == 401, f"{method} {path} without a token answered {response.status_code}")
            challenge = response.headers.get("www-authenticate", "")
            ctx.expect(
                challenge.lower().startswith("bearer"),
                f"{method} {path} answered 401 without a Bearer challenge (WWW-Authenticate: {challenge!r})",
            )


# --- SEC-R02 ------------------------------------------------------------------------------------------


def _untrustworthy(sut: HttpSystem, subject: str, organisation: str) -> dict[str, Callable[[], str]]:
    """Tokens a service must refuse, each for a user it would otherwise accept."""
    issuer = sut.issuer
    claims: dict[str, Any] = {"audience": sut.audience, "subject": subject, "organisation_id": organisation}
    stranger = LocalIssuer(issuer.issuer)  # the suite's issuer ID, but not its key

    def unsigned() -> str:
        good = issuer.token(**claims)
        _head, payload, _signature = good.split(".")
        return f"{_b64({'alg': 'none', 'typ': 'at+jwt'})}.{payload}."

    return {
        "expired an hour ago": lambda: issuer.token(**claims, now=time.time() - 3600),
        "for another service's audience": lambda: issuer.token(**{**claims, "audience": "urn:another-service"}),
        "signed by a key the issuer never published": lambda: stranger.token(**claims),
        "from an issuer nobody trusts": lambda: LocalIssuer("urn:conformance:untrusted-issuer").token(**claims),
        "with alg none (unsigned)": unsigned,
        "of the type JWT, not an access token": lambda: issuer.token(**claims, extra_header={"typ": "JWT"}),
    }


def _b64(document: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()


@check(
    "sec.untrustworthy-tokens",
    "Expired, foreign, unsigned and mistyped tokens are refused with 401; a good one is accepted",
    requirements=["SEC-R02"],
    profiles=SERVICES,
    kinds=("http",),
)
def untrustworthy_tokens(ctx: CheckContext) -> None:
    sut = _http(ctx)
    path, params, user = _read_route(ctx, sut)
    organisation = sut.known_users.get(user) or sut.identity().organisation_id
    with ctx.verifying("SEC-R02"):
        good = sut.raw("GET", path, token=sut.user_token(user, organisation), params=params)
        ctx.expect(
            good.status_code == 200, f"GET {path} with a good token answered {good.status_code}: {good.text[:200]}"
        )
        for why, make in _untrustworthy(sut, user, organisation).items():
            response = sut.raw("GET", path, token=make(), params=params)
            ctx.evidence(f"GET {path} with a token {why}: {response.status_code}")
            ctx.expect(response.status_code == 401, f"a token {why} was answered {response.status_code}, not 401")
        # The same for a sending system on POST /messages: nothing of the message may take effect.
        probe = message_probe(ctx)
        sender = probe.message.header.sender
        client = f"{sender.system.value}:{sender.organisation_id}"
        claims = {"audience": "urn:another-service", "subject": client, "organisation_id": sender.organisation_id}
        foreign = sut.issuer.token(**claims, client_id=client, system=sender.system, scopes=_all_scopes())
        answered = sut.raw(
            "POST",
            "/messages",
            content=to_xml(probe.message),
            headers=_headers(foreign, **{"Content-Type": "application/xml"}),
        )
        ctx.expect(
            answered.status_code == 401, f"a message with another service's token was answered {answered.status_code}"
        )
        ctx.expect(probe.effect() == 0, "a message delivered with another service's token took effect")


def _all_scopes() -> list[str]:
    return [f"messages:{t.value}" for t in MessageType]


# --- SEC-R03, SEC-R04 ---------------------------------------------------------------------------------


def _other_organisation(sender: SystemRef) -> SystemRef:
    return sender.model_copy(update={"organisation_id": f"{sender.organisation_id[:40]}-IMPOSTOR"})


def _refused_and_nothing_stored(ctx: CheckContext, probe: Probe, client: Client, rule: str, what: str) -> None:
    reply = ctx.deliver(probe.message, client=client)
    ack = ctx.acknowledgement(reply)
    rules = [f.rule_id for f in ack.findings]
    ctx.expect(ack.status.value == "rejected", f"a message {what} was accepted")
    ctx.expect(rule in rules, f"a message {what} was rejected naming {rules}, not {rule}")
    if reply.status is not None:
        ctx.expect(reply.status == 403, f"a message {what} was answered HTTP {reply.status}, not 403")
    ctx.expect(probe.effect() == 0, f"a message {what} took effect")
    honest = ctx.acknowledgement(ctx.deliver(probe.message))
    ctx.expect(
        honest.status.value == "accepted", f"the same message from its own sender was then rejected: {honest.findings}"
    )


@check(
    "sec.sender-is-the-client",
    "A message whose envelope names another sender than the client it came through is rejected (SEC-001)",
    requirements=["SEC-R03"],
    profiles=SERVICES,
)
def sender_is_the_client(ctx: CheckContext) -> None:
    with ctx.verifying("SEC-R03"):
        probe = message_probe(ctx)
        impostor = Client(_other_organisation(probe.message.header.sender))
        _refused_and_nothing_stored(ctx, probe, impostor, "SEC-001", "sent by another organisation's client")
        other_kind = message_probe(ctx)
        sender = other_kind.message.header.sender
        kind = SystemKind.FEED_SOURCE if sender.system is not SystemKind.FEED_SOURCE else SystemKind.ICS
        posing = Client(sender.model_copy(update={"system": kind}))
        _refused_and_nothing_stored(
            ctx,
            other_kind,
            posing,
            "SEC-001",
            f"sent by the organisation's {kind.value} system, not its {sender.system.value}",
        )


@check(
    "sec.scopes",
    "A message of a type the client's token has no scope for is rejected (SEC-002)",
    requirements=["SEC-R04"],
    profiles=SERVICES,
)
def scopes(ctx: CheckContext) -> None:
    with ctx.verifying("SEC-R04"):
        probe = message_probe(ctx)
        others = frozenset(f"messages:{t.value}" for t in MessageType if t is not probe.message.message_type)
        narrow = Client(probe.message.header.sender, scopes=others)
        _refused_and_nothing_stored(ctx, probe, narrow, "SEC-002", "of a type outside the client's scopes")


# --- SEC-R05 ------------------------------------------------------------------------------------------


def _denied(ctx: CheckContext, call: Callable[[], object], what: str) -> None:
    try:
        call()
    except AccessDenied:
        return
    except (Refused, NotFound) as other:
        raise CheckFailed(f"{what} was refused as {other.rule_id}, not as an access denied (403)") from None
    raise CheckFailed(f"{what} was allowed")


@check(
    "sec.roles",
    "A user acts within the role the system registered them with: audit, reports and users belong to their roles",
    requirements=["SEC-R05"],
    profiles=("contactpoint", "ecaf"),
)
def roles(ctx: CheckContext) -> None:
    cast = Cast()
    with ctx.verifying("SEC-R05"):
        if isinstance(ctx.sut, DirectoryUnderTest):
            sut = ctx.sut
            user = f"PRAC-{cast.token}-{ctx.token(4)}"
            sut.register_user(user, "practitioner", cast.youth_service.organisation_id, by=sut.data_manager())
            # Another user's registration changed afterwards (to a data manager) changes nothing of this one's.
            promoted = f"PRAC-{cast.token}-{ctx.token(4)}"
            sut.register_user(promoted, "practitioner", cast.youth_service.organisation_id, by=sut.data_manager())
            sut.register_user(promoted, "data-manager", cast.youth_service.organisation_id, by=sut.data_manager())
            _denied(ctx, lambda: sut.audit_entries(by=user), "a practitioner reading the audit log")
            _denied(ctx, lambda: sut.audit_alerts(by=user), "a practitioner reading the audit alerts")
            _denied(
                ctx,
                lambda: sut.register_user(f"X-{cast.token}", "data-manager", "DCSF", by=user),
                "a practitioner registering a data manager",
            )
            _denied(ctx, lambda: sut.run_maintenance(by=user), "a practitioner running maintenance")
            protector = f"CPT-{cast.token}-{ctx.token(4)}"
            sut.register_user(protector, "child-protection", cast.social_care.organisation_id, by=sut.data_manager())
            _denied(ctx, lambda: sut.audit_entries(by=protector), "a child-protection user reading the audit log")
        elif isinstance(ctx.sut, EcafUnderTest):
            e = Ecaf(ctx)
            ecaf, cast = e.sut, e.cast
            logged = e.log()
            _denied(
                ctx,
                lambda: ecaf.access_log(logged.episode_id, by=cast.mentor),
                "a practitioner reading the access audit",
            )
            _denied(
                ctx,
                lambda: ecaf.open_episodes_report(1, by=cast.mentor),
                "a practitioner reading the management report",
            )
        else:
            raise CheckFailed(f"the system under test does not implement the {ctx.profile} adapter Protocol")


@check(
    "sec.token-kinds",
    "A user's token delivers no message, a system's token acts as no user, and an ICS serves its own staff only",
    requirements=["SEC-R05"],
    profiles=SERVICES,
    kinds=("http",),
)
def token_kinds(ctx: CheckContext) -> None:
    sut = _http(ctx)
    path, params, user = _read_route(ctx, sut)
    organisation = sut.known_users.get(user) or sut.identity().organisation_id
    with ctx.verifying("SEC-R05"):
        probe = message_probe(ctx)
        as_user = sut.raw(
            "POST",
            "/messages",
            content=to_xml(probe.message),
            headers=_headers(sut.user_token(user, organisation), **{"Content-Type": "application/xml"}),
        )
        ctx.expect(as_user.status_code == 403, f"a user's token on POST /messages was answered {as_user.status_code}")
        ctx.expect(probe.effect() == 0, "a message delivered with a user's token took effect")
        as_system = sut.raw("GET", path, token=sut.system_token(Client(probe.message.header.sender)), params=params)
        ctx.expect(as_system.status_code == 403, f"a system's token on GET {path} was answered {as_system.status_code}")
        if ctx.profile == "ics":
            stranger = sut.user_token(user, f"{organisation[:40]}-ELSEWHERE")
            answered = sut.raw("GET", path, token=stranger, params=params)
            ctx.expect(
                answered.status_code == 403,
                f"a user of another organisation reading the cases was answered {answered.status_code}",
            )


# --- SEC-R06 ------------------------------------------------------------------------------------------


@check(
    "sec.identity-from-the-token",
    "A user named in a header, a parameter or a body field changes nothing: the token's subject acts",
    requirements=["SEC-R06"],
    profiles=("contactpoint", "ecaf"),
    kinds=("http",),
)
def identity_from_the_token(ctx: CheckContext) -> None:
    sut = _http(ctx)
    cast = Cast()
    with ctx.verifying("SEC-R06"):
        if ctx.profile == "contactpoint":
            assert isinstance(sut, DirectoryUnderTest)
            # A practitioner and a data manager of the same organisation: the practitioner names the colleague.
            organisation = cast.youth_service.organisation_id
            user = f"PRAC-{cast.token}-{ctx.token(4)}"
            colleague = f"DM-{cast.token}-{ctx.token(4)}"
            sut.register_user(user, "practitioner", organisation, by=sut.data_manager())
            sut.register_user(colleague, "data-manager", organisation, by=sut.data_manager())
            token = sut.user_token(user)
            borrowed = {"X-Practitioner-Id": colleague, "X-User-Id": colleague, "X-Role": "data-manager"}
            answered = sut.raw("GET", "/audit", token=token, headers=borrowed, params={"practitionerId": colleague})
            ctx.expect(
                answered.status_code == 403,
                f"a practitioner naming a data manager in headers read the audit log (HTTP {answered.status_code})",
            )
        else:
            assert isinstance(sut, EcafUnderTest)
            e = Ecaf(ctx)
            cast = e.cast
            episode = e.log()
            stranger = sut.as_practitioner(cast.nurse)
            mentor = cast.mentor
            pretend = {
                "reason": REASON,
                "practitionerId": mentor.practitioner_id,
                "organisationId": mentor.organisation.organisation_id,
            }
            read = sut.raw("GET", f"/episodes/{episode.episode_id}", token=stranger, params=pretend)
            ctx.expect(
                read.status_code == 403,
                f"a stranger naming a consented practitioner read the CAF (HTTP {read.status_code})",
            )
            consent = cast.consent(practitioner=cast.nurse.practitioner_id)
            body = {
                "consent": consent.model_dump(mode="json", by_alias=True, exclude_none=True),
                "by": mentor.model_dump(mode="json", by_alias=True, exclude_none=True),
            }
            granted = sut.raw("POST", f"/episodes/{episode.episode_id}/consents", token=stranger, json=body)
            ctx.expect(
                granted.status_code >= 400, "a stranger recorded consent for himself 'by' a consented practitioner"
            )
            seen = sut.read_episode(episode.episode_id, reader=mentor, reason=REASON)
            ctx.expect(
                all(c.consent_id != consent.consent_id for c in seen.consents),
                "the consent a stranger recorded 'by' someone else is on the ledger",
            )


# --- SEC-R07 ------------------------------------------------------------------------------------------


@check(
    "sec.audit-names-who",
    "The audit entry of an access names the authenticated user (and, over HTTP, the client)",
    requirements=["SEC-R07"],
    profiles=("contactpoint", "ecaf"),
)
def audit_names_who(ctx: CheckContext) -> None:
    cast = Cast()
    client = SUITE_CLIENT if isinstance(ctx.sut, HttpSystem) else None
    with ctx.verifying("SEC-R07"):
        if isinstance(ctx.sut, DirectoryUnderTest):
            sut = ctx.sut
            user = f"PRAC-{cast.token}-{ctx.token(4)}"
            sut.register_user(user, "practitioner", cast.youth_service.organisation_id, by=sut.data_manager())
            nhs = cast.nhs_number()
            sut.search(SearchCriteria(identifier=nhs), user_id=user, reason=REASON)  # finds nothing: still an access
            mine = [e for e in sut.audit_entries(by=sut.data_manager()) if e.user_id == user and e.action == "search"]
            ctx.expect(mine, f"no audit entry names {user}, who searched")
            if client is not None:
                ctx.expect(
                    all(e.client_id == client for e in mine),
                    f"the audit names the client {[e.client_id for e in mine]}, not {client}, the one the token named",
                )
        elif isinstance(ctx.sut, EcafUnderTest):
            e = Ecaf(ctx)
            ecaf, cast = e.sut, e.cast
            episode = e.log()
            e.read(episode.episode_id)
            entries = [
                e for e in ecaf.access_log(episode.episode_id) if e.practitioner_id == cast.mentor.practitioner_id
            ]
            ctx.expect(entries, f"no access audit entry names {cast.mentor.practitioner_id}, who read the episode")
            if client is not None:
                ctx.expect(
                    any(e.client_id == client for e in entries),
                    f"the access audit names the clients {[e.client_id for e in entries]}, not {client}",
                )
        else:
            raise CheckFailed(f"the system under test does not implement the {ctx.profile} adapter Protocol")


# --- CP-R22 -------------------------------------------------------------------------------------------


@check(
    "cp.ends-only-its-own",
    "A sender cannot end an involvement another sender started (CP-INV-OWNER)",
    requirements=["CP-R22"],
    profiles=("contactpoint",),
)
def ends_only_its_own(ctx: CheckContext) -> None:
    if not isinstance(ctx.sut, DirectoryUnderTest):
        raise CheckFailed("the system under test does not implement the contactpoint adapter Protocol")
    sut = ctx.sut
    cast = Cast()
    user = f"PRAC-{cast.token}-{ctx.token(4)}"
    sut.register_user(user, "practitioner", cast.youth_service.organisation_id, by=sut.data_manager())
    with ctx.verifying("CP-R22"):
        child = cast.child()
        involvement = cast.involvement(start=ctx.now().date().replace(day=1))
        ctx.accepted(cast.involvement_started(child, involvement, sender=FEEDER_A))
        ended = cast.involvement_ended(child, involvement, ctx.now().date(), sender=FEEDER_B)
        ack = ctx.acknowledgement(ctx.deliver(ended))
        rules = [f.rule_id for f in ack.findings]
        ctx.expect(ack.status.value == "rejected", "another sender ended the involvement")
        ctx.expect("CP-INV-OWNER" in rules, f"another sender's end was rejected naming {rules}, not CP-INV-OWNER")
        [record] = sut.search(SearchCriteria(identifier=child.identifiers.nhs_number), user_id=user, reason=REASON)
        shown = [i for i in record.involvements if i.involvement_id == involvement.involvement_id]
        ctx.expect(shown and shown[0].end_date is None, "the involvement shows as ended after another sender's end")
