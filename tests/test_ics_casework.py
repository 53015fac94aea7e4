"""ICS casework: a practitioner records a child's case from contact to closure, and every change is checked.

Each test runs on SQLite and on PostgreSQL (`store_url`). A refused change must leave every
table of the system exactly as it was; so must a failure in the middle of an operation.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from ics_interop.adapters.ics import ChangeRefused, IcsSettings, IcsSystem, RecordNotFound, StateConflict
from pydantic import ValidationError
from sqlalchemy import select

from ics_interop.examples import HANNAH, JOHN, SOCIAL_CARE_DUTY_TEAM, example_messages
from ics_interop.messages import MessageType
from ics_interop.model import (
    AssessmentDimension,
    ChildCharacteristics,
    ChildPlan,
    ChronologyEntry,
    CoreAssessment,
    DimensionFinding,
    IcsClosure,
    IcsContact,
    IcsReferral,
    IcsReview,
    InitialAssessment,
)
from ics_interop.model.codes import AbuseCategory, CinClosureReason, PlanType, PrimaryNeed, ReferralSource

ISLINGTON_ICS = example_messages()[MessageType.SOCIAL_CARE_REFERRAL].header.recipient


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2010, 10, 5, 9, 30, tzinfo=dt.UTC))


@pytest.fixture
def ics(store_url: str, clock: Clock) -> Iterator[IcsSystem]:
    system = IcsSystem(
        store_url, identity=ISLINGTON_ICS, clock=clock, settings=IcsSettings(central_team=SOCIAL_CARE_DUTY_TEAM)
    )
    yield system
    system.store.dispose()


def snapshot(system: IcsSystem) -> dict[str, list[str]]:
    """Every row of every table of the system, as comparable text."""
    with system.store.reading() as connection:
        return {
            table.name: sorted(
                json.dumps(dict(row._mapping), sort_keys=True, default=str) for row in connection.execute(select(table))
            )
            for table in system.tables.metadata.sorted_tables
        }


REFERRAL = IcsReferral(
    referral_id="REF-1",
    referral_date=dt.date(2010, 5, 19),
    source=ReferralSource.SCHOOLS,
    primary_need=PrimaryNeed.PARENTAL_DISABILITY_OR_ILLNESS,
    reason="Young carer for her mother and three younger siblings.",
)
PLAN = ChildPlan(
    plan_id="PLAN-1",
    plan_type=PlanType.CHILD_IN_NEED,
    start_date=dt.date(2010, 6, 10),
    summary="Help with housework four hours a week.",
)


def open_with_referral(ics: IcsSystem) -> str:
    case_id = ics.open_case(HANNAH, opened_on=dt.date(2010, 5, 19)).case_id
    ics.record_referral(case_id, REFERRAL)
    return case_id


def test_a_case_holds_every_kind_of_record_and_a_chronology_of_them(ics: IcsSystem) -> None:
    record = ics.open_case(
        HANNAH,
        characteristics=ChildCharacteristics(notes="Young carer."),
        opened_on=dt.date(2010, 5, 19),
    )
    case_id = record.case_id
    # The case ID is what the system knows the child by, in every message about them.
    assert record.child.identifiers.local_id == case_id
    assert record.child.identifiers.nhs_number == HANNAH.identifiers.nhs_number

    contact = IcsContact(
        contact_id="CON-1",
        contact_date=dt.date(2010, 5, 19),
        source=ReferralSource.SCHOOLS,
        summary="Call from school.",
    )
    initial = InitialAssessment(
        assessment_id="IA-1",
        started_on=dt.date(2010, 5, 25),
        completed_on=dt.date(2010, 6, 7),
        findings=[DimensionFinding(dimension=AssessmentDimension.HEALTH, finding="Tired from caring.")],
        summary="A child in need as a young carer.",
    )
    core = CoreAssessment(assessment_id="CA-1", started_on=dt.date(2010, 6, 8))
    review = IcsReview(review_id="REV-1", review_date=dt.date(2010, 8, 12), plan_id="PLAN-1", outcome="Help in place.")
    ics.record_contact(case_id, contact)
    ics.record_referral(case_id, REFERRAL)
    ics.record_initial_assessment(case_id, initial)
    ics.record_core_assessment(case_id, core)
    ics.record_plan(case_id, PLAN)
    ics.record_review(case_id, review)
    ended = ics.end_plan(case_id, "PLAN-1", dt.date(2010, 10, 1))
    ics.add_chronology_entry(
        case_id, ChronologyEntry(entry_date=dt.date(2010, 7, 1), event="Mother started treatment", detail="At home.")
    )
    ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC7))

    case = ics.case_record(case_id)
    assert case.contacts == [contact]
    assert case.referrals == [REFERRAL]
    assert case.initial_assessments == [initial]
    assert case.core_assessments == [core]
    assert case.plans == [ended]
    assert ended.end_date == dt.date(2010, 10, 1)
    assert case.reviews == [review]
    assert case.closure is not None
    assert case.closure.reason is CinClosureReason.RC7
    assert case.characteristics is not None
    assert case.characteristics.notes == "Young carer."

    events = [(e.entry_date.isoformat(), e.event) for e in ics.chronology(case_id)]
    assert events == [
        ("2010-05-19", "Case opened"),
        ("2010-05-19", "Contact (2A: SCHOOLS)"),
        ("2010-05-19", "Referral (2A: SCHOOLS; primary need N3)"),
        ("2010-05-25", "Initial assessment started"),
        ("2010-06-07", "Initial assessment completed"),
        ("2010-06-08", "Core assessment started"),
        ("2010-06-10", "Child in need plan started"),
        ("2010-07-01", "Mother started treatment"),
        ("2010-08-12", "Review of plan PLAN-1"),
        ("2010-10-01", "Child in need plan ended"),
        ("2010-10-01", f"Case closed (RC7: {CinClosureReason.RC7.label})"),
    ]
    assert case.chronology == ics.chronology(case_id)
    # The chronology is the child's: a practitioner may still add to it once the case is closed.
    ics.add_chronology_entry(case_id, ChronologyEntry(entry_date=dt.date(2010, 10, 2), event="Family moving"))
    assert ics.chronology(case_id)[-1].event == "Family moving"


def test_case_records_gives_every_case_in_the_order_opened(ics: IcsSystem, clock: Clock) -> None:
    first = open_with_referral(ics)
    clock.now += dt.timedelta(minutes=1)
    second = ics.open_case(HANNAH.model_copy(update={"name": HANNAH.name.model_copy(update={"given_names": "Jo"})}))
    assert [c.case_id for c in ics.case_records()] == [first, second.case_id]
    assert [c.case_id for c in ics.cases()] == [first, second.case_id]


#: (method, change, the rule it breaks, where): each of them a change the system must refuse.
BAD_CHANGES: list[tuple[str, Any, str, str]] = [
    (
        "record_initial_assessment",
        InitialAssessment(assessment_id="IA-9", started_on=dt.date(2010, 6, 7), completed_on=dt.date(2010, 6, 1)),
        "DATE-001",
        "completedOn",
    ),  # assessment completed before it started
    (
        "record_plan",
        PLAN.model_copy(update={"plan_id": "PLAN-9", "end_date": dt.date(2010, 6, 1)}),
        "DATE-001",
        "endDate",
    ),  # plan ends before it starts
    (
        "record_plan",
        PLAN.model_copy(update={"plan_id": "PLAN-9", "plan_type": PlanType.CHILD_PROTECTION}),
        "ICS-006",
        "abuseCategory",
    ),  # child protection plan without a category
    (
        "record_plan",
        PLAN.model_copy(update={"plan_id": "PLAN-9", "abuse_category": AbuseCategory.NEGLECT}),
        "ICS-006",
        "abuseCategory",
    ),  # child in need plan with a category
    (
        "record_review",
        IcsReview(review_id="REV-9", review_date=dt.date(2010, 8, 1), plan_id="NO-SUCH-PLAN", outcome="x"),
        "ICS-007",
        "planId",
    ),  # review of a plan the case does not have
    (
        "record_contact",
        IcsContact(contact_id="C-9", contact_date=dt.date(2010, 12, 1), source=ReferralSource.POLICE, summary="x"),
        "ICS-004",
        "contactDate",
    ),  # contact in the future
    (
        "record_referral",
        REFERRAL.model_copy(update={"referral_id": "REF-9", "referral_date": dt.date(1990, 1, 1)}),
        "ICS-005",
        "referralDate",
    ),  # referral before the child was born
    (
        "record_referral",
        REFERRAL.model_copy(update={"referral_date": dt.date(2010, 6, 1)}),
        "ICS-003",
        "referralId",
    ),  # a referral ID used twice
    (
        "close_case",
        IcsClosure(closure_date=dt.date(2010, 5, 1), reason=CinClosureReason.RC8),
        "DATE-001",
        "closureDate",
    ),  # closed before the referral
    (
        "close_case",
        IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC8),
        "ICS-008",
        "closureDate",
    ),  # closed with a plan still open
]


def test_a_refused_change_names_its_rule_and_stores_nothing(ics: IcsSystem) -> None:
    # One case for all the bad changes (a database per change would be slow); each must leave it as it was.
    case_id = open_with_referral(ics)
    ics.record_plan(case_id, PLAN)
    before = snapshot(ics)
    for method, change, rule_id, where in BAD_CHANGES:
        with pytest.raises(ChangeRefused) as refused:
            getattr(ics, method)(case_id, change)
        assert (refused.value.rule_id, refused.value.where) == (rule_id, where), change
        assert refused.value.hint, "every refusal says how to fix it"
        assert snapshot(ics) == before, change


def test_a_closure_needs_a_cin_closure_reason() -> None:
    with pytest.raises(ValidationError, match="reason"):
        IcsClosure.model_validate({"closureDate": "2010-10-01"})
    with pytest.raises(ValidationError, match="reason"):
        IcsClosure.model_validate({"closureDate": "2010-10-01", "reason": "closed"})


def test_a_closed_case_takes_no_new_records(ics: IcsSystem) -> None:
    case_id = open_with_referral(ics)
    ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC8))
    before = snapshot(ics)
    with pytest.raises(StateConflict) as refused:
        ics.record_review(case_id, IcsReview(review_id="R", review_date=dt.date(2010, 10, 2), outcome="x"))
    assert refused.value.rule_id == "ICS-002"
    assert refused.value.status == 409
    with pytest.raises(StateConflict, match="ICS-002"):
        ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 2), reason=CinClosureReason.RC8))
    with pytest.raises(StateConflict, match="ICS-002"):
        ics.allocate_worker(case_id, JOHN)
    assert snapshot(ics) == before


def test_assessments_and_plans_follow_a_referral(ics: IcsSystem) -> None:
    case_id = ics.open_case(HANNAH, opened_on=dt.date(2010, 5, 19)).case_id
    with pytest.raises(StateConflict, match="ICS-010"):
        ics.record_initial_assessment(case_id, InitialAssessment(assessment_id="IA", started_on=dt.date(2010, 5, 25)))
    with pytest.raises(StateConflict, match="ICS-010"):
        ics.record_plan(case_id, PLAN)
    assert ics.case_record(case_id).initial_assessments == []


def test_an_unknown_case_is_reported_as_not_found(ics: IcsSystem) -> None:
    with pytest.raises(RecordNotFound) as missing:
        ics.case_record("NO-SUCH-CASE")
    assert isinstance(missing.value, LookupError)
    assert (missing.value.rule_id, missing.value.where, missing.value.status) == ("ICS-001", "caseId", 404)
    with pytest.raises(RecordNotFound):
        ics.record_contact(
            "NO-SUCH-CASE", IcsContact(contact_id="C", contact_date=dt.date(2010, 1, 1), source="9", summary="x")
        )
    with pytest.raises(RecordNotFound, match="ICS-007"):
        ics.end_plan(open_with_referral(ics), "NO-SUCH-PLAN", dt.date(2010, 7, 1))


def test_a_failure_in_the_middle_of_an_operation_leaves_the_store_as_it_was(
    ics: IcsSystem, monkeypatch: pytest.MonkeyPatch
) -> None:
    case_id = ics.open_case(HANNAH, opened_on=dt.date(2010, 5, 19)).case_id
    before = snapshot(ics)

    def disk_full(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("disk full")

    # The referral and its chronology entry are written before the F2 message: the outbox fails last.
    monkeypatch.setattr(ics.outbox, "enqueue", disk_full)
    with pytest.raises(RuntimeError, match="disk full"):
        ics.record_referral(case_id, REFERRAL)
    assert snapshot(ics) == before
    assert ics.case_record(case_id).referrals == []

    monkeypatch.undo()
    ics.record_referral(case_id, REFERRAL)
    before = snapshot(ics)
    # Closing writes the closure, then the chronology, then ends the involvement (F1): fail at the end.
    monkeypatch.setattr(ics.outbox, "enqueue", disk_full)
    with pytest.raises(RuntimeError):
        ics.close_case(case_id, IcsClosure(closure_date=dt.date(2010, 10, 1), reason=CinClosureReason.RC8))
    assert snapshot(ics) == before
    assert ics.case_record(case_id).closure is None
