"""The ICS system over real HTTP: practitioners' JSON routes, structured errors, and messages between two systems.

Islington's system (on each back end in turn) and Hackney's (on SQLite) each run as a real
server; a case goes from one to the other over the standard's HTTP binding.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from ics_interop.adapters.http import running_server
from ics_interop.adapters.ics import IcsSettings, IcsSystem
from ics_interop.adapters.transport import HttpTransport

from callers import ISSUER, audience_of, practitioner_headers, service, system_headers
from ics_interop import to_xml
from ics_interop.examples import HANNAH, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import AcknowledgementStatus, MessageType
from ics_interop.model import CaseRecord

EXAMPLES = example_messages()
REFERRAL = EXAMPLES[MessageType.SOCIAL_CARE_REFERRAL]
PREPOPULATION = EXAMPLES[MessageType.INITIAL_ASSESSMENT_PREPOPULATION]
ISLINGTON_ICS = EXAMPLES[MessageType.CASE_RECORD_TRANSFER].header.sender
HACKNEY_ICS = EXAMPLES[MessageType.CASE_RECORD_TRANSFER].header.recipient


def json_of(model: object) -> object:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)  # type: ignore[attr-defined]


def clock() -> dt.datetime:
    return dt.datetime(2010, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def islington(store_url: str) -> Iterator[IcsSystem]:
    system = IcsSystem(
        store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    yield system
    system.store.dispose()


@pytest.fixture
def hackney(tmp_path: Path) -> Iterator[IcsSystem]:
    system = IcsSystem(f"sqlite:///{tmp_path / 'hackney.db'}", identity=HACKNEY_ICS, clock=clock)
    yield system
    system.store.dispose()


def assert_error(response: httpx.Response, status: int, rule_id: str, where: str) -> None:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert (error["id"], error["where"]) == (rule_id, where)
    assert error["message"]
    assert error["hint"]


def test_a_practitioner_works_a_case_over_http_and_it_moves_to_another_authority(
    islington: IcsSystem, hackney: IcsSystem
) -> None:
    john = practitioner_headers(JOHN, "ics")
    with (
        running_server(service("ics", islington)) as base,
        running_server(service("ics", hackney)) as hackney_base,
        httpx.Client(base_url=base, timeout=10, headers=john) as http,
    ):
        opened = http.post("/cases", json={"child": json_of(HANNAH), "openedOn": "2010-05-19"})
        assert opened.status_code == 201, opened.text
        case_id = opened.json()["caseId"]

        referral = http.post(
            f"/cases/{case_id}/referrals",
            json={"referralDate": "2010-05-19", "source": "2A", "reason": "Young carer for her mother."},
        )
        assert referral.status_code == 201, referral.text
        assert referral.json()["referralId"].startswith("LA206-CSC-REF-")

        # Bad input, each answered with the rule, where, and how to fix it; nothing stored.
        assert_error(
            http.post(f"/cases/{case_id}/closure", json={"closureDate": "2010-05-30"}), 422, "MODEL-MISSING", "reason"
        )
        assert_error(
            http.post(
                f"/cases/{case_id}/initial-assessments",
                json={"startedOn": "2010-05-25", "completedOn": "2010-05-20"},
            ),
            422,
            "DATE-001",
            "completedOn",
        )
        assert_error(
            http.post(f"/cases/{case_id}/contacts", json={"contactDate": "soon"}),
            422,
            "MODEL-DATE-FROM-DATETIME-PARSING",
            "contactDate",
        )
        assert_error(http.get("/cases/NO-SUCH-CASE"), 404, "ICS-001", "caseId")
        assert_error(
            http.post(f"/cases/{case_id}/plans", json={"planType": "cp", "startDate": "2010-05-30", "summary": "x"}),
            422,
            "ICS-006",
            "abuseCategory",
        )

        # A review of no plan, and two reviews of one plan, are both ordinary records.
        plan = http.post(
            f"/cases/{case_id}/plans",
            json={"planType": "cin", "startDate": "2010-05-20", "summary": "Support at home."},
        )
        assert plan.status_code == 201, plan.text
        plan_id = plan.json()["planId"]
        for review in (
            {"reviewDate": "2010-05-21", "outcome": "Visit went well."},
            {"reviewDate": "2010-05-22", "outcome": "Plan on track.", "planId": plan_id},
            {"reviewDate": "2010-05-23", "outcome": "Plan still on track.", "planId": plan_id},
        ):
            assert http.post(f"/cases/{case_id}/reviews", json=review).status_code == 201
        ended = http.post(f"/cases/{case_id}/plans/{plan_id}/end", json={"endDate": "2010-05-24"})
        assert ended.status_code == 200, ended.text

        # Another authority's staff may not use this system; nor may anyone without a token.
        hackney_worker = ISSUER.user_token("LA204-WORKER", "LA204-CSC", audience_of("ics"))
        assert_error(
            http.get("/cases", headers={"Authorization": f"Bearer {hackney_worker}"}), 403, "ICS-024", "Authorization"
        )
        assert httpx.get(f"{base}/cases").status_code == 401

        record = CaseRecord.model_validate(http.get(f"/cases/{case_id}").json())
        assert [r.reason for r in record.referrals] == ["Young carer for her mother."]
        assert record.initial_assessments == []
        assert [p.plan_id for p in record.plans] == [plan_id]
        assert [r.plan_id for r in record.reviews] == [None, plan_id, plan_id]
        events = [e["event"] for e in http.get(f"/cases/{case_id}/chronology").json()]
        assert events[:2] == ["Case opened", "Referral (2A: SCHOOLS)"]

        closed = http.post(f"/cases/{case_id}/closure", json={"closureDate": "2010-05-30", "reason": "RC8"})
        assert closed.status_code == 200, closed.text
        assert_error(
            http.post(f"/cases/{case_id}/reviews", json={"reviewDate": "2010-05-31", "outcome": "x"}),
            409,
            "ICS-002",
            "caseId",
        )

        tokens = lambda audience, sender: ISSUER.system_token(sender, audience)  # noqa: E731
        islington.connect("ics:LA204-CSC", HttpTransport(hackney_base, credentials=tokens, audience=audience_of("ics")))
        moved = http.post(
            f"/cases/{case_id}/transfer",
            json={"to": json_of(HACKNEY_ICS), "toLa": "204", "reason": "The family moved to Hackney."},
        )
        assert moved.status_code == 200, moved.text
        assert moved.json()["destination"] == "ics:LA204-CSC"
        [ack] = islington.deliver()
        assert ack.status is AcknowledgementStatus.ACCEPTED
        hackney_staff = ISSUER.user_token("LA204-WORKER", "LA204-CSC", audience_of("ics"))
        [arrived] = httpx.get(f"{hackney_base}/cases", headers={"Authorization": f"Bearer {hackney_staff}"}).json()
        assert arrived["receivedFrom"] == "LA206-CSC"


def test_messages_from_ecaf_and_the_draft_they_make_over_http(islington: IcsSystem) -> None:
    john = practitioner_headers(JOHN, "ics")
    with (
        running_server(service("ics", islington)) as base,
        httpx.Client(base_url=base, timeout=10, headers=john) as http,
    ):
        for message in (REFERRAL, PREPOPULATION):
            sent_by = {"Content-Type": "application/xml", **system_headers(message.header.sender, "ics")}
            delivered = http.post("/messages", content=to_xml(message), headers=sent_by)
            assert delivered.status_code == 200, delivered.text
            assert b"<Status>accepted</Status>" in delivered.content

        [referral] = http.get("/caf-referrals").json()
        answered = http.post(
            f"/caf-referrals/{referral['icsReferralId']}/answer",
            json={"decision": "social-care-responsible", "joiningMember": json_of(JOHN)},
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["destination"] == "national-ecaf"
        assert_error(
            http.post(f"/caf-referrals/{referral['icsReferralId']}/answer", json={"decision": "pending"}),
            409,
            "ICS-011",
            "decision",
        )

        case_id = referral["caseId"]
        [draft] = http.get(f"/cases/{case_id}/drafts").json()
        assert draft["confirmed"] is False
        assert http.get(f"/cases/{case_id}").json()["initialAssessments"] == []
        assessment_id = draft["assessment"]["assessmentId"]
        confirmed = http.post(f"/cases/{case_id}/drafts/{assessment_id}/confirm", json={"confirmedBy": json_of(JOHN)})
        assert confirmed.status_code == 200, confirmed.text
        assert confirmed.json()["confirmedAt"].startswith("2010-06-01T09:00:00")
        [assessment] = http.get(f"/cases/{case_id}").json()["initialAssessments"]
        assert assessment["assessmentId"] == assessment_id

        ecaf = {"Content-Type": "application/xml", **system_headers(REFERRAL.header.sender, "ics")}
        rejected = http.post("/messages", content=b"<nonsense/>", headers=ecaf)
        assert rejected.status_code == 422
        # A user's token does not deliver messages: only a connected system's does.
        as_john = http.post("/messages", content=to_xml(REFERRAL), headers={"Content-Type": "application/xml"})
        assert as_john.status_code == 403
        assert as_john.json()["error"]["id"] == "AUTH-009"

        openapi = http.get("/openapi.json").json()
        assert {"/cases", "/cases/{case_id}/referrals", "/cases/{case_id}/drafts/{assessment_id}/confirm"} <= set(
            openapi["paths"]
        )
        assert "ErrorBody" in openapi["components"]["schemas"]
        mapping = http.get("/caf-mapping").json()
        assert {"domain": "development", "element": "General health", "dimensions": ["cdn-health"]} in mapping
