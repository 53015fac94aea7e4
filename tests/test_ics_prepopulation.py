"""F5: a CAF offered as an initial assessment becomes a draft that counts for nothing until a practitioner confirms it.

The mapping from CAF elements to Assessment Framework dimensions is data
(`caf_mapping.CAF_TO_FRAMEWORK`); the first tests hold it to the CAF form. The rest run on
SQLite and PostgreSQL, with the CAF arriving as real bytes through the receiver.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from ics_interop.adapters.ics import (
    CAF_TO_FRAMEWORK,
    ChangeRefused,
    IcsSettings,
    IcsSystem,
    StateConflict,
    findings_from_caf,
)
from ics_interop.adapters.ics.caf_mapping import DOMAINS

from callers import sender
from ics_interop import Message, from_xml, to_xml
from ics_interop.codecs import from_json_data
from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    CaseRecordTransfer,
    InitialAssessmentPrepopulation,
    MessageType,
    SocialCareReferral,
    SystemRef,
)
from ics_interop.model import AssessmentDimension, DimensionFinding, ElementAssessment
from ics_interop.model.codes import SystemKind

EXAMPLES = example_messages()
REFERRAL = EXAMPLES[MessageType.SOCIAL_CARE_REFERRAL]
PREPOPULATION = EXAMPLES[MessageType.INITIAL_ASSESSMENT_PREPOPULATION]
assert isinstance(REFERRAL, SocialCareReferral)
assert isinstance(PREPOPULATION, InitialAssessmentPrepopulation)
ISLINGTON_ICS = REFERRAL.header.recipient
HACKNEY_ICS = SystemRef(system=SystemKind.ICS, organisation_id="LA204-CSC")
D = AssessmentDimension


# --- the mapping ---------------------------------------------------------------------------------


def test_every_element_of_the_caf_form_feeds_the_assessment_framework() -> None:
    mapped = {(m.domain, m.element) for m in CAF_TO_FRAMEWORK}
    on_the_form = {(domain, element) for domain, model in DOMAINS.items() for element in model.model_fields}
    assert mapped == on_the_form
    assert len(mapped) == len(CAF_TO_FRAMEWORK), "each element is mapped once, to all its dimensions"
    assert {d for m in CAF_TO_FRAMEWORK for d in m.dimensions} == set(AssessmentDimension)


def test_findings_keep_strengths_and_needs_under_every_dimension_an_element_feeds() -> None:
    findings = {f.dimension: f.finding for f in findings_from_caf(PREPOPULATION.assessment)}
    assert findings[D.HEALTH] == (
        "General health (CAF): Strengths: Generally well. Needs: Often tired: she does the housework and looks "
        "after her brothers and sisters late into the evening."
    )
    # One CAF element (housing, employment and finance) feeds three dimensions.
    housing = findings[D.HOUSING]
    assert housing.startswith("Housing, employment and financial considerations (CAF): Needs: Rent arrears")
    assert findings[D.EMPLOYMENT] == housing == findings[D.INCOME]
    # Two CAF elements (emotional and social; behavioural) feed one dimension: one paragraph each, in form order.
    emotional, behavioural = findings[D.EMOTIONAL_BEHAVIOURAL].split("\n")
    assert emotional.startswith("Emotional and social development (CAF): Needs: Anxious")
    assert behavioural.startswith("Behavioural development (CAF): Needs: Teachers")
    # The CAF said nothing of identity: the practitioner adds that finding.
    assert D.IDENTITY not in findings
    assert D.SOCIAL_PRESENTATION not in findings
    assert list(findings) == [d for d in AssessmentDimension if d in findings], "the Framework's order"


def test_a_finding_longer_than_the_standard_allows_is_cut_and_says_so() -> None:
    long = ElementAssessment(strengths="s" * 3000, needs="n" * 3000)
    development = PREPOPULATION.assessment.development.model_copy(update={"general_health": long})
    assessment = PREPOPULATION.assessment.model_copy(update={"development": development})
    health = next(f for f in findings_from_caf(assessment) if f.dimension is D.HEALTH)
    assert len(health.finding) == 4000
    assert health.finding.endswith("see the CAF for the rest]")
    DimensionFinding.model_validate(health.model_dump())


# --- the draft on a case -------------------------------------------------------------------------


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2010, 5, 25, 9, 5, tzinfo=dt.UTC))


@pytest.fixture
def ics(store_url: str, clock: Clock) -> Iterator[IcsSystem]:
    system = IcsSystem(
        store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    yield system
    system.store.dispose()


def receive(ics: IcsSystem, message: Message) -> AcknowledgementStatus:
    reply, _ = ics.receiver.receive(to_xml(message), "application/xml", client=sender(message))
    ack = from_xml(reply)
    assert isinstance(ack, Acknowledgement)
    return ack.status


def test_a_caf_becomes_a_draft_that_counts_only_once_a_practitioner_confirms_it(ics: IcsSystem, clock: Clock) -> None:
    assert receive(ics, REFERRAL) is AcknowledgementStatus.ACCEPTED
    assert receive(ics, PREPOPULATION) is AcknowledgementStatus.ACCEPTED
    [case] = ics.cases()
    [draft] = ics.drafts(case.case_id)
    assert not draft.confirmed
    assert draft.episode_id == HANNAH_EPISODE_ID
    assert draft.requested_by == JOHN
    assert draft.assessment.caf_episode_id == HANNAH_EPISODE_ID
    assert draft.assessment.findings == findings_from_caf(PREPOPULATION.assessment)
    assert draft.caf_assessment == PREPOPULATION.assessment, "the CAF is kept to read beside the draft"

    # A draft is in no case record: not the case's, not the census's, not a transfer's.
    assert ics.case_record(case.case_id).initial_assessments == []
    assert [c.initial_assessments for c in ics.case_records()] == [[]]
    assert all("assessment" not in e.event.lower() for e in ics.chronology(case.case_id))
    ics.transfer_case(case.case_id, HACKNEY_ICS, "204", "The family moved to Hackney.")
    transfer = from_json_data(ics.outbox.pending(ics.store)[-1]["body"])
    assert isinstance(transfer, CaseRecordTransfer)
    assert transfer.case_record.initial_assessments == []

    # The practitioner edits: the findings given replace the draft's.
    mine = [DimensionFinding(dimension=D.HEALTH, finding="Tired from caring late into the evening.")]
    edited = ics.edit_draft(case.case_id, draft.assessment.assessment_id, findings=mine, summary="A young carer.")
    assert edited.assessment.findings == mine
    assert not edited.confirmed
    assert ics.case_record(case.case_id).initial_assessments == []

    clock.now = dt.datetime(2010, 6, 7, 16, 0, tzinfo=dt.UTC)
    confirmed = ics.confirm_draft(case.case_id, draft.assessment.assessment_id, confirmed_by=JOHN)
    assert confirmed.confirmed
    assert confirmed.confirmed_by == JOHN
    assert confirmed.confirmed_at == clock.now
    [assessment] = ics.case_record(case.case_id).initial_assessments
    assert assessment.findings == mine
    assert assessment.summary == "A young carer."
    assert ics.drafts(case.case_id) == []
    assert ics.draft(case.case_id, assessment.assessment_id) == confirmed
    entry = next(e for e in ics.chronology(case.case_id) if e.event == "Initial assessment started")
    assert entry.detail is not None
    assert "confirmed by John Carter on 2010-06-07" in entry.detail

    with pytest.raises(StateConflict, match="ICS-009"):
        ics.confirm_draft(case.case_id, assessment.assessment_id, confirmed_by=JOHN)
    with pytest.raises(StateConflict, match="ICS-009"):
        ics.edit_draft(case.case_id, assessment.assessment_id, summary="Changed after the event.")
    assert ics.case_record(case.case_id).initial_assessments == [assessment]


def test_an_edit_that_breaks_a_rule_leaves_the_draft_as_it_was(ics: IcsSystem) -> None:
    receive(ics, REFERRAL)
    receive(ics, PREPOPULATION)
    [case] = ics.cases()
    [draft] = ics.drafts(case.case_id)
    with pytest.raises(ChangeRefused) as refused:
        ics.edit_draft(case.case_id, draft.assessment.assessment_id, findings=[], completed_on=dt.date(2010, 5, 20))
    assert (refused.value.rule_id, refused.value.where) == ("DATE-001", "completedOn")
    assert ics.drafts(case.case_id) == [draft]


def test_caf_content_for_a_child_with_no_open_case_is_rejected(ics: IcsSystem) -> None:
    reply, _ = ics.receiver.receive(to_xml(PREPOPULATION), "application/xml", client=sender(PREPOPULATION))
    assert b"<Status>rejected</Status>" in reply
    assert b"ICS-017" in reply
    assert ics.cases() == []
