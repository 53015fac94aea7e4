"""The directory's feed (F1–F3): acknowledgements, redelivery, no case information, matching, the match queue."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from ics_interop.adapters.contactpoint import (
    CONTACTPOINT_IDENTITY,
    AccessRefused,
    ContactPointDirectory,
    DirectoryConflict,
    MatchResolution,
    ShieldingChange,
)
from ics_interop.adapters.contactpoint.feed import DirectoryFeed
from ics_interop.adapters.messaging import new_header

from callers import sender
from ics_interop import to_json, to_xml
from ics_interop.examples import MELANIE, example_messages
from ics_interop.messages import CafIndicatorUpdate, MessageType
from ics_interop.model import PersonName
from ics_interop.model.codes import AgencyType, Gender, SensitiveService
from ics_interop.model.identifiers import contactpoint_id_check_digit, is_valid_contactpoint_id
from test_contactpoint_story import (
    CHILD_PROTECTION,
    DATA_MANAGER,
    GP_SURGERY,
    ISLINGTON_ICS,
    MELANIE_ID,
    NATIONAL_ECAF,
    SCHOOL,
    FakeClock,
    accepted,
    count,
    identity_update,
    involvement_ended,
    involvement_started,
    make_child,
    moment,
    nhs_number,
    open_directory,
    rule_ids,
    search,
    send,
    service_involvement,
    table_rows,
)

BORN = dt.date(2001, 5, 17)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 1))


@pytest.fixture
def directory(store_url: str, clock: FakeClock) -> Iterator[ContactPointDirectory]:
    directory = open_directory(store_url, clock)
    yield directory
    directory.dispose()


def _stored(directory: ContactPointDirectory) -> dict[str, int]:
    t = directory.tables
    tables = [t.child, t.name, t.identifier, t.involvement, t.caf_indicator, t.match_queue, t.messaging.inbox]
    return {table.name: count(directory, table) for table in tables}


# --- acknowledgements and redelivery ---------------------------------------------------------------


def test_each_feed_message_is_acknowledged_in_its_own_form(directory: ContactPointDirectory) -> None:
    for serial, wire in enumerate(["xml", "json"]):
        given = ("Kyle", "Kayla")[serial]  # twins: a namesake born the same day with another NHS number is held
        child = make_child(given, "Turner", BORN, nhs=nhs_number(101 + serial), gender=Gender(str(serial + 1)))
        gp = service_involvement(f"GP-INV-{wire}")
        caf = CafIndicatorUpdate(
            header=new_header(
                MessageType.CAF_INDICATOR_UPDATE, NATIONAL_ECAF, CONTACTPOINT_IDENTITY, moment(2010, 1, 30)
            ),
            child=child,
            caf_exists=True,
            updated_on=dt.date(2010, 1, 29),
            completed_by=MELANIE,
        )
        messages = [
            identity_update(child),
            involvement_started(child, gp),
            involvement_ended(child, gp, dt.date(2010, 1, 19)),
            caf,
        ]
        for message in messages:
            body = to_xml(message) if wire == "xml" else to_json(message)
            reply, content_type = directory.receiver.receive(body, f"application/{wire}", client=sender(body))
            assert content_type == f"application/{wire}"
            assert (b"<" if wire == "xml" else b"{") == reply.lstrip()[:1]
            ack = send(directory, message, wire)  # the same message again: answered the same
            assert accepted(ack)
            assert ack.acknowledged_message_id == message.header.message_id
            assert ack.header.correlation_id == message.header.message_id
        (record,) = search(directory, identifier=child.identifiers.nhs_number).records
        assert [i.end_date for i in record.involvements] == [dt.date(2010, 1, 19)]
        assert record.caf_indicators[0].completed_by.practitioner_id == MELANIE_ID


def test_a_redelivered_message_changes_nothing_and_a_reused_id_is_rejected(directory: ContactPointDirectory) -> None:
    child = make_child("Kyle", "Turner", BORN, local_id="GP-PAT-1")
    started = involvement_started(child, service_involvement("GP-INV-1"))
    first = send(directory, started)
    before = _stored(directory)
    again = send(directory, started)
    assert again == first
    assert _stored(directory) == before == {**before, "cp_child": 1, "cp_involvement": 1, "cp_inbox": 1}
    changed = started.model_copy(update={"child": make_child("Kylie", "Turner", BORN, local_id="GP-PAT-1")})
    ack = send(directory, changed)
    assert not accepted(ack)
    assert rule_ids(ack) == {"ENV-003"}
    assert _stored(directory) == before


# --- no case information, nothing unlawful ------------------------------------------------------------


def test_a_message_carrying_case_information_is_rejected_and_nothing_stored(directory: ContactPointDirectory) -> None:
    before = _stored(directory)
    for message_type in (MessageType.STEP_DOWN, MessageType.SOCIAL_CARE_REFERRAL):
        message = example_messages()[message_type]
        addressed = message.model_copy(
            update={"header": message.header.model_copy(update={"recipient": CONTACTPOINT_IDENTITY})}
        )
        ack = send(directory, addressed)
        assert not accepted(ack)
        assert "CP-001" in rule_ids(ack)
        assert not accepted(send(directory, message))  # sent to the directory by mistake
    # An element the standard does not define, smuggled into a directory message.
    xml = to_xml(identity_update(make_child("Kyle", "Turner", BORN))).decode()
    smuggled = xml.replace("</Gender>", "</Gender><CaseNotes>Disclosed neglect at home.</CaseNotes>", 1)
    assert smuggled != xml
    reply, _ = directory.receiver.receive(smuggled.encode(), "application/xml", client=sender(smuggled.encode()))
    assert b"rejected" in reply
    assert _stored(directory) == before


def test_a_sensitive_service_without_a_basis_or_an_end_without_a_start_is_rejected(
    directory: ContactPointDirectory,
) -> None:
    involvement = service_involvement("SH-1", sensitive=SensitiveService.SEXUAL_HEALTH, name="Sexual health")
    ack = send(directory, involvement_started(make_child("Kyle", "Turner", BORN), involvement))
    assert not accepted(ack)
    assert "INV-001" in rule_ids(ack)
    assert _stored(directory)["cp_child"] == 0
    child = make_child("Kyle", "Turner", BORN, nhs=nhs_number(5))
    assert accepted(send(directory, identity_update(child)))
    ack = send(directory, involvement_ended(child, service_involvement("GP-INV-404"), dt.date(2010, 1, 2)))
    assert not accepted(ack)
    assert rule_ids(ack) == {"CP-INV-UNKNOWN"}


# --- records and their details --------------------------------------------------------------------


def test_a_new_name_keeps_the_old_one_as_a_former_name(directory: ContactPointDirectory) -> None:
    nhs = nhs_number(7)
    early = identity_update(make_child("Kyle", "Turner", BORN, nhs=nhs), at=moment(2010, 1, 2))
    assert accepted(send(directory, early))
    assert accepted(send(directory, identity_update(make_child("Kyle", "Owen", BORN, nhs=nhs), at=moment(2010, 1, 9))))
    # An older message, arriving late, does not undo the newer details.
    late = identity_update(make_child("Kyle", "Turner", BORN, nhs=nhs), at=moment(2010, 1, 5))
    assert accepted(send(directory, late))
    (record,) = search(directory, family_name="Turner", date_of_birth=BORN).records  # found by the former name
    assert record.name.family_name == "Owen"
    assert record.former_names == [PersonName(given_names="Kyle", family_name="Turner")]


def test_the_caf_indicator_is_replaced_by_its_sender_and_removed_when_no_caf_exists(
    directory: ContactPointDirectory,
) -> None:
    child = make_child("Kyle", "Turner", BORN, nhs=nhs_number(8))
    local_ecaf = NATIONAL_ECAF.model_copy(update={"organisation_id": "LA206"})

    def indicator(sender: Any, at: dt.datetime, exists: bool, updated: dt.date) -> CafIndicatorUpdate:
        return CafIndicatorUpdate(
            header=new_header(MessageType.CAF_INDICATOR_UPDATE, sender, CONTACTPOINT_IDENTITY, at),
            child=child,
            caf_exists=exists,
            updated_on=updated,
            completed_by=MELANIE,
            lead_professional=MELANIE if exists else None,
        )

    assert accepted(send(directory, indicator(NATIONAL_ECAF, moment(2010, 1, 2), True, dt.date(2010, 1, 2))))
    assert accepted(send(directory, indicator(NATIONAL_ECAF, moment(2010, 1, 9), True, dt.date(2010, 1, 9))))
    assert accepted(send(directory, indicator(local_ecaf, moment(2010, 1, 10), True, dt.date(2010, 1, 10))))
    (record,) = search(directory, identifier=child.identifiers.nhs_number).records
    assert sorted((c.recorded_by, c.updated_on) for c in record.caf_indicators) == [
        ("DCSF", dt.date(2010, 1, 9)),
        ("LA206", dt.date(2010, 1, 10)),
    ]
    assert accepted(send(directory, indicator(NATIONAL_ECAF, moment(2010, 1, 20), False, dt.date(2010, 1, 20))))
    assert accepted(send(directory, indicator(local_ecaf, moment(2010, 1, 21), False, dt.date(2010, 1, 21))))
    (record,) = search(directory, identifier=child.identifiers.nhs_number).records
    assert record.caf_indicators == []
    assert record.lead_professional is None


# --- matching ---------------------------------------------------------------------------------------


def test_identifiers_match_one_child_across_senders(directory: ContactPointDirectory) -> None:
    nhs = nhs_number(11)
    assert accepted(send(directory, identity_update(make_child("Kyle", "Turner", BORN, nhs=nhs, local_id="S-1"))))
    # The GP knows him by NHS number and its own ID, at a new address and with a shortened name.
    at_gp = make_child("Kyle J", "Turner", BORN, nhs=nhs, local_id="P-77", postcode="E8 3XQ")
    assert accepted(send(directory, involvement_started(at_gp, service_involvement("GP-INV-1"))))
    # Then by its own ID alone.
    by_local = make_child("Kyle", "Turner", BORN, local_id="P-77", postcode="E8 3XQ")
    assert accepted(send(directory, involvement_started(by_local, service_involvement("GP-INV-2"))))
    # F2: Islington's ICS records a referral: the existence of social care involvement and the team's number.
    at_ics = make_child("Kyle", "Turner", BORN, nhs=nhs, local_id="LA206-CASE-1", postcode="E8 3XQ")
    referral = service_involvement(
        "LA206-CSC-INV-9", organisation_id="LA206-CSC", agency=AgencyType.SOCIAL_CARE, name="Children's social care"
    )
    assert accepted(send(directory, involvement_started(at_ics, referral, sender=ISLINGTON_ICS)))
    assert count(directory, directory.tables.child) == 1
    (record,) = search(directory, identifier=nhs).records
    assert sorted(i.agency_type.value for i in record.involvements) == ["gp", "gp", "social-care"]


def test_without_shared_identifiers_name_birth_date_and_postcode_decide(directory: ContactPointDirectory) -> None:
    # The same name, date of birth and postcode: the same child, whatever the case of the letters.
    assert accepted(
        send(directory, identity_update(make_child("Kyle", "Turner", BORN, local_id="1001"), sender=SCHOOL))
    )
    ack = send(directory, identity_update(make_child("KYLE", "TURNER", BORN), sender=GP_SURGERY))
    assert accepted(ack)
    assert ack.findings == []
    # Twins: the same family name, birth date and address, another given name.
    assert accepted(send(directory, identity_update(make_child("Kayla", "Turner", BORN))))
    # The same local ID from another sender is another sender's child.
    other = make_child("Aisha", "Begum", dt.date(2003, 2, 2), local_id="1001", postcode="E8 3XQ")
    assert accepted(send(directory, identity_update(other, sender=GP_SURGERY)))
    ids = [row["contactpoint_id"] for row in table_rows(directory, directory.tables.child)]
    assert len(set(ids)) == 3
    assert all(is_valid_contactpoint_id(i) for i in ids)
    assert count(directory, directory.tables.match_queue) == 0


def test_same_name_and_birth_date_elsewhere_is_held_not_guessed(directory: ContactPointDirectory) -> None:
    assert accepted(send(directory, identity_update(make_child("Kyle", "Turner", BORN, local_id="S-1"))))
    moved = identity_update(make_child("Kyle", "Turner", BORN, postcode="E8 3XQ", local_id="P-9"), sender=GP_SURGERY)
    ack = send(directory, moved)
    assert accepted(ack)
    assert rule_ids(ack) == {"CP-MATCH-HELD"}
    assert ack.findings[0].severity == "warning"
    assert count(directory, directory.tables.child) == 1
    (entry,) = directory.match_queue(by=DATA_MANAGER)
    assert entry.message_id == moved.header.message_id
    assert entry.sender == GP_SURGERY.organisation_id
    assert [c.name.given_names for c in entry.candidates] == ["Kyle"]
    # A redelivery is answered the same and queues nothing more.
    assert send(directory, moved) == ack
    assert count(directory, directory.tables.match_queue) == 1
    # A later message from the same sender about the same child waits behind it.
    later = involvement_started(moved.child, service_involvement("GP-INV-1"), sender=GP_SURGERY)
    assert rule_ids(send(directory, later)) == {"CP-MATCH-HELD"}
    assert count(directory, directory.tables.involvement) == 0


def test_identifiers_naming_two_records_are_held(directory: ContactPointDirectory) -> None:
    first, second = nhs_number(21), nhs_number(22)
    assert accepted(send(directory, identity_update(make_child("Kyle", "Turner", BORN, nhs=first))))
    namesake = send(directory, identity_update(make_child("Kyle", "Turner", BORN, nhs=second, upn="A206205199047")))
    # A namesake born the same day with another NHS number: a typing slip or another child, so held, not guessed.
    assert rule_ids(namesake) == {"CP-MATCH-HELD"}
    assert "another NHS number" in namesake.findings[0].message
    (held,) = directory.match_queue(by=DATA_MANAGER)
    another = MatchResolution(action="new", reason="the school confirms another child of that name")
    directory.resolve_match(held.entry_id, another, by=DATA_MANAGER)
    assert count(directory, directory.tables.child) == 2
    confused = make_child("Kyle", "Turner", BORN, nhs=first, upn="A206205199047")
    ack = send(directory, identity_update(confused, sender=GP_SURGERY))
    assert rule_ids(ack) == {"CP-MATCH-HELD"}
    (entry,) = directory.match_queue(by=DATA_MANAGER)
    assert len(entry.candidates) == 2
    assert "more than one record" in entry.reason
    # A ContactPoint ID the directory never gave, on a child whose details match a record: held too.
    made_up = "CP123456789" + contactpoint_id_check_digit("123456789")
    assert made_up not in {c.contactpoint_id for c in entry.candidates}
    claimed = make_child("Kayla", "Turner", BORN, contactpoint_id=made_up)
    assert accepted(send(directory, identity_update(make_child("Kayla", "Turner", BORN), sender=SCHOOL)))
    assert rule_ids(send(directory, identity_update(claimed, sender=GP_SURGERY))) == {"CP-MATCH-HELD"}
    assert count(directory, directory.tables.child) == 3


def _held_gp_message(directory: ContactPointDirectory) -> tuple[str, int]:
    """A record from the school, and a GP message about the same child elsewhere, held."""
    assert accepted(send(directory, identity_update(make_child("Kyle", "Turner", BORN, local_id="S-1"))))
    (record,) = search(directory, family_name="Turner", date_of_birth=BORN).records
    moved = make_child("Kyle", "Turner", BORN, postcode="E8 3XQ", local_id="P-9")
    ack = send(directory, involvement_started(moved, service_involvement("GP-INV-1"), sender=GP_SURGERY))
    assert rule_ids(ack) == {"CP-MATCH-HELD"}
    (entry,) = directory.match_queue(by=DATA_MANAGER)
    return record.contactpoint_id, entry.entry_id


def test_a_data_manager_merges_a_held_message_and_later_ones_then_match(directory: ContactPointDirectory) -> None:
    contactpoint_id, entry_id = _held_gp_message(directory)
    resolved = directory.resolve_match(
        entry_id,
        MatchResolution(action="merge", contactpoint_id=contactpoint_id, reason="same child: family moved"),
        by=DATA_MANAGER,
    )
    assert resolved.contactpoint_id == contactpoint_id
    assert not resolved.shielded
    (record,) = search(directory, identifier=contactpoint_id).records
    assert [i.involvement_id for i in record.involvements] == ["GP-INV-1"]
    assert record.address is not None
    assert record.address.postcode == "E8 3XQ"
    # The GP's own ID is now bound to the record: its next message matches at once.
    again = make_child("Kyle", "Turner", BORN, postcode="E8 3XQ", local_id="P-9")
    ack = send(directory, involvement_started(again, service_involvement("GP-INV-2"), sender=GP_SURGERY))
    assert accepted(ack)
    assert ack.findings == []
    assert count(directory, directory.tables.child) == 1
    with pytest.raises(DirectoryConflict) as resolved_twice:
        directory.resolve_match(entry_id, MatchResolution(action="new", reason="again"), by=DATA_MANAGER)
    assert resolved_twice.value.rule_id == "CP-QUEUE-RESOLVED"


@pytest.mark.parametrize("action", ["merge", "new"])
def test_shielding_survives_a_resolution(directory: ContactPointDirectory, action: str) -> None:
    contactpoint_id, entry_id = _held_gp_message(directory)
    directory.set_shielding(
        contactpoint_id, ShieldingChange(shielded=True, reason="family fleeing violence"), by=DATA_MANAGER
    )
    if action == "merge":
        # Merged into another, unshielded record (the data manager's choice): that record becomes shielded.
        elsewhere = make_child("Kyle", "Turner-Reid", BORN, nhs=nhs_number(31), postcode="E8 3XQ")
        assert accepted(send(directory, identity_update(elsewhere, sender=GP_SURGERY)))
        (target,) = search(directory, identifier=nhs_number(31)).records
        assert not target.shielded
        chosen = MatchResolution(action="merge", contactpoint_id=target.contactpoint_id, reason="the GP's child")
        resolved = directory.resolve_match(entry_id, chosen, by=DATA_MANAGER)
        assert resolved.contactpoint_id == target.contactpoint_id
    else:
        resolved = directory.resolve_match(entry_id, MatchResolution(action="new", reason="twin?"), by=DATA_MANAGER)
    assert resolved.shielded
    # Nobody finds the new location by postcode, and a search by name shows it shielded.
    for family in ("Turner", "Turner-Reid"):
        assert search(directory, family_name=family, postcode="E8 3XQ").records == []
    (shown,) = search(directory, identifier=resolved.contactpoint_id).records
    assert shown.shielded
    assert shown.location_hidden
    assert shown.address is None


def test_only_a_data_manager_resolves_and_a_failed_resolution_leaves_the_queue_as_it_was(
    directory: ContactPointDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    contactpoint_id, entry_id = _held_gp_message(directory)
    merge = MatchResolution(action="merge", contactpoint_id=contactpoint_id, reason="same child")
    with pytest.raises(AccessRefused):
        directory.resolve_match(entry_id, merge, by=CHILD_PROTECTION)
    before = _stored(directory)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(DirectoryFeed, "_start_involvement", broken)
    with pytest.raises(RuntimeError):
        directory.resolve_match(entry_id, MatchResolution(action="new", reason="a new child"), by=DATA_MANAGER)
    assert _stored(directory) == before
    assert [e.status for e in directory.match_queue(by=DATA_MANAGER)] == ["held"]


def test_a_failure_mid_message_leaves_the_store_as_it_was(
    directory: ContactPointDirectory, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _stored(directory)

    def broken(*_: Any, **__: Any) -> None:
        raise RuntimeError("connection lost")

    # The record and its identifiers are written before the involvement: all must go.
    monkeypatch.setattr(DirectoryFeed, "_start_involvement", broken)
    started = involvement_started(make_child("Kyle", "Turner", BORN, nhs=nhs_number(41)), service_involvement("G-1"))
    with pytest.raises(RuntimeError):
        send(directory, started)
    assert _stored(directory) == before
    monkeypatch.undo()
    assert accepted(send(directory, started))  # the sender's retry then applies it
    assert _stored(directory)["cp_child"] == 1
