"""Hannah's story on the ContactPoint directory (seed §3.1), and the helpers the directory's other tests share.

The other `test_contactpoint_*` modules import the helpers from here: a clock the tests move,
a directory with its users registered, and builders for F1–F3 messages that go through the
receiver as real XML or JSON bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ics_interop.adapters.contactpoint import (
    CONTACTPOINT_IDENTITY,
    ContactPointDirectory,
    DirectoryRole,
    PractitionerRegistration,
    SearchResult,
)
from ics_interop.adapters.messaging import decode_acknowledgement, new_header
from sqlalchemy import Table, func, select

from callers import sender
from ics_interop import Message, to_json, to_xml
from ics_interop.examples import MELANIE, example_messages, social_care_involvement_started
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    ChildIdentityUpdate,
    InvolvementEnded,
    InvolvementStarted,
    MessageType,
    SystemRef,
)
from ics_interop.model import (
    Address,
    Child,
    ChildIdentifiers,
    ContactDetails,
    Involvement,
    Organisation,
    PersonName,
    Practitioner,
    Service,
)
from ics_interop.model.codes import AgencyType, Gender, SensitiveBasis, SensitiveService, SystemKind
from ics_interop.model.identifiers import is_valid_contactpoint_id, nhs_number_check_digit

# --- the clock ---------------------------------------------------------------------------------


class FakeClock:
    """A clock the test sets."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now

    def on(self, year: int, month: int, day: int, hour: int = 9) -> None:
        self.now = dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


def moment(year: int, month: int, day: int, hour: int = 9) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)


# --- the directory's users ---------------------------------------------------------------------

DATA_MANAGER = "DCSF-DM-0001"
MELANIE_ID = str(MELANIE.practitioner_id)  # the learning mentor, at Camden Park School
CHILD_PROTECTION = "LA206-CPT-0007"  # Islington's child protection team
NURSE = "NHS-ISH-0042"  # a sexual health nurse
SEXUAL_HEALTH_ORG = "NHS-ISLINGTON-SH"

_USERS = [
    (MELANIE_ID, "Melanie", "Hughes", DirectoryRole.PRACTITIONER, "DFE-2024105"),
    (CHILD_PROTECTION, "Grace", "Okafor", DirectoryRole.CHILD_PROTECTION, "LA206-CSC"),
    (NURSE, "Priya", "Shah", DirectoryRole.PRACTITIONER, SEXUAL_HEALTH_ORG),
]


def registration(
    practitioner_id: str, given: str, family: str, role: DirectoryRole, org: str
) -> PractitionerRegistration:
    return PractitionerRegistration(
        practitioner_id=practitioner_id,
        name=PersonName(given_names=given, family_name=family),
        role=role,
        organisation_id=org,
    )


def open_directory(url: str, clock: FakeClock, **options: Any) -> ContactPointDirectory:
    """A directory with a data manager (set up by the operator) and three users (registered by the data manager)."""
    directory = ContactPointDirectory(url, identity=CONTACTPOINT_IDENTITY, clock=clock, **options)
    directory.register_practitioner(registration(DATA_MANAGER, "Dana", "Marsh", DirectoryRole.DATA_MANAGER, "DCSF"))
    for user in _USERS:
        directory.register_practitioner(registration(*user), by=DATA_MANAGER)
    return directory


# --- messages ----------------------------------------------------------------------------------

SCHOOL = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="DFE-2024105", organisation_name="Camden Park School")
GP_SURGERY = SystemRef(
    system=SystemKind.FEED_SOURCE, organisation_id="GP-F83004", organisation_name="Holloway Practice"
)
ISLINGTON_ICS = SystemRef(system=SystemKind.ICS, organisation_id="LA206-CSC")
HEALTH = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id=SEXUAL_HEALTH_ORG)
NATIONAL_ECAF = SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF")


def nhs_number(serial: int) -> str:
    """A valid NHS number from the 999 test range."""
    for spare in range(100):  # a few nine-digit stems have no check digit: try the next
        first_nine = f"999{serial:04d}{spare:02d}"
        check = nhs_number_check_digit(first_nine)
        if check is not None:
            return first_nine + check
    raise AssertionError("unreachable: one stem in eleven lacks a check digit")


def make_child(
    given: str,
    family: str,
    born: dt.date,
    *,
    postcode: str | None = "N7 6XP",
    nhs: str | None = None,
    upn: str | None = None,
    local_id: str | None = None,
    contactpoint_id: str | None = None,
    gender: Gender = Gender.FEMALE,
    former: list[PersonName] | None = None,
) -> Child:
    """A child as a sender holds them; without a postcode, the child has no known address."""
    location: dict[str, Any]
    if postcode is not None:
        location = {"address": Address(lines=["1 Example Street", "London"], postcode=postcode)}
    else:
        location = {"no_known_address": {"recorded_on": dt.date(2009, 1, 1)}}
    return Child(
        identifiers=ChildIdentifiers(contactpoint_id=contactpoint_id, nhs_number=nhs, upn=upn, local_id=local_id),
        name=PersonName(given_names=given, family_name=family),
        former_names=former or [],
        date_of_birth=born,
        gender=gender,
        **location,
    )


def identity_update(
    child: Child, *, sender: SystemRef = SCHOOL, at: dt.datetime | None = None, died_on: dt.date | None = None
) -> ChildIdentityUpdate:
    return ChildIdentityUpdate(
        header=new_header(MessageType.CHILD_IDENTITY_UPDATE, sender, CONTACTPOINT_IDENTITY, at or moment(2010, 1, 15)),
        child=child,
        died_on=died_on,
    )


def service_involvement(
    involvement_id: str,
    *,
    organisation_id: str = "GP-F83004",
    agency: AgencyType = AgencyType.GP,
    name: str = "General practice",
    sensitive: SensitiveService | None = None,
    basis: SensitiveBasis | None = None,
    start: dt.date = dt.date(2009, 9, 1),
    end: dt.date | None = None,
    address: Address | None = None,
) -> Involvement:
    organisation = Organisation(organisation_id=organisation_id, name=f"{name} ({organisation_id})", agency_type=agency)
    return Involvement(
        involvement_id=involvement_id,
        service=Service(
            service_id=f"{organisation_id}-SVC",
            name=name,
            agency_type=agency,
            organisation=organisation,
            sensitive=sensitive,
        ),
        practitioner=Practitioner(
            practitioner_id=f"{organisation_id}-P1",
            name=PersonName(given_names="Sam", family_name="Reid"),
            role="Practitioner",
            organisation=organisation,
            contact=ContactDetails(telephone="020 7946 0999", address=address),
        ),
        start_date=start,
        end_date=end,
        sensitive_basis=basis,
    )


def involvement_started(
    child: Child, involvement: Involvement, *, sender: SystemRef = GP_SURGERY, at: dt.datetime | None = None
) -> InvolvementStarted:
    return InvolvementStarted(
        header=new_header(MessageType.INVOLVEMENT_STARTED, sender, CONTACTPOINT_IDENTITY, at or moment(2010, 1, 15)),
        child=child,
        involvement=involvement,
    )


def involvement_ended(
    child: Child,
    involvement: Involvement,
    end: dt.date,
    *,
    sender: SystemRef = GP_SURGERY,
    at: dt.datetime | None = None,
) -> InvolvementEnded:
    return InvolvementEnded(
        header=new_header(MessageType.INVOLVEMENT_ENDED, sender, CONTACTPOINT_IDENTITY, at or moment(2010, 1, 20)),
        child=child,
        involvement_id=involvement.involvement_id,
        start_date=involvement.start_date,
        end_date=end,
    )


def send(directory: ContactPointDirectory, message: Message, wire: str = "xml") -> Acknowledgement:
    """Deliver a message as bytes, as a transport would; the acknowledgement it got."""
    body = to_xml(message) if wire == "xml" else to_json(message)
    reply, content_type = directory.receiver.receive(body, f"application/{wire}", client=sender(body))
    return decode_acknowledgement(reply, content_type)


def accepted(ack: Acknowledgement) -> bool:
    return ack.status is AcknowledgementStatus.ACCEPTED


def rule_ids(ack: Acknowledgement) -> set[str]:
    return {str(f.rule_id) for f in ack.findings}


def search(directory: ContactPointDirectory, user: str = MELANIE_ID, **criteria: Any) -> SearchResult:
    return directory.search(practitioner_id=user, reason="Hannah is falling behind at school", **criteria)


def count(directory: ContactPointDirectory, table: Table) -> int:
    with directory.store.reading() as connection:
        return int(connection.execute(select(func.count()).select_from(table)).scalar_one())


def table_rows(directory: ContactPointDirectory, table: Table) -> list[Any]:
    with directory.store.reading() as connection:
        return list(connection.execute(select(table)).mappings())


# --- Hannah's story ------------------------------------------------------------------------------


def test_hannahs_story_melanie_finds_john_and_lee(store_url: str) -> None:
    """Seed §3.1: Melanie finds social care (ended, still listed for a year) and Lee's youth service."""
    stories = example_messages()
    clock = FakeClock(moment(2009, 1, 1))
    directory = open_directory(store_url, clock)
    try:
        feed = [
            social_care_involvement_started(),  # F2, from Islington's ICS
            stories[MessageType.INVOLVEMENT_ENDED],  # F2: John's involvement ends on 2009-03-27
            stories[MessageType.INVOLVEMENT_STARTED],  # F1: Lee's youth service
            stories[MessageType.CHILD_IDENTITY_UPDATE],  # F1: the school's MIS
        ]
        for message in feed:
            clock.now = message.header.created_at
            ack = send(directory, message)
            assert accepted(ack)
            assert ack.findings == [], ack.findings
            assert ack.acknowledged_message_id == message.header.message_id

        # Four messages from three systems, one child: one record, with the ID Hannah already has.
        assert count(directory, directory.tables.child) == 1
        clock.on(2010, 2, 1)
        (hannah,) = search(directory, family_name="Mills", given_names="Hannah", date_of_birth="1994-06-14").records
        assert hannah.contactpoint_id == "CP4801720956"
        assert is_valid_contactpoint_id(hannah.contactpoint_id)
        services = {i.service_name: i for i in hannah.involvements}
        assert set(services) == {"Children's social care", "Youth service"}
        social_care = services["Children's social care"]
        assert social_care.team is not None
        assert social_care.team.contact.telephone == "020 7946 0400"
        assert social_care.end_date == dt.date(2009, 3, 27)
        assert social_care.visible_until == dt.date(2010, 3, 27)
        youth = services["Youth service"]
        assert youth.practitioner is not None
        assert youth.practitioner.name.given_names == "Lee"
        assert hannah.caf_indicators == []
        assert hannah.lead_professional is None

        # F3: the CAF is recorded on National eCAF; the directory shows that it exists and who leads.
        caf = stories[MessageType.CAF_INDICATOR_UPDATE]
        clock.now = caf.header.created_at
        assert accepted(send(directory, caf, "json"))
        record = directory.view(hannah.contactpoint_id, practitioner_id=MELANIE_ID, reason="CAF follow-up")
        assert record.lead_professional is not None
        assert record.lead_professional.practitioner_id == MELANIE_ID
        assert record.caf_indicators[0].completed_by.practitioner_id == MELANIE_ID

        # John's team stays listed a year after the end of the involvement, and no longer.
        clock.on(2010, 3, 27)
        assert "Children's social care" in {
            i.service_name for i in search(directory, identifier="9991000046").records[0].involvements
        }
        clock.on(2010, 3, 28)
        (later,) = search(directory, identifier="9991000046").records
        assert [i.service_name for i in later.involvements] == ["Youth service"]
        assert directory.run_maintenance().involvements_expired == 1
    finally:
        directory.dispose()
