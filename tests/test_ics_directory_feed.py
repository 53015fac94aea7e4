"""F2 and F1: the ICS tells ContactPoint that social care is involved (never why), and when it stops.

A stand-in directory here is a real `Receiver` (inbox, validation, de-duplication) with its
own store, so delivery is tested through the real bytes, the real outbox and a transport that
can be taken down. Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ics_interop.adapters.auth import Principal
from ics_interop.adapters.ics import ChangeRefused, IcsSettings, IcsSystem
from ics_interop.adapters.messaging import MessagingTables, Receiver, TransportError
from ics_interop.adapters.storage import Store
from ics_interop.adapters.transport import InProcessTransport
from sqlalchemy import MetaData, func, select

from ics_interop import Message, run_rules, to_xml, validate_bytes
from ics_interop.examples import HANNAH, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import AcknowledgementStatus, InvolvementEnded, InvolvementStarted, MessageType, SystemRef
from ics_interop.model import ChildCharacteristics, IcsClosure, IcsReferral
from ics_interop.model.codes import AgencyType, CinClosureReason, PrimaryNeed, ReferralSource, SystemKind

ISLINGTON_ICS = example_messages()[MessageType.SOCIAL_CARE_REFERRAL].header.recipient
CONTACTPOINT = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="DCSF")
REASON = "Mother in hospital after an overdose; Hannah caring for her three siblings alone."
NOTES = "Young carer; school attendance 62% this term."


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


class Directory:
    """A stand-in for ContactPoint: the shared receiver, recording what it applied."""

    def __init__(self, url: str, clock: Clock) -> None:
        metadata = MetaData()
        self.tables = MessagingTables(metadata, "directory")
        self.store = Store(url, metadata)
        self.applied: list[Message] = []
        self.receiver = Receiver(
            self.store,
            self.tables,
            CONTACTPOINT,
            {MessageType.INVOLVEMENT_STARTED: self._apply, MessageType.INVOLVEMENT_ENDED: self._apply},
            clock,
        )

    def _apply(self, _connection: Any, message: Message) -> None:
        self.applied.append(message)

    def inbox_size(self) -> int:
        with self.store.reading() as connection:
            return int(connection.scalar(select(func.count()).select_from(self.tables.inbox)) or 0)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2010, 5, 20, 10, 0, tzinfo=dt.UTC))


@pytest.fixture
def ics(store_url: str, clock: Clock) -> Iterator[IcsSystem]:
    system = IcsSystem(
        store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    yield system
    system.store.dispose()


@pytest.fixture
def directory(tmp_path: Path, clock: Clock) -> Directory:
    return Directory(f"sqlite:///{tmp_path / 'directory.db'}", clock)


@pytest.fixture
def link(ics: IcsSystem, directory: Directory) -> InProcessTransport:
    transport = InProcessTransport(directory.receiver.receive, ISLINGTON_ICS)
    ics.connect("contactpoint", transport)
    return transport


def referral(referral_id: str = "REF-1", on: dt.date = dt.date(2010, 5, 19)) -> IcsReferral:
    return IcsReferral(
        referral_id=referral_id,
        referral_date=on,
        source=ReferralSource.LA_SOCIAL_CARE,
        primary_need=PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS,
        reason=REASON,
    )


def open_case(ics: IcsSystem, **kwargs: Any) -> str:
    return ics.open_case(
        HANNAH, characteristics=ChildCharacteristics(notes=NOTES), opened_on=dt.date(2010, 5, 19), **kwargs
    ).case_id


def test_a_referral_tells_contactpoint_that_social_care_is_involved_and_nothing_else(
    ics: IcsSystem, directory: Directory, link: InProcessTransport
) -> None:
    case_id = open_case(ics)
    ics.record_referral(case_id, referral())
    acks = ics.deliver()
    assert [a.status for a in acks] == [AcknowledgementStatus.ACCEPTED]
    [message] = directory.applied
    assert isinstance(message, InvolvementStarted)
    assert message.header.sender == ISLINGTON_ICS
    assert message.involvement.service.agency_type is AgencyType.SOCIAL_CARE
    # No social worker is allocated: ContactPoint shows the central team's number (seed §5.2).
    assert message.involvement.team == SOCIAL_CARE_DUTY_TEAM
    assert message.involvement.practitioner is None
    assert message.involvement.start_date == dt.date(2010, 5, 19)
    assert message.child.identifiers.local_id == case_id

    wire = to_xml(message).decode()
    for case_detail in (REASON, "overdose", NOTES, "attendance", "REF-1"):
        assert case_detail not in wire
    for case_element in ("<Referral", "<Reason>", "<PrimaryNeed>", "<Source>", "<Characteristics>", "<Notes>"):
        assert case_element not in wire
    assert list(run_rules(message)) == [], "no finding at all: in particular none of CP-001 or CP-002"
    assert validate_bytes(to_xml(message)).findings == []


def test_the_allocated_social_worker_is_the_contact_when_there_is_one(
    ics: IcsSystem, directory: Directory, link: InProcessTransport
) -> None:
    case_id = open_case(ics, allocated_worker=JOHN)
    ics.record_referral(case_id, referral())
    ics.deliver()
    [message] = directory.applied
    assert isinstance(message, InvolvementStarted)
    assert message.involvement.practitioner == JOHN
    assert message.involvement.team is None
    assert list(run_rules(message)) == []


def test_a_referral_needing_no_further_action_puts_nothing_on_the_directory(ics: IcsSystem) -> None:
    case_id = open_case(ics)
    ics.record_referral(case_id, referral().model_copy(update={"no_further_action": True}))
    assert ics.case_record(case_id).referrals[0].no_further_action
    assert ics.outbox.pending(ics.store) == []
    # Nor does closing it: no involvement was ever started.
    ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 5, 20), reason=CinClosureReason.RC8))
    assert ics.outbox.pending(ics.store) == []


def test_closing_the_case_ends_the_same_involvement(
    ics: IcsSystem, directory: Directory, link: InProcessTransport
) -> None:
    case_id = open_case(ics)
    ics.record_referral(case_id, referral())
    # A second referral on the open case: social care is already on the directory, nothing new to say.
    ics.record_referral(case_id, referral("REF-2", dt.date(2010, 5, 20)))
    ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 5, 20), reason=CinClosureReason.RC8))
    ics.deliver()
    started, ended = directory.applied
    assert isinstance(started, InvolvementStarted)
    assert isinstance(ended, InvolvementEnded)
    assert ended.involvement_id == started.involvement.involvement_id
    assert (ended.start_date, ended.end_date) == (dt.date(2010, 5, 19), dt.date(2010, 5, 20))
    assert list(run_rules(ended)) == []


def test_delivery_retries_while_contactpoint_is_down_then_applies_exactly_once(
    ics: IcsSystem, directory: Directory, link: InProcessTransport, clock: Clock
) -> None:
    ics.record_referral(open_case(ics), referral())
    link.down = True
    assert ics.deliver() == []
    [pending] = ics.outbox.pending(ics.store)
    assert pending["attempts"] == 1
    assert "not reachable" in pending["last_error"]
    assert directory.applied == []

    link.down = False
    assert ics.deliver() == [], "the next attempt waits for its backoff"
    clock.now += dt.timedelta(seconds=3)
    [ack] = ics.deliver()
    assert ack.status is AcknowledgementStatus.ACCEPTED
    assert ics.outbox.pending(ics.store) == []
    clock.now += dt.timedelta(hours=1)
    assert ics.deliver() == []
    assert len(directory.applied) == 1
    assert directory.inbox_size() == 1


def test_a_lost_acknowledgement_is_resent_and_the_message_still_applies_once(
    ics: IcsSystem, directory: Directory, clock: Clock
) -> None:
    lost = {"count": 0}

    def receive_then_lose_the_answer(body: bytes, content_type: str, *, client: Principal) -> tuple[bytes, str]:
        reply = directory.receiver.receive(body, content_type, client=client)
        if lost["count"] == 0:
            lost["count"] += 1
            raise TransportError("connection reset before the acknowledgement arrived")
        return reply

    ics.connect("contactpoint", InProcessTransport(receive_then_lose_the_answer, ISLINGTON_ICS))
    ics.record_referral(open_case(ics), referral())
    assert ics.deliver() == []
    clock.now += dt.timedelta(seconds=3)
    [ack] = ics.deliver()
    assert ack.status is AcknowledgementStatus.ACCEPTED
    assert len(directory.applied) == 1
    assert directory.inbox_size() == 1


def test_case_like_text_in_what_would_go_to_the_directory_refuses_the_referral(store_url: str, clock: Clock) -> None:
    team = SOCIAL_CARE_DUTY_TEAM.model_copy(update={"name": "Neglect and abuse team"})
    ics = IcsSystem(store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=team))
    try:
        case_id = open_case(ics)
        with pytest.raises(ChangeRefused) as refused:
            ics.record_referral(case_id, referral())
        assert refused.value.rule_id == "CP-002"
        assert refused.value.where == "involvement.team.name"
        assert ics.case_record(case_id).referrals == []
        assert ics.outbox.pending(ics.store) == []
    finally:
        ics.store.dispose()
