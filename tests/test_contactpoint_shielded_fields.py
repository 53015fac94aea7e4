"""What a shielded record shows, field by field, over HTTP: search results and views, for each kind of user.

The policy (`POLICY`) is the table of docs/contactpoint.md (SI 2007/2182 reg. 6(5)-(6)): an
ordinary user sees the names, gender, date of birth, the ID and the parents' and carers' names,
and nothing else; a child-protection override shows the whole record; a data manager sees what
an ordinary user sees. Each child here has every field filled, each kind of location in turn,
and each of its location hints (postcode, telephone numbers, e-mail domains, organisation and
practitioner names, the sender's involvement ID) must be absent from what an ordinary user is
shown, whichever way the record is reached.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from ics_interop.adapters.contactpoint import CONTACTPOINT_IDENTITY, ShieldingChange
from ics_interop.adapters.http import running_server
from ics_interop.adapters.messaging import new_header

from callers import service, user_headers
from ics_interop.messages import CafIndicatorUpdate, MessageType
from ics_interop.model import (
    Address,
    Child,
    ContactDetails,
    Organisation,
    ParentCarer,
    PersonName,
    Practitioner,
    Team,
)
from ics_interop.model.codes import AgencyType, Relationship
from test_contactpoint_story import (
    _USERS,
    CHILD_PROTECTION,
    DATA_MANAGER,
    MELANIE_ID,
    NATIONAL_ECAF,
    SCHOOL,
    FakeClock,
    accepted,
    identity_update,
    involvement_started,
    make_child,
    moment,
    nhs_number,
    open_directory,
    send,
    service_involvement,
)

DOCS = Path(__file__).resolve().parent.parent / "docs" / "contactpoint.md"
BORN = dt.date(2005, 7, 1)
ORGANISATIONS = {DATA_MANAGER: "DCSF", **{user[0]: user[4] for user in _USERS}}

#: Each field of the API's record: (ordinary user, child-protection override, data manager).
POLICY: dict[str, tuple[str, str, str]] = {
    "contactpointId": ("shown", "shown", "shown"),
    "name": ("shown", "shown", "shown"),
    "formerNames": ("shown", "shown", "shown"),
    "dateOfBirth": ("shown", "shown", "shown"),
    "expectedDateOfBirth": ("shown", "shown", "shown"),
    "gender": ("shown", "shown", "shown"),
    "shielded": ("shown", "shown", "shown"),
    "locationHidden": ("shown", "shown", "shown"),
    "address": ("withheld", "shown", "withheld"),
    "lastKnownAddress": ("withheld", "shown", "withheld"),
    "noKnownAddress": ("withheld", "shown", "withheld"),
    "leftEngland": ("withheld", "shown", "withheld"),
    "diedOn": ("withheld", "shown", "withheld"),
    "parentsCarers[].name": ("shown", "shown", "shown"),
    "parentsCarers[].relationship": ("shown", "shown", "shown"),
    "parentsCarers[].hasParentalResponsibility": ("shown", "shown", "shown"),
    "parentsCarers[].contact": ("withheld", "shown", "withheld"),
    "involvements[]": ("withheld", "shown", "withheld"),
    "cafIndicators[]": ("withheld", "shown", "withheld"),
    "leadProfessional": ("withheld", "shown", "withheld"),
}
USERS = ("ordinary", "override", "data manager")


def _read(record: dict[str, Any], field: str) -> Any:
    """A field's value in a record as shown: a list of values for `parentsCarers[].x`; None when absent or empty."""
    if field.endswith("[]"):
        return record.get(field[:-2]) or None
    if "[]." in field:
        outer, inner = field.split("[].", 1)
        values = [item.get(inner) for item in record.get(outer) or []]
        return values if any(v is not None for v in values) else None
    value = record.get(field)
    return None if value in (None, [], {}) else value


def _location_hints() -> list[str]:
    """What, shown to an ordinary user, would say where the child is (each planted in the child's record)."""
    return [
        "Hornsey Close",  # the child's address, or last-known address
        "N19 4QT",  # its postcode
        "Tufnell",  # the parent's address
        "020 7946 0111",  # the parent's telephone
        "kindred.example",  # the parent's e-mail domain
        "Whittington Park School",  # the organisation involved
        "020 7946 0222",  # the practitioner's telephone
        "whittington.example",  # the practitioner's e-mail domain
        "Archway Road",  # the practitioner's address
        "LA206-INV",  # the sender's involvement ID, carrying its authority's code
        "Duty team Archway",  # the team
        "Lisbon",  # where the child went on leaving England
        "DFE-2069999",  # the school's code (the practitioner's ID carries it too)
    ]


def _child(kind: str, serial: int) -> Child:
    place = Address(lines=["3 Hornsey Close", "London"], postcode="N19 4QT")
    child = make_child("Robin", f"Ashby{serial}", BORN, nhs=nhs_number(700 + serial), postcode=None)
    location: dict[str, Any] = {"no_known_address": None}
    if kind == "address":
        location["address"] = place
    elif kind == "last-known":
        location["last_known_address"] = place
    elif kind == "no-known":
        location["no_known_address"] = child.no_known_address
    else:
        location["left_england"] = {"left_on": dt.date(2009, 8, 1), "destination": "Lisbon"}
    parent = ParentCarer(
        name=PersonName(given_names="Jo", family_name=f"Ashby{serial}"),
        relationship=Relationship.MOTHER,
        has_parental_responsibility=True,
        contact=ContactDetails(
            telephone="020 7946 0111",
            email="jo@kindred.example",
            address=Address(lines=["9 Tufnell Mews", "London"], postcode="N19 5AA"),
        ),
    )
    return Child.model_validate(
        {
            **child.model_dump(),
            **location,
            "former_names": [PersonName(given_names="Robin", family_name=f"Baker{serial}")],
            "parents_carers": [parent],
        }
    )


def _involvement(serial: int) -> Any:
    school = Organisation(
        organisation_id="DFE-2069999", name="Whittington Park School", agency_type=AgencyType.EDUCATION
    )
    contact = ContactDetails(
        telephone="020 7946 0222",
        email="mentor@whittington.example",
        address=Address(lines=["Archway Road", "London"], postcode="N19 3TD"),
    )
    worker = Practitioner(
        practitioner_id=f"DFE-2069999-M{serial}",
        name=PersonName(given_names="Ola", family_name="Mentor"),
        role="Learning mentor",
        organisation=school,
        contact=contact,
    )
    team = Team(team_id="ARCH-DUTY", name="Duty team Archway", organisation=school, contact=contact)
    involvement = service_involvement(f"LA206-INV-{serial}", organisation_id="DFE-2069999", agency=AgencyType.EDUCATION)
    service = involvement.service.model_copy(update={"name": "Learning mentor", "organisation": school})
    # Whom to contact: the practitioner for some children, the team for the others (one of them, never both).
    whom = {"practitioner": worker, "team": None} if serial % 2 == 0 else {"practitioner": None, "team": team}
    return involvement.model_copy(update={"service": service, **whom}), worker


KINDS = ("address", "last-known", "no-known", "left-england")


@pytest.fixture
def served(store_url: str) -> Iterator[tuple[str, dict[str, Child]]]:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 1)))
    children = {}
    for serial, kind in enumerate(KINDS):
        child = _child(kind, serial)
        involvement, worker = _involvement(serial)
        caf = CafIndicatorUpdate(
            header=new_header(
                MessageType.CAF_INDICATOR_UPDATE, NATIONAL_ECAF, CONTACTPOINT_IDENTITY, moment(2010, 1, 20)
            ),
            child=child,
            caf_exists=True,
            updated_on=dt.date(2010, 1, 19),
            completed_by=worker,
            lead_professional=worker,
        )
        for message in (
            identity_update(child, sender=SCHOOL, died_on=dt.date(2010, 1, 10)),
            involvement_started(child, involvement, sender=SCHOOL),
            caf,
        ):
            assert accepted(send(directory, message)), message.message_type
        nhs = child.identifiers.nhs_number
        (found,) = directory.search(practitioner_id=MELANIE_ID, reason="set-up", identifier=nhs).records
        directory.set_shielding(
            found.contactpoint_id, ShieldingChange(shielded=True, reason="fleeing violence"), by=DATA_MANAGER
        )
        children[found.contactpoint_id] = child
    with running_server(service("contactpoint", directory)) as url:
        yield url, children
    directory.dispose()


def _headers(user: str, override: str | None = None) -> dict[str, str]:
    headers = {**user_headers(user, ORGANISATIONS[user], "contactpoint"), "X-Access-Reason": "welfare check"}
    if override is not None:
        headers["X-Override-Shielding"] = override
    return headers


def _shown(client: httpx.Client, contactpoint_id: str, child: Child, headers: dict[str, str]) -> dict[str, Any]:
    """The record on every path: search by name and date of birth, by given names, by NHS number, by ID."""
    paths = {
        "search by name and date of birth": {"familyName": child.name.family_name, "dateOfBirth": BORN.isoformat()},
        "search by former name": {"familyName": f"Baker{child.name.family_name[-1]}", "givenNames": "Robin"},
        "search by NHS number": {"identifier": child.identifiers.nhs_number},
    }
    shown: dict[str, Any] = {}
    for path, params in paths.items():
        response = client.get("/children", params=params, headers=headers)
        assert response.status_code == 200, response.text
        (record,) = [r for r in response.json()["records"] if r["contactpointId"] == contactpoint_id]
        shown[path] = record
    viewed = client.get(f"/children/{contactpoint_id}", headers=headers)
    assert viewed.status_code == 200, viewed.text
    shown["view by ID"] = viewed.json()
    return shown


def test_every_field_of_a_shielded_record_for_every_user_and_path(served: tuple[str, dict[str, Child]]) -> None:
    url, children = served
    users = {
        "ordinary": [_headers(MELANIE_ID), _headers(CHILD_PROTECTION)],
        "override": [_headers(CHILD_PROTECTION, "section 47 enquiry")],
        "data manager": [_headers(DATA_MANAGER)],
    }
    with httpx.Client(base_url=url, timeout=20) as client:
        for contactpoint_id, child in children.items():
            full = _shown(client, contactpoint_id, child, users["override"][0])["view by ID"]
            kind = KINDS[int(child.name.family_name[-1])]
            for column, user in enumerate(USERS):
                for headers in users[user]:
                    for path, record in _shown(client, contactpoint_id, child, headers).items():
                        where = f"{kind}, {user}, {path}"
                        for field, rules in POLICY.items():
                            value, expected = _read(record, field), _read(full, field)
                            if rules[column] == "withheld":
                                assert value is None, f"{where}: {field} is shown: {value}"
                            elif field != "locationHidden":  # (what differs between them: checked below)
                                assert value == expected, f"{where}: {field} is {value}, not {expected}"
                        assert record["shielded"] is True
                        assert record["locationHidden"] is (user != "override"), where
                        if user != "override":
                            text = json.dumps(record)
                            for hint in _location_hints():
                                assert hint not in text, f"{where}: {hint!r} is shown"
            # What the override shows is the whole record: each field the child has is there.
            for field in ("name", "formerNames", "dateOfBirth", "gender", "diedOn", "parentsCarers[].contact",
                          "involvements[]", "cafIndicators[]", "leadProfessional"):  # fmt: skip
                assert _read(full, field) is not None, f"{kind}: the override does not show {field}"
            location = {"address": "address", "last-known": "lastKnownAddress", "no-known": "noKnownAddress",
                        "left-england": "leftEngland"}[kind]  # fmt: skip
            assert _read(full, location) is not None, f"{kind}: the override does not show {location}"


def test_the_docs_table_is_the_policy_tested() -> None:
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## What a shielded record shows", 1)[1].split("\n## ", 1)[0]
    documented: dict[str, tuple[str, str, str]] = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5 or not cells[0].startswith("`"):
            continue
        columns = tuple("withheld" if c.startswith("withheld") else "shown" for c in cells[2:])
        for field in re.findall(r"`([^`]+)`", cells[0].split("(")[0]):
            documented[field] = columns  # type: ignore[assignment]
    assert documented == POLICY
