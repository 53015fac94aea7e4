"""National eCAF over real HTTP: the practitioner routes, the message endpoint, and delivery to ContactPoint.

Each practitioner acts with their own user token (carrying their details); systems deliver
with their own tokens; National eCAF's outbox reaches ContactPoint with eCAF's token.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from ics_interop.adapters.http import create_app, running_server
from ics_interop.adapters.messaging import new_header
from ics_interop.adapters.transport import HttpTransport

from callers import ISSUER, audience_of, practitioner_headers, service, system_headers
from ics_interop import to_json, to_xml
from ics_interop.examples import HANNAH_EPISODE_ID, LEE, MELANIE, STEVE, example_messages
from ics_interop.messages import CafIndicatorUpdate, MessageType, StepDown, SystemRef
from ics_interop.model.codes import SystemKind
from test_ecaf_story import (
    ASSESSMENT,
    HANNAH_AT_NECAF,
    ISLINGTON_ICS,
    ISLINGTON_LOCAL_ECAF,
    MANAGER,
    NATIONAL_ECAF,
    FakeClock,
    StandIn,
    World,
    consent,
    moment,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 10))


@pytest.fixture
def world(store_url: str, clock: FakeClock) -> Iterator[World]:
    with World.opened(store_url, clock) as opened:
        yield opened


def _json(model: Any) -> Any:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _error(response: httpx.Response) -> dict[str, str]:
    body = response.json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"id", "where", "message", "hint"}, body
    error: dict[str, str] = body["error"]
    return error


def test_practitioners_and_systems_use_national_ecaf_over_http(world: World, clock: FakeClock) -> None:
    # ContactPoint is a separate service: National eCAF's outbox reaches it over the HTTP binding.
    contactpoint = StandIn(SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="DCSF"), clock)
    directory_app = create_app(
        "ContactPoint stand-in",
        "",
        receive=lambda body, kind, client: (*contactpoint(body, kind, client=client), 200),
        authenticate=ISSUER.verifier(audience_of("contactpoint")).authenticate,
    )
    melanie, steve, manager = (practitioner_headers(p, "ecaf") for p in (MELANIE, STEVE, MANAGER))

    with running_server(service("ecaf", world.ecaf)) as base, running_server(directory_app) as directory:
        tokens = lambda audience, sender: ISSUER.system_token(sender, audience)  # noqa: E731
        world.ecaf.connect(
            "contactpoint", HttpTransport(directory, credentials=tokens, audience=audience_of("contactpoint"))
        )
        with httpx.Client(base_url=base, timeout=10) as http:
            # Melanie logs Hannah's CAF.
            logged = http.post(
                "/episodes",
                json={
                    "child": _json(HANNAH_AT_NECAF),
                    "assessment": _json(ASSESSMENT),
                    "consents": [_json(consent("C1", practitioner=MELANIE))],
                    "episodeId": HANNAH_EPISODE_ID,
                },
                headers=melanie,
            )
            assert logged.status_code == 201, logged.text
            assert logged.json()["episodeId"] == HANNAH_EPISODE_ID
            assert "closureReason" not in logged.json()  # the standard's JSON: no nulls

            # Steve has no consent: 403, with the rule, and the refusal is on the audit.
            refused = http.get(f"/episodes/{HANNAH_EPISODE_ID}", params={"reason": "arrears"}, headers=steve)
            assert refused.status_code == 403
            assert _error(refused)["id"] == "CAF-002"
            audit = http.get("/audit/access", params={"episodeId": HANNAH_EPISODE_ID}, headers=manager).json()
            assert audit[-1]["action"] == "read-refused"
            assert audit[-1]["practitionerId"] == STEVE.practitioner_id
            assert audit[-1]["clientId"] == "urn:ics-interop:local-client"  # the client Steve's token came through

            # Melanie may read it.
            mine = {"reason": "prepare the TAC meeting"}
            assert http.get(f"/episodes/{HANNAH_EPISODE_ID}", params=mine, headers=melanie).status_code == 200

            # An action for someone outside the TAC breaks CAF-005: 422, nothing stored.
            action = {
                "ownerId": LEE.practitioner_id,
                "description": "Call the young carers' group.",
                "dueOn": "2010-03-05",
            }
            bad_action = http.post(f"/episodes/{HANNAH_EPISODE_ID}/actions", json=action, headers=melanie)
            assert bad_action.status_code == 422
            assert _error(bad_action)["id"] == "CAF-005"
            member = {"practitioner": _json(LEE)}
            assert (
                http.post(f"/episodes/{HANNAH_EPISODE_ID}/tac-members", json=member, headers=melanie).status_code == 200
            )
            created = http.post(f"/episodes/{HANNAH_EPISODE_ID}/actions", json=action, headers=melanie)
            assert created.status_code == 201
            assert created.json()["ownerId"] == LEE.practitioner_id

            # Bad input gets a structured error naming the member and the constraint.
            missing = http.post("/episodes", json={"child": _json(HANNAH_AT_NECAF)}, headers=melanie)
            assert missing.status_code == 422
            assert _error(missing)["id"] == "MODEL-MISSING"
            assert _error(http.get("/episodes/NOPE", params=mine, headers=melanie))["id"] == "NECAF-001"
            for days in (-1, 800000):
                assert (
                    http.get("/reports/open-episodes", params={"olderThanDays": days}, headers=manager).status_code
                    == 422
                )

            # Islington's ICS steps the case down through the standard's message endpoint.
            step_down = example_messages()[MessageType.STEP_DOWN]
            assert isinstance(step_down, StepDown)
            clock.on(2010, 10, 1, 15)
            message = step_down.model_copy(
                update={"header": new_header(MessageType.STEP_DOWN, ISLINGTON_ICS, NATIONAL_ECAF, clock.now)}
            )
            headers = {"Content-Type": "application/xml", **system_headers(ISLINGTON_ICS, "ecaf")}
            delivered = http.post("/messages", content=to_xml(message), headers=headers)
            assert delivered.status_code == 200, delivered.text
            assert b"accepted" in delivered.content

            # Management reporting: open for more than 200 days on 2010-10-01 (233 days).
            report = http.get("/reports/open-episodes", params={"olderThanDays": 200}, headers=manager).json()
            assert [(r["episodeId"], r["daysOpen"]) for r in report] == [(HANNAH_EPISODE_ID, 233)]

            # A migration batch through the migration route: a report per episode.
            batch = example_messages()[MessageType.MIGRATION_BATCH]
            local_ecaf = {"Content-Type": "application/json", **system_headers(ISLINGTON_LOCAL_ECAF, "ecaf")}
            imported = http.post("/migrations", content=to_json(batch), headers=local_ecaf)
            assert imported.status_code == 200, imported.text
            assert [r["outcome"] for r in imported.json()["results"]] == ["imported", "imported"]
            batch_id = imported.json()["batchId"]
            assert http.get(f"/migrations/{batch_id}", headers=local_ecaf).status_code == 200
            assert http.get(f"/migrations/{batch_id}", headers=manager).status_code == 200
            assert http.get(f"/migrations/{batch_id}", headers=melanie).status_code == 403

            # The OpenAPI document describes the routes and their bodies.
            paths = http.get("/openapi.json").json()["paths"]
            assert {"/episodes", "/episodes/{episode_id}/referrals", "/migrations", "/messages"} <= set(paths)

        # The F3 messages written with the changes reach ContactPoint over HTTP.
        acks = world.ecaf.deliver()
        assert acks
        assert all(a.status.value == "accepted" for a in acks)
        assert next(u.completed_by.practitioner_id for u in contactpoint.of_type(CafIndicatorUpdate)) == (
            MELANIE.practitioner_id
        )
        assert world.pending() == []
    assert dt.date(2010, 2, 10) == world.read().opened_on


def test_the_nightly_run_closes_nothing_and_takes_a_day_only_with_the_test_clock(world: World) -> None:
    # Hannah's episode, opened on 2010-02-10, is open three years on: listed, never closed.
    world.ecaf.log_episode(
        child=HANNAH_AT_NECAF,
        assessment=ASSESSMENT,
        consents=[consent("C1", practitioner=MELANIE)],
        by=MELANIE,
        episode_id=HANNAH_EPISODE_ID,
    )
    manager, melanie = practitioner_headers(MANAGER, "ecaf"), practitioner_headers(MELANIE, "ecaf")
    with running_server(service("ecaf", world.ecaf)) as base, httpx.Client(base_url=base, timeout=10) as http:
        refused = http.post("/maintenance", params={"asOf": "2013-02-11"}, headers=manager)
        assert refused.status_code == 422
        assert _error(refused)["id"] == "NECAF-012"
        assert _error(refused)["where"] == "asOf"
        assert "--test-clock" in _error(refused)["hint"]
        tonight = http.post("/maintenance", headers=manager).json()
        assert tonight == {"ranOn": "2010-02-10", "longOpen": []}
        assert "asOf" not in str(http.get("/openapi.json").json()["paths"]["/maintenance"])
    with (
        running_server(service("ecaf", world.ecaf, test_clock=True)) as base,
        httpx.Client(base_url=base, timeout=10) as http,
    ):
        assert _error(http.post("/maintenance", params={"asOf": "2013-02-11"}, headers=melanie))["id"] == ("NECAF-ROLE")
        years_on = http.post("/maintenance", params={"asOf": "2013-02-11"}, headers=manager)
        assert years_on.status_code == 200, years_on.text
        assert years_on.json()["ranOn"] == "2013-02-11"
        assert [e["episodeId"] for e in years_on.json()["longOpen"]] == [HANNAH_EPISODE_ID]
        assert years_on.json()["longOpen"][0]["daysOpen"] == 1097
        a_year_on = http.post("/maintenance", params={"asOf": "2011-02-10"}, headers=manager).json()
        assert a_year_on["longOpen"] == []  # open exactly 365 days is not open more than a year
        held = http.get(f"/episodes/{HANNAH_EPISODE_ID}", params={"reason": "TAC"}, headers=melanie).json()
        assert held["status"] == "open"
        assert "closureReason" not in held
