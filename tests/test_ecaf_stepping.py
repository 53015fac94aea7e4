"""Stepping up to social care and down again on National eCAF (F4, F5, F6; seed §4.2, §4.3).

The ICS's messages arrive as real XML or JSON bytes through National eCAF's receiver; what
National eCAF sends goes out of its outbox to a stand-in ICS over an in-process transport.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from ics_interop.adapters.ecaf import ChangeRefused, ConsentRefused
from ics_interop.adapters.messaging import new_header

from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, MELANIE, example_messages
from ics_interop.messages import (
    InitialAssessmentPrepopulation,
    MessageType,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
)
from ics_interop.model import CafEpisode, TacMember
from ics_interop.model.codes import CafClosureReason, CafResponsibility, CafStatus
from test_ecaf_story import (
    ISLINGTON_CSC,
    ISLINGTON_ICS,
    MANAGER,
    NATIONAL_ECAF,
    FakeClock,
    World,
    consent,
    form_the_tac,
    log_hannah,
    moment,
    snapshot,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(moment(2010, 2, 10))


@pytest.fixture
def world(store_url: str, clock: FakeClock) -> Iterator[World]:
    with World.opened(store_url, clock) as opened:
        yield opened


def _with_consent_for_social_care(world: World) -> None:
    log_hannah(world)
    form_the_tac(world)
    world.ecaf.record_consent(HANNAH_EPISODE_ID, consent("C-CSC", organisation_id=ISLINGTON_CSC), by=MELANIE)


def _response(
    referral_id: str, decision: StepUpDecision, member: TacMember | None = None
) -> SocialCareReferralResponse:
    """Islington's answer to a referral, as a fresh message."""
    example = example_messages()[MessageType.SOCIAL_CARE_REFERRAL_RESPONSE]
    assert isinstance(example, SocialCareReferralResponse)
    header = new_header(
        MessageType.SOCIAL_CARE_REFERRAL_RESPONSE, ISLINGTON_ICS, NATIONAL_ECAF, moment(2010, 5, 24, 11)
    )
    return example.model_copy(
        update={
            "header": header,
            "referral_id": referral_id,
            "decision": decision,
            "joining_member": member if member is not None else example.joining_member,
        }
    )


def _referred(world: World, clock: FakeClock) -> str:
    _with_consent_for_social_care(world)
    clock.on(2010, 5, 19)
    return world.ecaf.refer_to_social_care(HANNAH_EPISODE_ID, MELANIE, "A young carer's assessment.", ISLINGTON_ICS)


# --- stepping up (F4) --------------------------------------------------------------------------------


def test_a_referral_needs_consent_for_social_care_and_a_refusal_is_audited(world: World) -> None:
    log_hannah(world)
    form_the_tac(world)
    before = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox", "ecaf_referrals"))
    with pytest.raises(ConsentRefused) as refused:
        world.ecaf.refer_to_social_care(HANNAH_EPISODE_ID, MELANIE, "A young carer's assessment.", ISLINGTON_ICS)
    assert refused.value.rule_id == "CAF-002"
    assert refused.value.organisation_id == ISLINGTON_CSC
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox", "ecaf_referrals")) == before
    assert world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1].action == "disclosure-refused"


def test_a_referral_goes_to_the_ics_with_the_episode(world: World, clock: FakeClock) -> None:
    referral_id = _referred(world, clock)

    assert ("SocialCareReferral", f"ics:{ISLINGTON_CSC}") in world.pending_types()
    world.ecaf.deliver()
    [referral] = world.ics.of_type(SocialCareReferral)
    assert (referral.referral_id, referral.referred_by, referral.referral_date) == (
        referral_id,
        MELANIE,
        dt.date(2010, 5, 19),
    )
    assert world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1].action == "disclosed"
    assert world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1].organisation_id == ISLINGTON_CSC
    assert referral.episode == world.read()


def test_social_care_taking_responsibility_marks_the_episode(world: World, clock: FakeClock) -> None:
    referral_id = _referred(world, clock)
    clock.on(2010, 5, 24)
    response = _response(referral_id, StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE)

    ack = world.receive(response)
    assert ack.status.value == "accepted", ack.findings
    episode = world.read()
    assert episode.responsibility is CafResponsibility.SOCIAL_CARE
    assert episode.status is CafStatus.OPEN
    assert episode.tac_members[-1] == response.joining_member
    # A redelivery changes nothing and gets the same answer.
    before = snapshot(world.ecaf)
    assert world.receive(response) == ack
    assert snapshot(world.ecaf) == before


def test_a_transfer_to_alternative_holistic_assessment_closes_the_episode(world: World, clock: FakeClock) -> None:
    referral_id = _referred(world, clock)
    clock.on(2010, 5, 24)
    ack = world.receive(_response(referral_id, StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT), form="json")
    assert ack.status.value == "accepted", ack.findings
    episode = world.read()
    assert (episode.status, episode.closure_reason, episode.closed_on) == (
        CafStatus.CLOSED,
        CafClosureReason.ALTERNATIVE_HOLISTIC_ASSESSMENT,
        dt.date(2010, 5, 24),
    )
    # No other CAF is open for Hannah: ContactPoint is told none exists, by the social worker who closed it.
    last = world.pending()[-1]
    assert (last["message_type"], last["body"]["cafExists"]) == ("CafIndicatorUpdate", False)
    assert last["body"]["completedBy"]["practitionerId"] == JOHN.practitioner_id


def test_a_representative_stands_in_until_the_social_worker_is_allocated(world: World, clock: FakeClock) -> None:
    referral_id = _referred(world, clock)
    duty = JOHN.model_copy(update={"practitioner_id": "LA206-DUTY-01", "role": "Duty social worker"})
    representative = TacMember(practitioner=duty, joined_on=dt.date(2010, 5, 20), social_care_representative=True)
    clock.on(2010, 5, 20)
    assert world.receive(_response(referral_id, StepUpDecision.PENDING, representative)).status.value == "accepted"
    episode = world.read()
    assert episode.responsibility is CafResponsibility.CAF_LEAD  # pending: only the member joins
    assert episode.tac_members[-1] == representative

    clock.on(2010, 5, 24)
    john = TacMember(practitioner=JOHN, joined_on=dt.date(2010, 5, 24))
    assert world.receive(_response(referral_id, StepUpDecision.PENDING, john)).status.value == "accepted"
    members = {m.practitioner.practitioner_id: m for m in world.read().tac_members}
    assert members["LA206-DUTY-01"].left_on == dt.date(2010, 5, 24)
    assert members[JOHN.practitioner_id].left_on is None


def test_a_response_to_an_unknown_referral_is_rejected_with_its_rule(world: World, clock: FakeClock) -> None:
    _referred(world, clock)
    before = snapshot(world.ecaf)
    ack = world.receive(_response("NECAF-REF-NOT-SENT", StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE))
    assert ack.status.value == "rejected"
    assert [f.rule_id for f in ack.findings] == ["NECAF-004"]
    assert snapshot(world.ecaf) == before


def test_a_closed_episode_cannot_be_referred(world: World) -> None:
    _with_consent_for_social_care(world)
    world.ecaf.close_episode(HANNAH_EPISODE_ID, "needs-met", by=MELANIE)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.refer_to_social_care(HANNAH_EPISODE_ID, MELANIE, "Too late.", ISLINGTON_ICS)
    assert refused.value.rule_id == "NECAF-003"


# --- the CAF as a draft initial assessment (F5) ---------------------------------------------------


def test_the_assessment_is_offered_only_with_consent_for_the_requester_or_their_organisation(world: World) -> None:
    log_hannah(world)
    with pytest.raises(ConsentRefused) as refused:
        world.ecaf.offer_to_initial_assessment(HANNAH_EPISODE_ID, JOHN, ISLINGTON_ICS)
    assert refused.value.practitioner_id == JOHN.practitioner_id
    assert not world.ics.received
    assert world.pending_types() == [("CafIndicatorUpdate", "contactpoint")]

    world.ecaf.record_consent(HANNAH_EPISODE_ID, consent("C-JOHN", practitioner=JOHN), by=MELANIE)
    message_id = world.ecaf.offer_to_initial_assessment(HANNAH_EPISODE_ID, JOHN, ISLINGTON_ICS)
    world.ecaf.deliver()
    [offer] = world.ics.of_type(InitialAssessmentPrepopulation)
    assert offer.header.message_id == message_id
    assert (offer.requested_by, offer.episode_id) == (JOHN, HANNAH_EPISODE_ID)
    assert [c.consent_id for c in offer.consents] == ["C-JOHN"]
    disclosed = world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1]
    assert (disclosed.action, disclosed.practitioner_id) == ("disclosed", JOHN.practitioner_id)


# --- stepping down (F6) ------------------------------------------------------------------------------


def _step_down(request: StepDownRequest) -> StepDown:
    example = example_messages()[MessageType.STEP_DOWN]
    assert isinstance(example, StepDown)
    header = new_header(MessageType.STEP_DOWN, ISLINGTON_ICS, NATIONAL_ECAF, moment(2010, 10, 1, 14))
    return example.model_copy(update={"header": header, "request": request})


def test_stepping_down_reopens_a_closed_episode_and_records_the_outstanding_needs(
    world: World, clock: FakeClock
) -> None:
    referral_id = _referred(world, clock)
    clock.on(2010, 5, 24)
    world.receive(_response(referral_id, StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT))
    clock.on(2010, 10, 1, 15)
    message = _step_down(StepDownRequest.REOPEN)

    ack = world.receive(message)

    assert ack.status.value == "accepted", ack.findings
    episode: CafEpisode = world.read()
    assert (episode.status, episode.closure_reason, episode.closed_on, episode.responsibility) == (
        CafStatus.OPEN,
        None,
        None,
        CafResponsibility.CAF_LEAD,
    )
    note = episode.reviews[-1]
    assert note.review_date == dt.date(2010, 10, 1)
    assert "re-opened" in note.summary
    assert "John Carter" in note.summary
    assert all(need in note.summary for need in message.outstanding_needs)
    # The CAF exists again: ContactPoint is told, with the lead professional still Melanie.
    last = world.pending()[-1]
    assert (last["message_type"], last["body"]["cafExists"]) == ("CafIndicatorUpdate", True)
    assert last["body"]["leadProfessional"]["practitionerId"] == MELANIE.practitioner_id


def test_stepping_down_can_start_a_reassessment_of_an_open_episode(world: World, clock: FakeClock) -> None:
    referral_id = _referred(world, clock)
    world.receive(_response(referral_id, StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE))
    clock.on(2010, 10, 1, 15)
    pending_before = len(world.pending())

    assert world.receive(_step_down(StepDownRequest.REASSESS), form="json").status.value == "accepted"

    episode = world.read()
    assert (episode.status, episode.responsibility) == (CafStatus.OPEN, CafResponsibility.CAF_LEAD)
    assert "re-assessment" in episode.reviews[-1].summary
    assert len(world.pending()) == pending_before  # nothing changed that ContactPoint shows


def test_a_step_down_for_an_episode_not_held_or_another_child_is_rejected(world: World) -> None:
    ack = world.receive(_step_down(StepDownRequest.REOPEN))
    assert ack.status.value == "rejected"
    assert ack.findings[0].rule_id == "NECAF-001"

    log_hannah(world)
    other_child = _step_down(StepDownRequest.REOPEN)
    chloe = example_messages()[MessageType.EPISODE_TRANSFER].episode.child  # type: ignore[attr-defined]
    ack = world.receive(other_child.model_copy(update={"child": chloe}))
    assert [f.rule_id for f in ack.findings] == ["NECAF-010"]
