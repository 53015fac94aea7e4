"""The directory over real HTTP: the message endpoint, the practitioners' routes and the data managers' routes.

Every request carries a token from the tests' issuer, which the directory trusts: a feeding
system's own token on `POST /messages`, a user's on the others.
"""

from __future__ import annotations

import datetime as dt
import inspect
import json
from collections.abc import Iterator

import httpx
import ics_interop.adapters.contactpoint as contactpoint
import pytest
from ics_interop.adapters.http import running_server

from callers import service, system_headers, user_headers
from ics_interop import Message, to_json, to_xml
from ics_interop.examples import example_messages
from ics_interop.messages import MessageType, SystemRef
from test_contactpoint_story import (
    _USERS,
    CHILD_PROTECTION,
    DATA_MANAGER,
    GP_SURGERY,
    MELANIE_ID,
    SCHOOL,
    FakeClock,
    identity_update,
    make_child,
    moment,
    open_directory,
)

HANNAH_ID = "CP4801720956"


#: The organisation each user of the directory is registered with.
ORGANISATIONS = {DATA_MANAGER: "DCSF", **{user[0]: user[4] for user in _USERS}}


def _as(user: str, reason: str | None = "CAF follow-up", **headers: str) -> dict[str, str]:
    sent = {**user_headers(user, ORGANISATIONS.get(user, "NOWHERE"), "contactpoint"), **headers}
    if reason is not None:
        sent["X-Access-Reason"] = reason
    return sent


def _error(response: httpx.Response, status: int, error_id: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    assert error["id"] == error_id
    assert set(error) == {"id", "where", "message", "hint"}
    assert error["hint"]
    return error


def _post(client: httpx.Client, message: Message, wire: str = "xml", sender: SystemRef | None = None) -> httpx.Response:
    """Deliver a message with its sender's own token (or another system's, when given)."""
    body = to_xml(message) if wire == "xml" else to_json(message)
    headers = {"Content-Type": f"application/{wire}", **system_headers(sender or message.header.sender, "contactpoint")}
    return client.post("/messages", content=body, headers=headers)


@pytest.fixture
def base_url(store_url: str) -> Iterator[str]:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 20)))
    with running_server(service("contactpoint", directory)) as url:
        yield url
    directory.dispose()


def test_feed_search_view_and_data_management_over_http(base_url: str) -> None:
    stories = example_messages()
    with httpx.Client(base_url=base_url, timeout=10) as client:
        # F1 in XML, F3 in JSON: each answered with its acknowledgement, in its own form.
        sent = _post(client, stories[MessageType.INVOLVEMENT_STARTED])
        assert sent.status_code == 200
        assert b"accepted" in sent.content
        caf = _post(client, stories[MessageType.CAF_INDICATOR_UPDATE], "json")
        assert caf.status_code == 200
        assert caf.json()["status"] == "accepted"
        step_down = stories[MessageType.STEP_DOWN]
        refused = _post(client, step_down)
        assert refused.status_code == 422

        # A practitioner's search and view.
        found = client.get(
            "/children", params={"familyName": "Mills", "dateOfBirth": "1994-06-14"}, headers=_as(MELANIE_ID)
        )
        assert found.status_code == 200, found.text
        (record,) = found.json()["records"]
        assert record["contactpointId"] == HANNAH_ID
        assert record["leadProfessional"]["practitionerId"] == MELANIE_ID
        assert [i["serviceName"] for i in record["involvements"]] == ["Youth service"]
        viewed = client.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID))
        assert viewed.json()["address"]["postcode"] == "N7 6XP"

        # Shielding, and a child-protection override that raises an alert.
        shield = client.post(
            f"/children/{HANNAH_ID}/shielding",
            json={"shielded": True, "reason": "family fleeing violence"},
            headers=_as(DATA_MANAGER, None),
        )
        assert shield.json() == {"contactpointId": HANNAH_ID, "shielded": True}
        assert "address" not in client.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID)).json()
        overridden = client.get(
            f"/children/{HANNAH_ID}",
            headers=_as(CHILD_PROTECTION, "section 47", **{"X-Override-Shielding": "need the address for a visit"}),
        )
        assert overridden.json()["address"]["postcode"] == "N7 6XP"
        (alert,) = client.get("/audit/alerts", headers=_as(DATA_MANAGER, None)).json()
        assert alert["practitionerId"] == CHILD_PROTECTION

        # A held message, resolved by the data manager.
        moved = make_child("Hannah Louise", "Mills", dt.date(1994, 6, 14), postcode="E8 3XQ", local_id="GP-1")
        held = _post(client, identity_update(moved, sender=GP_SURGERY))
        assert b"CP-MATCH-HELD" in held.content
        (entry,) = client.get("/match-queue", headers=_as(DATA_MANAGER, None)).json()
        assert entry["candidates"][0]["contactpointId"] == HANNAH_ID
        assert "postcode" not in entry["candidates"][0]  # shielded: not shown even to a data manager
        resolved = client.post(
            f"/match-queue/{entry['entryId']}/resolve",
            json={"action": "merge", "contactpointId": HANNAH_ID, "reason": "same child, new address"},
            headers=_as(DATA_MANAGER, None),
        )
        assert resolved.json()["shielded"] is True

        # Maintenance and the audit log.
        report = client.post("/maintenance", headers=_as(DATA_MANAGER, None))
        assert report.status_code == 200
        assert report.json()["involvementsExpired"] == 0
        audit = client.get("/audit", params={"contactpointId": HANNAH_ID}, headers=_as(DATA_MANAGER, None)).json()
        assert {"search", "view", "set-shielding", "resolve-match"} <= {entry["action"] for entry in audit}

        # Registering a user.
        new_user = {
            "practitionerId": "LA206-LROBINSON",
            "name": {"givenNames": "Lee", "familyName": "Robinson"},
            "role": "practitioner",
            "organisationId": "LA206-YS",
        }
        created = client.post("/practitioners", json=new_user, headers=_as(DATA_MANAGER, None))
        assert created.status_code == 201
        assert created.json()["registeredBy"] == DATA_MANAGER


def _hannahs_maintenance(url: str, as_of: str) -> httpx.Response:
    with httpx.Client(base_url=url, timeout=10) as client:
        assert _post(client, example_messages()[MessageType.INVOLVEMENT_STARTED]).status_code == 200
        return client.post("/maintenance", params={"asOf": as_of}, headers=_as(DATA_MANAGER, None))


def test_a_caller_cannot_move_the_directorys_clock(base_url: str) -> None:
    # Hannah (born 1994-06-14) would be archived as of 2012-06-14: a caller asking for it is refused,
    # and maintenance runs as of the directory's own clock (2010-02-20).
    error = _error(_hannahs_maintenance(base_url, "2012-06-14"), 422, "CP-TEST-CLOCK")
    assert error["where"] == "asOf"
    assert "--test-clock" in error["hint"]
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID)).status_code == 200
        report = client.post("/maintenance", headers=_as(DATA_MANAGER, None)).json()
        assert report["ranAt"].startswith("2010-02-20")
        assert report["archivedAtEighteen"] == []
        assert client.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID)).status_code == 200
        assert "asOf" not in json.dumps(client.get("/openapi.json").json()["paths"]["/maintenance"])


def test_with_its_test_clock_the_directory_runs_maintenance_as_of_the_day_asked(store_url: str) -> None:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 20)))
    try:
        with running_server(service("contactpoint", directory, test_clock=True)) as url:
            archived = _hannahs_maintenance(url, "2012-06-14")
            assert archived.status_code == 200, archived.text
            assert archived.json()["ranAt"].startswith("2012-06-14")
            assert archived.json()["archivedAtEighteen"] == [HANNAH_ID]
            with httpx.Client(base_url=url, timeout=10) as client:
                assert client.get(f"/children/{HANNAH_ID}", headers=_as(MELANIE_ID)).status_code == 404
                run = {
                    day: client.post("/maintenance", params={"asOf": day}, headers=_as(DATA_MANAGER, None)).json()
                    for day in ("2018-06-13", "2018-06-14")
                }
                assert run["2018-06-13"]["purged"] == []
                assert run["2018-06-14"]["purged"] == [HANNAH_ID]  # six years after archiving, to the day
                _error(
                    client.post("/maintenance", params={"asOf": "2018-06-14"}, headers=_as(MELANIE_ID)),
                    403,
                    "CP-ACCESS-ROLE",
                )
                _error(
                    client.post("/maintenance", params={"asOf": "14 June"}, headers=_as(DATA_MANAGER, None)),
                    422,
                    "MODEL-DATE-FROM-DATETIME-PARSING",
                )
    finally:
        directory.dispose()


def test_every_route_answers_bad_input_with_a_structured_error(base_url: str) -> None:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        search = {"familyName": "Mills", "dateOfBirth": "1994-06-14"}
        error = _error(client.get("/children", params=search, headers=_as(MELANIE_ID, None)), 403, "CP-ACCESS-REASON")
        assert error["where"] == "X-Access-Reason"
        _error(client.get("/children", params=search, headers=_as("NOBODY")), 403, "CP-ACCESS-UNREGISTERED")
        _error(client.get("/children", params=search), 401, "AUTH-001")
        _error(
            client.get("/children", params={"familyName": "Mills"}, headers=_as(MELANIE_ID)), 422, "CP-SEARCH-CRITERIA"
        )
        bad_date = {"familyName": "Mills", "dateOfBirth": "14 June"}
        assert (
            _error(client.get("/children", params=bad_date, headers=_as(MELANIE_ID)), 422, "CP-SEARCH-CRITERIA")[
                "where"
            ]
            == "dateOfBirth"
        )
        _error(client.get("/children/CP0000000000", headers=_as(MELANIE_ID)), 404, "CP-NOT-FOUND")
        _error(
            client.post("/children/CP0000000000/shielding", json={"shielded": True}, headers=_as(DATA_MANAGER, None)),
            422,
            "MODEL-MISSING",
        )
        _error(
            client.post(
                "/children/CP0000000000/shielding", json={"shielded": True, "reason": "x"}, headers=_as(MELANIE_ID)
            ),
            403,
            "CP-ACCESS-ROLE",
        )
        _error(client.post("/maintenance", headers=_as(MELANIE_ID)), 403, "CP-ACCESS-ROLE")
        _error(client.get("/audit", headers=_as(MELANIE_ID)), 403, "CP-ACCESS-ROLE")
        _error(client.get("/match-queue", headers={}), 401, "AUTH-001")
        _error(
            client.post("/match-queue/99/resolve", json={"action": "new", "reason": "x"}, headers=_as(DATA_MANAGER)),
            404,
            "CP-NOT-FOUND",
        )
        _error(
            client.post("/match-queue/1/resolve", json={"action": "guess", "reason": "x"}, headers=_as(DATA_MANAGER)),
            422,
            "MODEL-LITERAL-ERROR",
        )
        _error(
            client.post("/match-queue/99999999999999999999/resolve", json={"action": "new"}, headers=_as(DATA_MANAGER)),
            422,
            "MODEL-LESS-THAN-EQUAL",
        )
        _error(
            client.post("/practitioners", json={"practitionerId": "X"}, headers=_as(DATA_MANAGER)), 422, "MODEL-MISSING"
        )
        school = system_headers(SCHOOL, "contactpoint")
        assert (
            client.post("/messages", content=b"hello", headers={"Content-Type": "text/plain", **school}).status_code
            == 415
        )
        not_allowed = client.delete("/children", headers=_as(MELANIE_ID))
        assert not_allowed.status_code == 405
        assert not_allowed.headers["allow"] == "GET"
        paths = client.get("/openapi.json").json()["paths"]
        assert {"/messages", "/children", "/children/{contactpoint_id}", "/match-queue", "/maintenance"} <= set(paths)


def test_the_public_api_exports_everything_it_documents() -> None:
    exported = set(contactpoint.__all__)
    assert all(hasattr(contactpoint, name) for name in exported)
    public = {
        name
        for module in (contactpoint.views, contactpoint.errors, contactpoint.retention, contactpoint.system)
        for name in module.__all__
        if inspect.isclass(getattr(module, name)) or name.isupper() or name == "run_maintenance"
    }
    assert public - {"DirectoryModel"} <= exported
