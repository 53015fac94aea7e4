"""F4 and F6: a referral from a CAF steps a child up into social care; stepping down hands needs back.

Messages arrive as real bytes through `receiver.receive`; answers leave through the outbox.
Each test runs on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from ics_interop.adapters.ics import ChangeRefused, IcsSettings, IcsSystem, StateConflict
from sqlalchemy import func, select

from callers import sender
from ics_interop import from_json, from_xml, run_rules, to_json, to_xml
from ics_interop.codecs import from_json_data
from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    MessageType,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
)
from ics_interop.model import ConsentRecord, IcsClosure
from ics_interop.model.codes import CinClosureReason, ConsentDecision, ConsentGiver, ReferralSource

REFERRAL = example_messages()[MessageType.SOCIAL_CARE_REFERRAL]
assert isinstance(REFERRAL, SocialCareReferral)
ISLINGTON_ICS = REFERRAL.header.recipient


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2010, 5, 24, 11, 0, tzinfo=dt.UTC))


def system(store_url: str, clock: Clock, settings: IcsSettings | None = None) -> IcsSystem:
    settings = settings or IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    return IcsSystem(store_url, identity=ISLINGTON_ICS, clock=clock, settings=settings)


@pytest.fixture
def ics(store_url: str, clock: Clock) -> Iterator[IcsSystem]:
    made = system(store_url, clock)
    yield made
    made.store.dispose()


def receive(ics: IcsSystem, body: bytes, content_type: str = "application/xml") -> Acknowledgement:
    reply, reply_type = ics.receiver.receive(body, content_type, client=sender(body))
    ack = from_xml(reply) if "xml" in reply_type else from_json(reply)
    assert isinstance(ack, Acknowledgement)
    return ack


def outbox(ics: IcsSystem) -> list[tuple[str, object]]:
    return [(row["destination"], from_json_data(row["body"])) for row in ics.outbox.pending(ics.store)]


def test_a_referral_from_a_caf_is_recorded_on_the_childs_case_and_goes_on_contactpoint(ics: IcsSystem) -> None:
    ack = receive(ics, to_xml(REFERRAL))
    assert ack.status is AcknowledgementStatus.ACCEPTED, ack.findings
    [case] = list(ics.case_records())
    [referral] = case.referrals
    assert referral.caf_episode_id == HANNAH_EPISODE_ID
    assert referral.referral_date == REFERRAL.referral_date
    assert referral.reason == REFERRAL.reason
    # Melanie, who referred, works for a school: the CIN source follows the referrer's agency.
    assert referral.source is ReferralSource.SCHOOLS
    assert case.child.identifiers.nhs_number == REFERRAL.episode.child.identifiers.nhs_number
    assert case.chronology[-1].event == f"Referral from CAF episode {HANNAH_EPISODE_ID} (stepping up)"
    [(destination, started)] = outbox(ics)
    assert destination == "contactpoint"
    assert started.message_type is MessageType.INVOLVEMENT_STARTED  # type: ignore[attr-defined]
    [waiting] = ics.caf_referrals()
    assert ics.caf_referral_episode(waiting.ics_referral_id) == REFERRAL.episode, "kept for the practitioner to read"
    assert (waiting.ics_referral_id, waiting.state, waiting.episode_id) == (
        referral.referral_id,
        "awaiting",
        HANNAH_EPISODE_ID,
    )


def test_the_authority_may_count_every_caf_referral_as_early_help(store_url: str, clock: Clock) -> None:
    settings = IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM, caf_referral_source=ReferralSource.LA_EARLY_HELP)
    ics = system(store_url, clock, settings)
    try:
        assert receive(ics, to_json(REFERRAL), "application/json").status is AcknowledgementStatus.ACCEPTED
        [case] = list(ics.case_records())
        assert case.referrals[0].source is ReferralSource.LA_EARLY_HELP
    finally:
        ics.store.dispose()


def test_the_same_referral_received_again_changes_nothing(ics: IcsSystem) -> None:
    first = receive(ics, to_xml(REFERRAL))
    assert receive(ics, to_xml(REFERRAL)) == first, "a redelivery gets the same acknowledgement"
    # The eCAF sends the same referral again under a new message ID: still one referral, one F2.
    again = REFERRAL.model_copy(update={"header": REFERRAL.header.model_copy(update={"message_id": str(uuid.uuid4())})})
    assert receive(ics, to_xml(again)).status is AcknowledgementStatus.ACCEPTED
    [case] = list(ics.case_records())
    assert len(case.referrals) == 1
    assert len(ics.caf_referrals()) == 1
    assert len(outbox(ics)) == 1


def test_a_referral_for_another_authority_is_rejected_and_nothing_is_stored(ics: IcsSystem) -> None:
    recipient = REFERRAL.header.recipient.model_copy(update={"organisation_id": "LA204-CSC"})
    # Valid in itself (the child consented to Hackney seeing the CAF): only the address is wrong for this system.
    consent = ConsentRecord(
        consent_id="C-204",
        decision=ConsentDecision.GIVEN,
        given_by=ConsentGiver.CHILD,
        organisation_id="LA204-CSC",
        recorded_on=dt.date(2010, 5, 17),
    )
    episode = REFERRAL.episode.model_copy(update={"consents": [*REFERRAL.episode.consents, consent]})
    elsewhere = REFERRAL.model_copy(
        update={"header": REFERRAL.header.model_copy(update={"recipient": recipient}), "episode": episode}
    )
    ack = receive(ics, to_xml(elsewhere))
    assert ack.status is AcknowledgementStatus.REJECTED
    assert [f.rule_id for f in ack.findings] == ["ICS-018"]
    assert ics.cases() == []
    assert outbox(ics) == []
    with ics.store.reading() as connection:
        assert connection.scalar(select(func.count()).select_from(ics.tables.messaging.inbox)) == 0


def test_accepting_the_referral_answers_national_ecaf_and_allocates_the_social_worker(ics: IcsSystem) -> None:
    receive(ics, to_xml(REFERRAL))
    [waiting] = ics.caf_referrals()
    response = ics.respond_to_caf_referral(
        waiting.ics_referral_id, decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE, joining=JOHN
    )
    assert list(run_rules(response)) == []
    destination, sent = outbox(ics)[-1]
    assert destination == "national-ecaf"
    assert isinstance(sent, SocialCareReferralResponse)
    assert sent.header.correlation_id == REFERRAL.header.message_id
    assert (sent.episode_id, sent.referral_id, sent.ics_referral_id) == (
        HANNAH_EPISODE_ID,
        REFERRAL.referral_id,
        waiting.ics_referral_id,
    )
    assert sent.decision is StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE
    assert sent.joining_member is not None
    assert sent.joining_member.practitioner == JOHN
    assert sent.joining_member.joined_on == dt.date(2010, 5, 24)
    assert not sent.joining_member.social_care_representative
    assert ics.case_record(waiting.case_id).allocated_worker == JOHN
    assert ics.caf_referral(waiting.ics_referral_id).state == "decided"

    count = len(outbox(ics))
    with pytest.raises(StateConflict, match="ICS-011"):
        ics.respond_to_caf_referral(waiting.ics_referral_id, decision=StepUpDecision.NOT_ACCEPTED, joining=None)
    assert len(outbox(ics)) == count


def test_a_representative_joins_until_a_social_worker_is_allocated(ics: IcsSystem) -> None:
    receive(ics, to_xml(REFERRAL))
    [waiting] = ics.caf_referrals()
    ics.respond_to_caf_referral(
        waiting.ics_referral_id, decision=StepUpDecision.PENDING, joining=JOHN, representative=True
    )
    _, pending = outbox(ics)[-1]
    assert isinstance(pending, SocialCareReferralResponse)
    assert pending.joining_member is not None
    assert pending.joining_member.social_care_representative
    assert ics.case_record(waiting.case_id).allocated_worker is None, "a representative is not the allocated worker"
    assert ics.caf_referral(waiting.ics_referral_id).state == "pending"
    # 'pending' is not final: the decision follows.
    ics.respond_to_caf_referral(
        waiting.ics_referral_id, decision=StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT, joining=JOHN
    )
    assert ics.caf_referral(waiting.ics_referral_id).decision is StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT


def test_accepting_without_anyone_joining_the_tac_is_refused(ics: IcsSystem) -> None:
    receive(ics, to_xml(REFERRAL))
    [waiting] = ics.caf_referrals()
    with pytest.raises(ChangeRefused) as refused:
        ics.respond_to_caf_referral(
            waiting.ics_referral_id, decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE, joining=None
        )
    assert (refused.value.rule_id, refused.value.where) == ("STEP-001", "joiningMember")
    assert len(outbox(ics)) == 1
    assert ics.caf_referral(waiting.ics_referral_id).state == "awaiting"


def test_a_referral_not_accepted_is_marked_no_further_action(ics: IcsSystem) -> None:
    receive(ics, to_xml(REFERRAL))
    [waiting] = ics.caf_referrals()
    response = ics.respond_to_caf_referral(waiting.ics_referral_id, decision=StepUpDecision.NOT_ACCEPTED, joining=None)
    assert response.joining_member is None
    assert ics.case_record(waiting.case_id).referrals[0].no_further_action


def test_stepping_down_hands_the_outstanding_needs_back_to_the_caf(ics: IcsSystem, clock: Clock) -> None:
    receive(ics, to_xml(REFERRAL))
    [waiting] = ics.caf_referrals()
    needs = ["Keep to the repayment plan for the rent arrears.", "Young carers' group."]
    with pytest.raises(StateConflict, match="ICS-012"):
        ics.step_down(waiting.case_id, HANNAH_EPISODE_ID, JOHN, needs, StepDownRequest.REASSESS)

    clock.now = dt.datetime(2010, 10, 1, 14, 20, tzinfo=dt.UTC)
    ics.close_case(waiting.case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC7))
    step_down = ics.step_down(waiting.case_id, HANNAH_EPISODE_ID, JOHN, needs, StepDownRequest.REASSESS)
    destination, sent = outbox(ics)[-1]
    assert destination == "national-ecaf"
    assert isinstance(sent, StepDown)
    assert sent == step_down
    assert (sent.episode_id, sent.social_care_ended_on, sent.outstanding_needs) == (
        HANNAH_EPISODE_ID,
        dt.date(2010, 10, 1),
        needs,
    )
    assert sent.request is StepDownRequest.REASSESS
    assert sent.social_worker == JOHN
    assert list(run_rules(sent)) == []
    assert ics.chronology(waiting.case_id)[-1].event.startswith(f"Stepped down to CAF episode {HANNAH_EPISODE_ID}")

    with pytest.raises(ChangeRefused) as refused:
        ics.step_down(waiting.case_id, HANNAH_EPISODE_ID, JOHN, [], StepDownRequest.REOPEN)
    assert (refused.value.rule_id, refused.value.where) == ("ICS-022", "outstandingNeeds")
