"""The HTTP binding's security, tried as an attacker would: every attack that once succeeded now fails.

Each attack below worked against the reference services before they took identity from a
verified token (issue: "The HTTP binding, secured and hardened"). Each is tried over HTTP
against the three services, running on SQLite and trusting the tests' issuer, and, where the
attack has a meaning in one process, through the conformance suite's Python adapters too.
"""

from __future__ import annotations

import base64
import json
import socket
import time
import uuid
from collections.abc import Iterator

import attrs
import httpx
import ics_interop.adapters.http.server as server
import pytest
from fastapi import FastAPI
from ics_interop.adapters.auth import LocalIssuer
from ics_interop.adapters.contactpoint import ContactPointDirectory, ShieldingChange
from ics_interop.adapters.ecaf import EcafRole, NationalEcaf, UserRegistration
from ics_interop.adapters.http import running_server
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from ics_interop.adapters.messaging import new_header
from ics_interop.conformance.protocol import AccessDenied, Client
from ics_interop.conformance.reference_adapters import ReferenceDirectory, ReferenceEcaf

from callers import ISSUER, audience_of, practitioner_headers, service, system_headers, user_headers
from ics_interop import from_json, from_xml, to_json, to_xml
from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, MELANIE, SOCIAL_CARE_DUTY_TEAM, STEVE, example_messages
from ics_interop.messages import Acknowledgement, InvolvementEnded, MessageType, SystemRef
from ics_interop.model.codes import SystemKind
from test_contactpoint_story import (
    CHILD_PROTECTION,
    DATA_MANAGER,
    MELANIE_ID,
    FakeClock,
    moment,
    open_directory,
)
from test_ecaf_story import ASSESSMENT, HANNAH_AT_NECAF, MANAGER, NATIONAL_ECAF, consent

EXAMPLES = example_messages()
IDENTITY = EXAMPLES[MessageType.CHILD_IDENTITY_UPDATE]
STARTED = EXAMPLES[MessageType.INVOLVEMENT_STARTED]
SCHOOL = IDENTITY.header.sender
YOUTH_SERVICE = STARTED.header.sender
HANNAH_ID = "CP4801720956"
ORGANISATIONS = {DATA_MANAGER: "DCSF", MELANIE_ID: "DFE-2024105", CHILD_PROTECTION: "LA206-CSC"}


@attrs.frozen
class Services:
    """The three reference services, and the systems behind them."""

    contactpoint: str
    ecaf: str
    ics: str
    directory: ContactPointDirectory
    national_ecaf: NationalEcaf


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    folder = tmp_path_factory.mktemp("security")
    directory = open_directory(f"sqlite:///{folder / 'cp.db'}", FakeClock(moment(2010, 2, 20)))
    ecaf = NationalEcaf(f"sqlite:///{folder / 'ecaf.db'}", identity=NATIONAL_ECAF, clock=FakeClock(moment(2010, 2, 10)))
    ecaf.register_user(UserRegistration(practitioner=MANAGER, role=EcafRole.MANAGER), by=None)
    ics = IcsSystem(
        f"sqlite:///{folder / 'ics.db'}",
        identity=SystemRef(system=SystemKind.ICS, organisation_id=JOHN.organisation.organisation_id),
        settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM),
    )
    with (
        running_server(service("contactpoint", directory)) as cp,
        running_server(service("ecaf", ecaf)) as necaf,
        running_server(service("ics", ics)) as ics_url,
    ):
        with httpx.Client(timeout=10) as http:
            for message in (STARTED, IDENTITY):
                _post(http, cp, message)
            logged = http.post(
                f"{necaf}/episodes",
                json={
                    "child": _json(HANNAH_AT_NECAF),
                    "assessment": _json(ASSESSMENT),
                    "consents": [_json(consent("C1", practitioner=MELANIE))],
                    "episodeId": HANNAH_EPISODE_ID,
                },
                headers=practitioner_headers(MELANIE, "ecaf"),
            )
            assert logged.status_code == 201, logged.text
        yield Services(cp, necaf, ics_url, directory, ecaf)
    directory.dispose()
    ecaf.close()
    ics.store.dispose()


def _json(model: object) -> object:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)  # type: ignore[attr-defined]


def _post(http: httpx.Client, base: str, message: object, *, as_system: SystemRef | None = None) -> httpx.Response:
    sender = as_system or message.header.sender  # type: ignore[attr-defined]
    headers = {"Content-Type": "application/xml", **system_headers(sender, "contactpoint")}
    return http.post(f"{base}/messages", content=to_xml(message), headers=headers)  # type: ignore[arg-type]


def _as(user: str, reason: str | None = "checking", **extra: str) -> dict[str, str]:
    headers = {**user_headers(user, ORGANISATIONS[user], "contactpoint"), **extra}
    if reason is not None:
        headers["X-Access-Reason"] = reason
    return headers


def _error(response: httpx.Response, status: int, rule_id: str) -> None:
    assert response.status_code == status, response.text
    assert response.json()["error"]["id"] == rule_id, response.text


def _ack(response: httpx.Response) -> Acknowledgement:
    message = from_xml(response.content) if response.content.lstrip().startswith(b"<") else from_json(response.content)
    assert isinstance(message, Acknowledgement)
    return message


# --- a user named in a header, a parameter or a body field is nobody ------------------------------------


def test_a_borrowed_data_managers_id_in_a_header_grants_nothing(services: Services) -> None:
    borrowed = {"X-Practitioner-Id": DATA_MANAGER}
    with httpx.Client(base_url=services.contactpoint, timeout=10) as http:
        # Without a token the header is nothing at all.
        _error(http.get("/audit", headers=borrowed), 401, "AUTH-001")
        # With Melanie's own token, the header does not make her a data manager.
        _error(http.get("/audit", headers={**_as(MELANIE_ID), **borrowed}), 403, "CP-ACCESS-ROLE")
        registration = {
            "practitionerId": "INTRUDER",
            "name": {"givenNames": "In", "familyName": "Truder"},
            "role": "data-manager",
            "organisationId": "DCSF",
        }
        _error(
            http.post("/practitioners", json=registration, headers={**_as(MELANIE_ID), **borrowed}),
            403,
            "CP-ACCESS-ROLE",
        )
        lift = {"shielded": False, "reason": "I say so"}
        _error(
            http.post(f"/children/{HANNAH_ID}/shielding", json=lift, headers={**_as(MELANIE_ID), **borrowed}),
            403,
            "CP-ACCESS-ROLE",
        )
        # The audit blames who really acted, and names the client the token came through.
        audit = http.get("/audit", headers=_as(DATA_MANAGER, None)).json()
        refused = [
            e for e in audit if e["outcome"] == "refused" and e["action"] in ("register-practitioner", "set-shielding")
        ]
        assert {e["practitionerId"] for e in refused} == {MELANIE_ID}
        assert {e["clientId"] for e in refused} == {"urn:ics-interop:local-client"}
        assert all(e["practitionerId"] != "INTRUDER" for e in audit)


def test_a_token_whose_organisation_is_not_the_users_registration_is_refused(services: Services) -> None:
    elsewhere = user_headers(MELANIE_ID, "LA999-ELSEWHERE", "contactpoint")
    found = httpx.get(
        f"{services.contactpoint}/children/{HANNAH_ID}", headers={**elsewhere, "X-Access-Reason": "x"}, timeout=10
    )
    _error(found, 403, "CP-ACCESS-ORGANISATION")


def test_naming_a_child_protection_user_does_not_override_shielding(services: Services) -> None:
    services.directory.set_shielding(HANNAH_ID, _shield(True), by=DATA_MANAGER)
    try:
        with httpx.Client(base_url=services.contactpoint, timeout=10) as http:
            pretend = {"X-Practitioner-Id": CHILD_PROTECTION, "X-Override-Shielding": "section 47 enquiry"}
            _error(http.get(f"/children/{HANNAH_ID}", headers={**_as(MELANIE_ID), **pretend}), 403, "CP-ACCESS-ROLE")
            shown = http.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID)).json()
            assert "address" not in shown
            # The real child-protection user, with her own token, may override, and it raises an alert for her.
            real = http.get(
                f"/children/{HANNAH_ID}",
                headers=_as(CHILD_PROTECTION, "section 47", **{"X-Override-Shielding": "visit"}),
            ).json()
            assert real["address"]["postcode"]
            alerts = http.get("/audit/alerts", headers=_as(DATA_MANAGER, None)).json()
            assert {a["practitionerId"] for a in alerts} == {CHILD_PROTECTION}
    finally:
        services.directory.set_shielding(HANNAH_ID, _shield(False), by=DATA_MANAGER)


def _shield(on: bool) -> ShieldingChange:
    return ShieldingChange(shielded=on, reason="test")


def test_a_consented_practitioners_id_in_a_parameter_or_body_grants_no_caf(services: Services) -> None:
    steve = practitioner_headers(STEVE, "ecaf")
    with httpx.Client(base_url=services.ecaf, timeout=10) as http:
        read = {"practitionerId": MELANIE.practitioner_id, "organisationId": "DFE-2024105", "reason": "arrears"}
        _error(http.get(f"/episodes/{HANNAH_EPISODE_ID}", params=read, headers=steve), 403, "CAF-002")
        # Granting himself consent "by" Melanie: the body has no such member, and he has no consent to act.
        grant = {"consent": _json(consent("C-STEVE", practitioner=STEVE)), "by": _json(MELANIE)}
        _error(
            http.post(f"/episodes/{HANNAH_EPISODE_ID}/consents", json=grant, headers=steve),
            422,
            "MODEL-EXTRA-FORBIDDEN",
        )
        grant.pop("by")
        _error(http.post(f"/episodes/{HANNAH_EPISODE_ID}/consents", json=grant, headers=steve), 403, "CAF-002")
    episode = services.national_ecaf.read_episode(HANNAH_EPISODE_ID, MELANIE, "check")
    assert [c.consent_id for c in episode.consents] == ["C1"]


def test_audits_reports_and_case_lists_need_a_token_and_the_role(services: Services) -> None:
    for url in (
        f"{services.ecaf}/audit/access",
        f"{services.ecaf}/reports/open-episodes?olderThanDays=1",
        f"{services.ics}/cases",
        f"{services.contactpoint}/audit",
    ):
        _error(httpx.get(url, timeout=10), 401, "AUTH-001")
    melanie = practitioner_headers(MELANIE, "ecaf")
    _error(httpx.get(f"{services.ecaf}/audit/access", headers=melanie, timeout=10), 403, "NECAF-ROLE")
    report = httpx.get(f"{services.ecaf}/reports/open-episodes?olderThanDays=1", headers=melanie, timeout=10)
    _error(report, 403, "NECAF-ROLE")
    manager = practitioner_headers(MANAGER, "ecaf")
    assert httpx.get(f"{services.ecaf}/audit/access", headers=manager, timeout=10).status_code == 200
    # A worker of another authority may not read this authority's cases.
    other = user_headers("LA204-WORKER", "LA204-CSC", "ics")
    _error(httpx.get(f"{services.ics}/cases", headers=other, timeout=10), 403, "ICS-024")
    assert httpx.get(f"{services.ics}/cases", headers=practitioner_headers(JOHN, "ics"), timeout=10).status_code == 200


# --- a made-up sender sends nothing ------------------------------------------------------------------------


def test_a_message_naming_another_sender_is_rejected_and_changes_nothing(services: Services) -> None:
    moved = IDENTITY.model_copy(deep=True)
    moved.child.address.postcode = "E8 1AA"  # type: ignore[union-attr]
    moved = moved.model_copy(update={"header": IDENTITY.header.model_copy(update={"message_id": _new_id()})})
    with httpx.Client(timeout=10) as http:
        refused = _post(http, services.contactpoint, moved, as_system=YOUTH_SERVICE)
    assert refused.status_code == 403
    assert [f.rule_id for f in _ack(refused).findings] == ["SEC-001"]
    record = services.directory.view(HANNAH_ID, practitioner_id=MELANIE_ID, reason="check")
    assert record.address is not None
    assert record.address.postcode == "N7 6XP"


def test_a_sender_may_not_end_another_senders_involvement(services: Services) -> None:
    theirs = STARTED.involvement.involvement_id
    ended = InvolvementEnded(
        header=new_header(MessageType.INVOLVEMENT_ENDED, SCHOOL, STARTED.header.recipient, STARTED.header.created_at),
        child=STARTED.child,
        involvement_id=theirs,
        start_date=STARTED.involvement.start_date,
        end_date=STARTED.involvement.start_date,
    )
    with httpx.Client(timeout=10) as http:
        as_itself = _post(http, services.contactpoint, ended)
        assert as_itself.status_code == 422
        assert [f.rule_id for f in _ack(as_itself).findings] == ["CP-INV-OWNER"]
        posing = ended.model_copy(
            update={"header": ended.header.model_copy(update={"message_id": _new_id(), "sender": YOUTH_SERVICE})}
        )
        as_the_owner = _post(http, services.contactpoint, posing, as_system=SCHOOL)
        assert as_the_owner.status_code == 403
        assert [f.rule_id for f in _ack(as_the_owner).findings] == ["SEC-001"]
    record = services.directory.view(HANNAH_ID, practitioner_id=MELANIE_ID, reason="check")
    assert [i.end_date for i in record.involvements if i.involvement_id == theirs] == [None]


def test_a_message_type_outside_the_tokens_scopes_is_rejected(services: Services) -> None:
    narrow = system_headers(SCHOOL, "contactpoint", scopes=["messages:InvolvementStarted"])
    message = IDENTITY.model_copy(update={"header": IDENTITY.header.model_copy(update={"message_id": _new_id()})})
    reply = httpx.post(
        f"{services.contactpoint}/messages",
        content=to_json(message),
        headers={"Content-Type": "application/json", **narrow},
        timeout=10,
    )
    assert reply.status_code == 403
    assert [f.rule_id for f in _ack(reply).findings] == ["SEC-002"]


def test_a_migration_batch_from_anyone_but_its_sender_is_refused(services: Services) -> None:
    batch = EXAMPLES[MessageType.MIGRATION_BATCH]
    school = {"Content-Type": "application/json", **system_headers(SCHOOL, "ecaf")}
    refused = httpx.post(f"{services.ecaf}/migrations", content=to_json(batch), headers=school, timeout=10)
    _error(refused, 403, "SEC-001")
    as_user = {"Content-Type": "application/json", **practitioner_headers(MELANIE, "ecaf")}
    _error(
        httpx.post(f"{services.ecaf}/migrations", content=to_json(batch), headers=as_user, timeout=10), 403, "AUTH-009"
    )
    # The refused batch left nothing behind: no report, no episode.
    with pytest.raises(Exception, match="NECAF-011"):
        services.national_ecaf.migration_report(batch.manifest.batch_id)


def test_a_user_token_does_not_deliver_messages(services: Services) -> None:
    reply = httpx.post(
        f"{services.contactpoint}/messages",
        content=to_xml(IDENTITY),
        headers={"Content-Type": "application/xml", **_as(MELANIE_ID, None)},
        timeout=10,
    )
    _error(reply, 403, "AUTH-009")


# --- tokens that must not be trusted -------------------------------------------------------------------


def _search(services: Services, token: str) -> httpx.Response:
    return httpx.get(
        f"{services.contactpoint}/children/{HANNAH_ID}",
        headers={"Authorization": f"Bearer {token}", "X-Access-Reason": "x"},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("why", "rule_id"),
    [
        ("expired", "AUTH-005"),
        ("another audience", "AUTH-006"),
        ("an unknown key", "AUTH-004"),
        ("an unknown issuer", "AUTH-004"),
        ("not an access token", "AUTH-003"),
        ("no organisation", "AUTH-007"),
        ("issued in the future", "AUTH-007"),
        ("lives a day", "AUTH-007"),
        ("not a JWT", "AUTH-002"),
        ("alg none", "AUTH-002"),
    ],
)
def test_an_untrustworthy_token_is_refused(services: Services, why: str, rule_id: str) -> None:
    audience = audience_of("contactpoint")
    user = {"audience": audience, "subject": MELANIE_ID, "organisation_id": "DFE-2024105"}
    tokens = {
        "expired": lambda: ISSUER.token(**user, now=time.time() - 3600),
        "another audience": lambda: ISSUER.token(**{**user, "audience": audience_of("ecaf")}),
        "an unknown key": lambda: LocalIssuer(ISSUER.issuer).token(**user),
        "an unknown issuer": lambda: LocalIssuer("urn:someone-else").token(**user),
        "not an access token": lambda: ISSUER.token(**user, extra_header={"typ": "JWT"}),
        "no organisation": lambda: ISSUER.token(**{**user, "organisation_id": ""}),
        "issued in the future": lambda: ISSUER.token(**user, now=time.time() + 3600),
        "lives a day": lambda: ISSUER.token(**user, lifetime=86400),
        "not a JWT": lambda: "not-a-token",
        "alg none": lambda: _unsigned(user),
    }
    _error(_search(services, tokens[why]()), 401, rule_id)


def _unsigned(claims: dict[str, str]) -> str:
    def part(document: object) -> str:
        return base64.urlsafe_b64encode(json.dumps(document).encode()).rstrip(b"=").decode()

    body = {"iss": ISSUER.issuer, "aud": claims["audience"], "sub": claims["subject"], "exp": int(time.time()) + 60}
    return f"{part({'alg': 'none', 'typ': 'at+jwt'})}.{part(body)}."


def test_a_valid_token_is_accepted_and_the_refusals_say_why(services: Services) -> None:
    ok = _search(services, ISSUER.user_token(MELANIE_ID, "DFE-2024105", audience_of("contactpoint")))
    assert ok.status_code == 200
    expired = _search(
        services,
        ISSUER.token(
            audience=audience_of("contactpoint"), subject=MELANIE_ID, organisation_id="X", now=time.time() - 3600
        ),
    )
    assert 'error="invalid_token"' in expired.headers["www-authenticate"]


# --- the gate: bodies and connections -----------------------------------------------------------------


def _raw(base: str, request: bytes, *, wait: float = 5.0) -> bytes:
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=wait) as connection:
        connection.sendall(request)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
                if b"\r\n\r\n" in answer and b"content-length" in answer.lower():
                    head, _, body = answer.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                    if len(body) >= length:
                        break
        except TimeoutError:
            pass
        return answer


def test_a_huge_body_is_refused_before_it_is_read(services: Services) -> None:
    headers = (
        b"POST /practitioners HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 209715200\r\n"
    )
    anonymous = _raw(services.contactpoint, headers + b"\r\n")
    assert anonymous.startswith(b"HTTP/1.1 401"), anonymous[:200]
    token = user_headers(DATA_MANAGER, "DCSF", "contactpoint")["Authorization"].encode()
    authenticated = _raw(services.contactpoint, headers + b"Authorization: " + token + b"\r\n\r\n")
    assert authenticated.startswith(b"HTTP/1.1 413"), authenticated[:200]
    assert b"HTTP-413" in authenticated


def test_a_chunked_body_past_the_limit_is_refused(services: Services) -> None:
    token = user_headers(DATA_MANAGER, "DCSF", "contactpoint")["Authorization"]

    def chunks() -> Iterator[bytes]:
        for _ in range(2 * 1024):
            yield b"x" * 1024

    reply = httpx.post(
        f"{services.contactpoint}/practitioners",
        content=chunks(),
        headers={"Authorization": token, "Content-Type": "application/json"},
        timeout=10,
    )
    _error(reply, 413, "HTTP-413")


def test_bodies_that_are_not_json_get_the_error_body_not_a_500(services: Services) -> None:
    melanie = practitioner_headers(MELANIE, "ecaf")
    for body in (b"\xff\xfe\x00not utf-8", b"{", b"[" * 5000):
        reply = httpx.post(
            f"{services.ecaf}/episodes",
            content=body,
            headers={**melanie, "Content-Type": "application/json"},
            timeout=10,
        )
        assert reply.status_code in (400, 422), (body[:20], reply.text)
        assert set(reply.json()["error"]) == {"id", "where", "message", "hint"}


def test_unknown_methods_name_the_ones_allowed(services: Services) -> None:
    for base, path, headers, allowed in (
        (services.ecaf, f"/episodes/{HANNAH_EPISODE_ID}", practitioner_headers(MELANIE, "ecaf"), "GET"),
        (services.ics, "/cases", practitioner_headers(JOHN, "ics"), "GET, POST"),
    ):
        reply = httpx.delete(f"{base}{path}", headers=headers, timeout=10)
        assert reply.status_code == 405
        assert set(reply.headers["allow"].replace(" ", "").split(",")) == set(allowed.replace(" ", "").split(","))
        assert reply.json()["error"]["id"] == "HTTP-405"


def test_a_connection_that_sends_no_request_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(server, "HEADER_TIMEOUT", 0.5)
    with running_server(FastAPI()) as base:
        host, port = base.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port)), timeout=5) as idle:
            idle.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")  # the headers never end
            started = time.monotonic()
            assert idle.recv(1024) == b""  # closed by the service
            assert time.monotonic() - started < 4


# --- the same attacks through the Python adapters ---------------------------------------------------------


def test_through_the_python_adapters_a_made_up_sender_and_a_practitioners_audit_read_are_refused() -> None:
    directory = ReferenceDirectory()
    try:
        reply = directory.deliver(to_xml(IDENTITY), "application/xml", Client(YOUTH_SERVICE))
        ack = from_xml(reply.body)
        assert isinstance(ack, Acknowledgement)
        assert [f.rule_id for f in ack.findings] == ["SEC-001"]
        narrow = Client(SCHOOL, scopes=frozenset({"messages:InvolvementStarted"}))
        ack = from_xml(directory.deliver(to_xml(IDENTITY), "application/xml", narrow).body)
        assert isinstance(ack, Acknowledgement)
        assert [f.rule_id for f in ack.findings] == ["SEC-002"]
    finally:
        directory.close()
    ecaf = ReferenceEcaf()
    try:
        with pytest.raises(AccessDenied, match="NECAF-ROLE"):
            ecaf.access_log(HANNAH_EPISODE_ID, by=MELANIE)
        with pytest.raises(AccessDenied, match="NECAF-ROLE"):
            ecaf.open_episodes_report(1, by=MELANIE)
        assert ecaf.access_log(HANNAH_EPISODE_ID) == []  # the manager the operator set up
    finally:
        ecaf.close()


def _new_id() -> str:
    return str(uuid.uuid4())
