"""Searching and viewing the directory: who may, what they see, shielding, sensitive services, the audit log."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from ics_interop.adapters.contactpoint import (
    AccessRefused,
    ContactPointDirectory,
    DirectoryError,
    DirectoryRecord,
    RecordNotFound,
    ShieldingChange,
)

from ics_interop.model import Address, ContactDetails, ParentCarer, PersonName
from ics_interop.model.codes import AgencyType, Relationship, SensitiveBasis, SensitiveService
from test_contactpoint_story import (
    CHILD_PROTECTION,
    DATA_MANAGER,
    HEALTH,
    MELANIE_ID,
    NURSE,
    SEXUAL_HEALTH_ORG,
    FakeClock,
    accepted,
    identity_update,
    involvement_started,
    make_child,
    moment,
    nhs_number,
    open_directory,
    search,
    send,
    service_involvement,
    table_rows,
)

BORN = dt.date(2001, 5, 17)
NHS = nhs_number(501)
UPN = "A206205199047"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 1))


@pytest.fixture
def directory(store_url: str, clock: FakeClock) -> Iterator[ContactPointDirectory]:
    directory = open_directory(store_url, clock)
    kyle = make_child("Kyle", "Turner", BORN, nhs=NHS, upn=UPN).model_copy(
        update={
            "parents_carers": [
                ParentCarer(
                    name=PersonName(given_names="Dawn", family_name="Turner"),
                    relationship=Relationship.MOTHER,
                    has_parental_responsibility=True,
                    contact=ContactDetails(
                        telephone="07700 900123", address=Address(lines=["1 Example Street"], postcode="N7 6XP")
                    ),
                )
            ]
        }
    )
    assert accepted(send(directory, identity_update(kyle)))
    school_address = Address(lines=["Camden Park School", "London"], postcode="NW1 0AA")
    school = service_involvement(
        "SCH-1", organisation_id="DFE-2024105", agency=AgencyType.EDUCATION, name="School", address=school_address
    )
    assert accepted(send(directory, involvement_started(kyle, school)))
    clinic = service_involvement(
        "SH-1",
        organisation_id=SEXUAL_HEALTH_ORG,
        agency=AgencyType.HEALTH,
        name="Young people's sexual health clinic",
        sensitive=SensitiveService.SEXUAL_HEALTH,
        basis=SensitiveBasis.CONSENT,
    )
    assert accepted(send(directory, involvement_started(kyle, clinic, sender=HEALTH)))
    yield directory
    directory.dispose()


def _kyle(directory: ContactPointDirectory, user: str = MELANIE_ID, **override: str) -> DirectoryRecord:
    (record,) = search(directory, user, family_name="Turner", date_of_birth=BORN, **override).records
    return record


def _audit(directory: ContactPointDirectory) -> list[dict[str, object]]:
    return [dict(row) for row in table_rows(directory, directory.tables.audit)]


# --- who may search, and the audit log -------------------------------------------------------------


def test_only_registered_users_with_a_reason_may_search_and_refusals_are_audited(
    directory: ContactPointDirectory,
) -> None:
    refusals = [
        (None, "a reason", "CP-ACCESS-UNREGISTERED"),
        ("SOMEONE-ELSE", "a reason", "CP-ACCESS-UNREGISTERED"),
        (MELANIE_ID, None, "CP-ACCESS-REASON"),
        (MELANIE_ID, "   ", "CP-ACCESS-REASON"),
    ]
    for user, reason, error_id in refusals:
        with pytest.raises(AccessRefused) as refused:
            directory.search(practitioner_id=user, reason=reason, family_name="Turner", date_of_birth=BORN)
        assert refused.value.rule_id == error_id
        assert refused.value.hint
        last = _audit(directory)[-1]
        assert last["action"] == "search"
        assert last["outcome"] == "refused"
        assert last["records"] == []
        assert last["practitioner_id"] == (user or "(none)")
        assert last["query"] == {"familyName": "Turner", "dateOfBirth": "2001-05-17"}


def test_every_search_and_view_is_audited_with_who_when_which_and_why(
    directory: ContactPointDirectory, clock: FakeClock
) -> None:
    clock.on(2010, 2, 3, 14)
    record = _kyle(directory)
    directory.view(record.contactpoint_id, practitioner_id=MELANIE_ID, reason="attendance")
    with pytest.raises(RecordNotFound):
        directory.view("CP0000000000", practitioner_id=MELANIE_ID, reason="typo")
    entries = directory.audit_log(by=DATA_MANAGER)
    assert [(e.action, e.outcome, e.records, e.reason) for e in entries[:3]] == [
        ("view", "not-found", ["CP0000000000"], "typo"),
        ("view", "ok", [record.contactpoint_id], "attendance"),
        ("search", "ok", [record.contactpoint_id], "Hannah is falling behind at school"),
    ]
    assert all(e.practitioner_id == MELANIE_ID and e.at == clock.now for e in entries[:3])
    # A data manager can read one record's accesses; nobody else can read the log.
    assert len(directory.audit_log(by=DATA_MANAGER, contactpoint_id=record.contactpoint_id)) == 2
    with pytest.raises(AccessRefused):
        directory.audit_log(by=MELANIE_ID)


def test_a_search_too_broad_or_malformed_says_how_to_fix_it(directory: ContactPointDirectory) -> None:
    cases: list[tuple[dict[str, object], str]] = [
        ({"family_name": "Turner"}, "familyName"),
        ({"given_names": "Kyle", "date_of_birth": BORN}, "familyName"),
        ({"family_name": "Turner", "date_of_birth": "17/05/2001"}, "dateOfBirth"),
        ({"family_name": "Turner", "postcode": "NOT A CODE"}, "postcode"),
        ({"identifier": "9991234567"}, "identifier"),
        ({"identifier": "hello"}, "identifier"),
    ]
    for criteria, where in cases:
        with pytest.raises(DirectoryError) as bad:
            search(directory, **criteria)
        assert bad.value.rule_id == "CP-SEARCH-CRITERIA"
        assert bad.value.where == where
        assert bad.value.hint
        assert _audit(directory)[-1]["outcome"] == "invalid"


def test_a_child_is_found_by_name_birth_date_postcode_or_identifier_and_shown_without_case_information(
    directory: ContactPointDirectory,
) -> None:
    found = [
        search(directory, family_name="turner", given_names="KYLE", date_of_birth="2001-05-17"),
        search(directory, family_name="Turner", postcode="n7 6xp"),
        search(directory, identifier=NHS),
        search(directory, identifier=UPN),
        search(directory, identifier=_kyle(directory).contactpoint_id),
    ]
    assert {tuple(r.contactpoint_id for r in result.records) for result in found} == {
        (_kyle(directory).contactpoint_id,)
    }
    assert search(directory, family_name="Turner", given_names="Kayla", date_of_birth=BORN).records == []
    assert search(directory, family_name="Turner", date_of_birth=dt.date(2001, 5, 18)).records == []
    # What is shown: the directory's fields, and nothing that could hold case information.
    record = _kyle(directory)
    data = record.model_dump(by_alias=True)
    assert set(data) == {
        "contactpointId", "name", "formerNames", "dateOfBirth", "expectedDateOfBirth", "gender", "shielded",
        "locationHidden", "address", "lastKnownAddress", "noKnownAddress", "leftEngland", "diedOn",
        "parentsCarers", "involvements", "cafIndicators", "leadProfessional",
    }  # fmt: skip
    assert record.parents_carers[0].name.given_names == "Dawn"
    assert record.address is not None
    assert record.address.postcode == "N7 6XP"
    (school,) = record.involvements  # the sexual health clinic is not for a learning mentor's eyes
    assert school.practitioner is not None
    assert school.practitioner.contact.telephone == "020 7946 0999"


# --- sensitive services ----------------------------------------------------------------------------


def test_a_sensitive_service_exists_only_for_its_own_organisation(directory: ContactPointDirectory) -> None:
    for user in (MELANIE_ID, CHILD_PROTECTION, DATA_MANAGER):
        record = _kyle(directory, user)
        assert [i.service_name for i in record.involvements] == ["School"]
        shown = record.model_dump_json()
        assert "sexual" not in shown.lower()
        assert SEXUAL_HEALTH_ORG not in shown
    # Its own organisation's practitioners see it, marked sensitive.
    record = _kyle(directory, NURSE)
    sensitive = [i for i in record.involvements if i.sensitive is not None]
    assert [(i.service_name, i.sensitive) for i in sensitive] == [
        ("Young people's sexual health clinic", SensitiveService.SEXUAL_HEALTH)
    ]


# --- shielding ------------------------------------------------------------------------------------------


def _shield(directory: ContactPointDirectory) -> str:
    contactpoint_id = _kyle(directory).contactpoint_id
    change = ShieldingChange(shielded=True, reason="mother and child in a refuge")
    assert directory.set_shielding(contactpoint_id, change, by=DATA_MANAGER).shielded
    return contactpoint_id


def test_only_a_data_manager_sets_or_lifts_shielding_with_a_reason_and_it_is_audited(
    directory: ContactPointDirectory,
) -> None:
    contactpoint_id = _kyle(directory).contactpoint_id
    with pytest.raises(AccessRefused):
        directory.set_shielding(contactpoint_id, ShieldingChange(shielded=True, reason="refuge"), by=CHILD_PROTECTION)
    assert not _kyle(directory).shielded
    _shield(directory)
    entry = directory.audit_log(by=DATA_MANAGER, contactpoint_id=contactpoint_id)[0]
    assert (entry.action, entry.practitioner_id, entry.reason) == (
        "set-shielding",
        DATA_MANAGER,
        "mother and child in a refuge",
    )
    lifted = ShieldingChange(shielded=False, reason="risk assessed as past")
    assert not directory.set_shielding(contactpoint_id, lifted, by=DATA_MANAGER).shielded
    assert search(directory, family_name="Turner", postcode="N7 6XP").records[0].address is not None
    changes = [(e.outcome, e.reason) for e in directory.audit_log(by=DATA_MANAGER) if e.action == "set-shielding"]
    assert changes == [("ok", "risk assessed as past"), ("ok", "mother and child in a refuge"), ("refused", "refuge")]


def test_a_shielded_childs_location_is_hidden_and_cannot_be_searched_on(directory: ContactPointDirectory) -> None:
    contactpoint_id = _shield(directory)
    assert search(directory, family_name="Turner", postcode="N7 6XP").records == []
    for record in (
        _kyle(directory),
        directory.view(contactpoint_id, practitioner_id=MELANIE_ID, reason="attendance"),
        search(directory, identifier=NHS).records[0],
    ):
        assert record.shielded
        assert record.location_hidden
        assert record.address is None
        # SI 2007/2182 reg. 6(6): the parents' names, not how to reach them; no service, nor whom to ask there.
        assert record.parents_carers[0].name.family_name
        assert record.parents_carers[0].contact is None
        assert record.involvements == []
        assert "07700 900123" not in record.model_dump_json()
        assert "N7 6XP" not in record.model_dump_json()
        assert "NW1 0AA" not in record.model_dump_json()


def test_child_protection_may_override_shielding_with_a_reason_which_raises_an_alert(
    directory: ContactPointDirectory,
) -> None:
    contactpoint_id = _shield(directory)
    seen = directory.view(
        contactpoint_id,
        practitioner_id=CHILD_PROTECTION,
        reason="section 47 enquiry",
        override_shielding="strategy discussion needs the current address",
    )
    assert seen.shielded
    assert not seen.location_hidden
    assert seen.address is not None
    assert seen.address.postcode == "N7 6XP"
    (alert,) = directory.audit_alerts(by=DATA_MANAGER)
    assert (alert.kind, alert.practitioner_id, alert.contactpoint_id) == (
        "shielding-override",
        CHILD_PROTECTION,
        contactpoint_id,
    )
    assert alert.reason == "strategy discussion needs the current address"
    # Everyone else still sees the record shielded; without the override, so does child protection.
    assert _kyle(directory).location_hidden
    assert _kyle(directory, CHILD_PROTECTION).location_hidden
    # A search with the override shows the location too, and raises its own alert.
    assert _kyle(directory, CHILD_PROTECTION, override_shielding="court order").address is not None
    assert len(directory.audit_alerts(by=DATA_MANAGER)) == 2
    # Without the role, or without a reason, an override is refused (and audited), and raises no alert.
    for user, override, error_id in [
        (MELANIE_ID, "curious", "CP-ACCESS-ROLE"),
        (CHILD_PROTECTION, " ", "CP-ACCESS-REASON"),
    ]:
        with pytest.raises(AccessRefused) as refused:
            directory.view(contactpoint_id, practitioner_id=user, reason="a reason", override_shielding=override)
        assert refused.value.rule_id == error_id
        assert _audit(directory)[-1]["outcome"] == "refused"
    assert len(directory.audit_alerts(by=DATA_MANAGER)) == 2
