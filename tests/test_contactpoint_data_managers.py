"""A directory keeps a data manager, and nobody changes their own role: over HTTP (4xx, never 500) and from Python."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from ics_interop.adapters.contactpoint import (
    AccessRefused,
    ContactPointDirectory,
    DirectoryConflict,
    DirectoryRole,
)
from ics_interop.adapters.http import running_server

from callers import service, user_headers
from test_contactpoint_story import DATA_MANAGER, MELANIE_ID, FakeClock, moment, open_directory, registration

SECOND = "DCSF-DM-0002"


def _as(user: str) -> dict[str, str]:
    return user_headers(user, "DCSF", "contactpoint")


def _body(user: str, role: str, organisation: str = "DCSF") -> dict[str, object]:
    return {
        "practitionerId": user,
        "name": {"givenNames": "Dana", "familyName": "Marsh"},
        "role": role,
        "organisationId": organisation,
    }


def _refused(response: httpx.Response, status: int, rule: str) -> dict[str, str]:
    assert response.status_code == status, response.text
    error: dict[str, str] = response.json()["error"]
    assert error["id"] == rule
    assert error["where"] == "role"
    assert error["message"]
    assert error["hint"]
    return error


@pytest.fixture
def directory(store_url: str) -> Iterator[ContactPointDirectory]:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 1)))
    yield directory
    directory.dispose()


def _roles(directory: ContactPointDirectory) -> dict[str, str]:
    table = directory.tables.practitioner
    with directory.store.reading() as connection:
        return {row.practitioner_id: row.role for row in connection.execute(table.select())}


def test_the_last_data_manager_and_ones_own_role_are_kept_over_http(directory: ContactPointDirectory) -> None:
    with running_server(service("contactpoint", directory)) as url, httpx.Client(base_url=url, timeout=10) as client:
        # The only data manager demoting themselves: the directory would have none.
        error = _refused(
            client.post("/practitioners", json=_body(DATA_MANAGER, "practitioner"), headers=_as(DATA_MANAGER)),
            409,
            "CP-LAST-DATA-MANAGER",
        )
        assert "only data manager" in error["message"]
        assert "register another data manager first" in error["hint"]
        # Re-registering oneself with one's own role (a new name) is allowed.
        same = client.post("/practitioners", json=_body(DATA_MANAGER, "data-manager"), headers=_as(DATA_MANAGER))
        assert same.status_code == 201, same.text
        # With a second data manager, neither may change their own role; each may change the other's.
        second = client.post("/practitioners", json=_body(SECOND, "data-manager"), headers=_as(DATA_MANAGER))
        assert second.status_code == 201, second.text
        for user in (DATA_MANAGER, SECOND):
            for role in ("practitioner", "child-protection"):
                error = _refused(
                    client.post("/practitioners", json=_body(user, role), headers=_as(user)), 403, "CP-OWN-ROLE"
                )
                assert "another data manager" in error["hint"]
        assert _roles(directory)[SECOND] == "data-manager"
        demoted = client.post("/practitioners", json=_body(SECOND, "practitioner"), headers=_as(DATA_MANAGER))
        assert demoted.status_code == 201, demoted.text
        assert _roles(directory)[SECOND] == "practitioner"
        # The demoted user is no data manager any more, and the one left is the last again.
        _refused(
            client.post("/practitioners", json=_body(DATA_MANAGER, "practitioner"), headers=_as(DATA_MANAGER)),
            409,
            "CP-LAST-DATA-MANAGER",
        )
        assert client.get("/audit", headers=_as(SECOND)).status_code == 403
        # Every refusal is audited as such.
        audit = client.get("/audit", params={"practitionerId": DATA_MANAGER}, headers=_as(DATA_MANAGER)).json()
        refusals = [e["detail"] for e in audit if e["action"] == "register-practitioner" and e["outcome"] != "ok"]
        assert sum("CP-LAST-DATA-MANAGER" in d for d in refusals) == 2
        assert sum("CP-OWN-ROLE" in d for d in refusals) == 2
    assert _roles(directory)[DATA_MANAGER] == "data-manager"


def test_the_operator_cannot_demote_the_last_data_manager_either(directory: ContactPointDirectory) -> None:
    demote = registration(DATA_MANAGER, "Dana", "Marsh", DirectoryRole.PRACTITIONER, "DCSF")
    with pytest.raises(DirectoryConflict) as refused:
        directory.register_practitioner(demote, by=None)
    assert refused.value.rule_id == "CP-LAST-DATA-MANAGER"
    # Another data manager first; then the operator may change the first one's role.
    directory.register_practitioner(registration(SECOND, "Sam", "Lee", DirectoryRole.DATA_MANAGER, "DCSF"))
    directory.register_practitioner(demote, by=None)
    assert _roles(directory)[DATA_MANAGER] == "practitioner"
    # A practitioner changing roles is nobody's business but a data manager's, and is not about the last one.
    with pytest.raises(AccessRefused) as not_a_manager:
        directory.register_practitioner(
            registration(MELANIE_ID, "Melanie", "Hughes", DirectoryRole.DATA_MANAGER, "DFE-2024105"), by=MELANIE_ID
        )
    assert not_a_manager.value.rule_id == "CP-ACCESS-ROLE"


def test_two_data_managers_demoting_each_other_at_once_leave_one(postgres_url: str) -> None:
    """On PostgreSQL transactions run at once: the lock makes the second see the first's change."""
    import threading

    directory = open_directory(postgres_url, FakeClock(moment(2010, 2, 1)))
    try:
        directory.register_practitioner(
            registration(SECOND, "Sam", "Lee", DirectoryRole.DATA_MANAGER, "DCSF"), by=DATA_MANAGER
        )
        start = threading.Barrier(2)
        outcomes: dict[str, str] = {}

        def demote(user: str, other: str) -> None:
            start.wait()
            try:
                directory.register_practitioner(
                    registration(other, "X", "Y", DirectoryRole.PRACTITIONER, "DCSF"), by=user
                )
                outcomes[user] = "ok"
            except (DirectoryConflict, AccessRefused) as error:
                outcomes[user] = error.rule_id

        threads = [
            threading.Thread(target=demote, args=(DATA_MANAGER, SECOND)),
            threading.Thread(target=demote, args=(SECOND, DATA_MANAGER)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(outcomes.values()) in (["CP-ACCESS-ROLE", "ok"], ["CP-LAST-DATA-MANAGER", "ok"])
        assert list(_roles(directory).values()).count("data-manager") == 1
    finally:
        directory.dispose()
