"""F9: a child's case record moves from one authority's ICS system to another's, and arrives once.

Islington's system runs on each back end in turn (`store_url`); Hackney's on its own SQLite
file. They share nothing but the message, carried by an in-process transport.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from ics_interop.adapters.ics import ChangeRefused, IcsSettings, IcsSystem
from ics_interop.adapters.transport import InProcessTransport

from callers import sender
from ics_interop import from_xml, to_xml
from ics_interop.examples import HANNAH, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import Acknowledgement, AcknowledgementStatus, CaseRecordTransfer, MessageType, SystemRef
from ics_interop.model import IcsClosure, IcsReferral
from ics_interop.model.codes import CinClosureReason, ReferralSource, SystemKind

EXAMPLES = example_messages()
TRANSFER = EXAMPLES[MessageType.CASE_RECORD_TRANSFER]
assert isinstance(TRANSFER, CaseRecordTransfer)
ISLINGTON_ICS = TRANSFER.header.sender
HACKNEY_ICS = TRANSFER.header.recipient


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2010, 11, 15, 13, 10, tzinfo=dt.UTC))


@pytest.fixture
def islington(store_url: str, clock: Clock) -> Iterator[IcsSystem]:
    system = IcsSystem(
        store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    yield system
    system.store.dispose()


@pytest.fixture
def hackney(tmp_path: Path, clock: Clock) -> Iterator[IcsSystem]:
    system = IcsSystem(f"sqlite:///{tmp_path / 'hackney.db'}", identity=HACKNEY_ICS, clock=clock)
    yield system
    system.store.dispose()


def receive(system: IcsSystem, message: CaseRecordTransfer) -> Acknowledgement:
    reply, _ = system.receiver.receive(to_xml(message), "application/xml", client=sender(message))
    ack = from_xml(reply)
    assert isinstance(ack, Acknowledgement)
    return ack


def test_a_case_record_moves_to_the_other_authoritys_system(islington: IcsSystem, hackney: IcsSystem) -> None:
    case_id = islington.open_case(HANNAH, allocated_worker=JOHN, opened_on=dt.date(2010, 5, 19)).case_id
    referral = IcsReferral(
        referral_id="LA206-REF-1",
        referral_date=dt.date(2010, 5, 19),
        source=ReferralSource.SCHOOLS,
        reason="Young carer for her mother.",
    )
    islington.record_referral(case_id, referral)
    islington.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC7))
    sent = islington.transfer_case(case_id, HACKNEY_ICS, "204", "The family moved to Hackney.")
    assert [row["destination"] for row in islington.outbox.pending(islington.store)][-1] == "ics:LA204-CSC"
    assert (sent.from_la, sent.to_la) == ("206", "204")

    islington.connect("ics:LA204-CSC", InProcessTransport(hackney.receiver.receive, islington.identity))
    # ContactPoint is not connected here: its messages (F2, F1) wait in the outbox, the transfer does not.
    [ack] = islington.deliver()
    assert ack.acknowledged_message_id == sent.header.message_id
    assert ack.status is AcknowledgementStatus.ACCEPTED

    [arrived] = hackney.cases()
    assert arrived.received_from == "LA206-CSC"
    assert arrived.state == "closed"
    record = hackney.case_record(arrived.case_id)
    assert record.case_id != case_id
    assert record.child.identifiers.local_id == arrived.case_id, "Hackney knows Hannah by its own case ID"
    assert record.child.identifiers.nhs_number == HANNAH.identifiers.nhs_number
    assert record.referrals == [referral]
    assert record.closure == sent.case_record.closure
    assert record.allocated_worker is None, "Hackney allocates its own social worker"
    assert record.chronology[: len(sent.case_record.chronology)] == sent.case_record.chronology
    assert record.chronology[-1].event.startswith("Case record received from London Borough of Islington")
    assert islington.chronology(case_id)[-1].event.startswith("Case record transferred to")


def test_receiving_the_same_case_twice_creates_it_once(hackney: IcsSystem) -> None:
    first = receive(hackney, TRANSFER)
    assert first.status is AcknowledgementStatus.ACCEPTED, first.findings
    assert receive(hackney, TRANSFER) == first, "a redelivery is acknowledged as before"
    # The sender exports the same case again, as a new message: still one case.
    resent = TRANSFER.model_copy(
        update={"header": TRANSFER.header.model_copy(update={"message_id": str(uuid.uuid4())})}
    )
    assert receive(hackney, resent).status is AcknowledgementStatus.ACCEPTED
    [case] = hackney.cases()
    record = hackney.case_record(case.case_id)
    assert record.initial_assessments == TRANSFER.case_record.initial_assessments
    assert record.plans == TRANSFER.case_record.plans
    assert len(record.chronology) == len(TRANSFER.case_record.chronology) + 1


def test_a_case_record_for_another_authority_is_rejected(islington: IcsSystem) -> None:
    ack = receive(islington, TRANSFER)
    assert ack.status is AcknowledgementStatus.REJECTED
    assert [f.rule_id for f in ack.findings] == ["ICS-018"]
    assert islington.cases() == []


def test_a_record_with_an_id_used_twice_is_rejected_whole(hackney: IcsSystem) -> None:
    case = TRANSFER.case_record
    broken = TRANSFER.model_copy(
        update={
            "header": TRANSFER.header.model_copy(update={"message_id": str(uuid.uuid4())}),
            "case_record": case.model_copy(update={"referrals": [*case.referrals, case.referrals[0]]}),
        }
    )
    ack = receive(hackney, broken)
    assert [(f.rule_id, f.path) for f in ack.findings] == [("ICS-003", "caseRecord.referrals[2]")]
    assert hackney.cases() == []


def test_a_case_goes_only_to_another_authoritys_ics(islington: IcsSystem) -> None:
    case_id = islington.open_case(HANNAH).case_id
    for to, where in (
        (ISLINGTON_ICS, "to.organisationId"),
        (SystemRef(system=SystemKind.NATIONAL_ECAF, organisation_id="DCSF"), "to.system"),
    ):
        with pytest.raises(ChangeRefused) as refused:
            islington.transfer_case(case_id, to, "204", "Moved.")
        assert (refused.value.rule_id, refused.value.where) == ("ICS-013", where)
    with pytest.raises(ChangeRefused, match="XFER-001"):
        islington.transfer_case(case_id, HACKNEY_ICS, "206", "Moved within the borough.")
    assert islington.outbox.pending(islington.store) == []
