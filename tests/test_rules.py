"""Business rules: each rule catches what it names, and only that, on Hannah's story."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from ics_interop import MessageType, Severity, catalogue, run_rules
from ics_interop.examples import example_messages
from ics_interop.messages import (
    Acknowledgement,
    AcknowledgementStatus,
    CaseRecordTransfer,
    ChildIdentityUpdate,
    EpisodeTransfer,
    InvolvementEnded,
    InvolvementStarted,
    Message,
    MigrationBatch,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepUpDecision,
)
from ics_interop.model import CafEpisode, ConsentRecord
from ics_interop.model.codes import CafClosureReason, CafStatus, ConsentDecision, SensitiveService, SystemKind
from ics_interop.rules import registered_checks

M = TypeVar("M", bound=Message)


def example(kind: type[M]) -> M:
    message = example_messages()[kind.message_type]
    assert isinstance(message, kind)
    return message.model_copy(deep=True)


def ids(message: Message) -> set[str]:
    return {f.rule_id for f in run_rules(message)}


def with_episode(message: M, **changes: Any) -> M:
    episode: CafEpisode = message.episode  # type: ignore[attr-defined]
    return message.model_copy(update={"episode": episode.model_copy(update=changes)})


def test_every_validator_rule_has_one_check_and_every_check_a_rule() -> None:
    validator_rules = {k for k, r in catalogue().items() if r.checked_by == "validator"}
    assert validator_rules == set(registered_checks())
    receiver_rules = {k for k, r in catalogue().items() if r.checked_by == "receiver"}
    assert receiver_rules == {
        "ENV-003",
        "INPUT-001",
        "SEC-001",
        "SEC-002",
        "CP-MATCH-HELD",
        "CP-INV-UNKNOWN",
        "CP-INV-OWNER",
        "CP-ARCHIVED",
    }


def test_catalogue_entries_are_complete() -> None:
    for rule in catalogue().values():
        assert rule.text, rule.id
        assert rule.hint, rule.id
        assert rule.source, rule.id
        assert "SHALL" in rule.text or "SHOULD" in rule.text, rule.id
        for name in rule.applies_to:
            assert name == "*" or name in {t.value for t in MessageType}, (rule.id, name)


@pytest.mark.parametrize("message_type", list(MessageType))
def test_the_examples_break_no_rule(message_type: MessageType) -> None:
    assert list(run_rules(example_messages()[message_type])) == []


def _recipient(message: M, system: SystemKind) -> M:
    header = message.header.model_copy(
        update={"recipient": message.header.recipient.model_copy(update={"system": system})}
    )
    return message.model_copy(update={"header": header})


Break = Callable[[], Message]

BREAKS: dict[str, tuple[Break, set[str]]] = {
    "ENV-001": (lambda: _recipient(example(ChildIdentityUpdate), SystemKind.ICS), {"ENV-001"}),
    "ENV-002": (
        lambda: (m := example(Acknowledgement)).model_copy(
            update={"header": m.header.model_copy(update={"correlation_id": "00000000-0000-4000-8000-000000000000"})}
        ),
        {"ENV-002"},
    ),
    "ACK-001": (
        lambda: example(Acknowledgement).model_copy(update={"status": AcknowledgementStatus.REJECTED, "findings": []}),
        {"ACK-001"},
    ),
    "CP-001": (lambda: _recipient(example(StepDown), SystemKind.CONTACTPOINT), {"CP-001", "ENV-001"}),
    "CP-002": (
        lambda: (m := example(InvolvementStarted)).model_copy(
            update={
                "involvement": m.involvement.model_copy(
                    update={"service": m.involvement.service.model_copy(update={"name": "Neglect investigation"})}
                )
            }
        ),
        {"CP-002"},
    ),
    "CHILD-002": (
        lambda: (m := example(ChildIdentityUpdate)).model_copy(
            update={"child": m.child.model_copy(update={"date_of_birth": m.effective_date + dt.timedelta(days=1)})}
        ),
        {"CHILD-002"},
    ),
    "DATE-001": (
        lambda: (m := example(InvolvementEnded)).model_copy(update={"end_date": m.start_date - dt.timedelta(days=1)}),
        {"DATE-001"},
    ),
    "INV-001": (
        lambda: (m := example(InvolvementStarted)).model_copy(
            update={
                "involvement": m.involvement.model_copy(
                    update={
                        "sensitive_basis": None,
                        "service": m.involvement.service.model_copy(
                            update={"sensitive": SensitiveService.MENTAL_HEALTH}
                        ),
                    }
                )
            }
        ),
        {"INV-001"},
    ),
    "CAF-001": (
        lambda: with_episode(
            m := example(SocialCareReferral),
            lead_professional=m.episode.lead_professional.model_copy(update={"practitioner_id": "NOT-IN-TAC"})  # type: ignore[union-attr]
            if m.episode.lead_professional
            else None,
        ),
        {"CAF-001"},
    ),
    "CAF-002": (
        lambda: with_episode(m := example(SocialCareReferral), shared_with=[*m.episode.shared_with, "STRANGER-1"]),
        {"CAF-002"},
    ),
    "CAF-003": (
        lambda: with_episode(example(SocialCareReferral), status=CafStatus.CLOSED, closure_reason=None, closed_on=None),
        {"CAF-003"},
    ),
    "CAF-004": (
        lambda: with_episode(
            example(SocialCareReferral),
            status=CafStatus.CLOSED,
            closure_reason=CafClosureReason.NEEDS_MET,
            closed_on=None,
        ),
        {"CAF-004"},
    ),
    "CAF-005": (
        lambda: with_episode(
            m := example(SocialCareReferral),
            actions=[m.episode.actions[0].model_copy(update={"owner_id": "NOT-IN-TAC"}), *m.episode.actions[1:]],
        ),
        {"CAF-005"},
    ),
    "CAF-006": (
        lambda: with_episode(
            m := example(SocialCareReferral),
            consents=[c.model_copy(update={"store_and_share": False}) for c in m.episode.consents],
        ),
        {"CAF-006"},
    ),
    "STEP-001": (
        lambda: example(SocialCareReferralResponse).model_copy(
            update={"joining_member": None, "decision": StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE}
        ),
        {"STEP-001"},
    ),
    "MIG-001": (
        lambda: (m := example(MigrationBatch)).model_copy(
            update={"manifest": m.manifest.model_copy(update={"episode_count": m.manifest.episode_count + 1})}
        ),
        {"MIG-001"},
    ),
    "MIG-002": (
        lambda: (m := example(MigrationBatch)).model_copy(
            update={"manifest": m.manifest.model_copy(update={"consent_count": m.manifest.consent_count + 1})}
        ),
        {"MIG-002"},
    ),
    "MIG-003": (
        lambda: (m := example(MigrationBatch)).model_copy(update={"episodes": list(reversed(m.episodes))}),
        {"MIG-003"},
    ),
    "MIG-004": (
        lambda: (m := example(MigrationBatch)).model_copy(
            update={"episodes": [m.episodes[0], m.episodes[0].model_copy(), *m.episodes[2:]]}
        ),
        {"MIG-003", "MIG-004"},
    ),
    "XFER-001": (lambda: (m := example(EpisodeTransfer)).model_copy(update={"to_la": m.from_la}), {"XFER-001"}),
}


@pytest.mark.parametrize("rule_id", sorted(BREAKS))
def test_a_broken_message_fails_exactly_the_rule_it_breaks(rule_id: str) -> None:
    build, expected = BREAKS[rule_id]
    message = build()
    assert ids(message) == expected
    finding = next(f for f in run_rules(message) if f.rule_id == rule_id)
    rule = catalogue()[rule_id]
    assert finding.severity is rule.severity
    assert finding.hint == rule.hint
    assert finding.path, "a finding says where"
    assert finding.message_id == message.header.message_id


def test_every_rule_is_exercised_here_or_in_the_identifier_and_age_tests() -> None:
    covered = set(BREAKS) | {"CHILD-001", "ID-001", "ID-002", "ID-003", "ID-004"}
    assert covered == {k for k, r in catalogue().items() if r.checked_by == "validator"}


def _born(message: ChildIdentityUpdate, born: dt.date) -> ChildIdentityUpdate:
    return message.model_copy(update={"child": message.child.model_copy(update={"date_of_birth": born})})


def test_a_child_is_18_on_the_18th_birthday() -> None:
    message = example(ChildIdentityUpdate)
    on = message.effective_date
    eighteenth = on.replace(year=on.year - 18)
    assert ids(_born(message, eighteenth)) == {"CHILD-001"}
    assert ids(_born(message, eighteenth + dt.timedelta(days=1))) == set()


def test_a_leap_day_birthday_turns_18_on_the_first_of_march() -> None:
    message = example(ChildIdentityUpdate)
    header = message.header.model_copy(update={"created_at": dt.datetime(2010, 2, 28, 12, tzinfo=dt.UTC)})
    message = message.model_copy(update={"header": header})
    assert ids(_born(message, dt.date(1992, 2, 29))) == set()
    header = message.header.model_copy(update={"created_at": dt.datetime(2010, 3, 1, 12, tzinfo=dt.UTC)})
    assert ids(_born(message.model_copy(update={"header": header}), dt.date(1992, 2, 29))) == {"CHILD-001"}


def _identifiers(**changes: str) -> ChildIdentityUpdate:
    message = example(ChildIdentityUpdate)
    identifiers = message.child.identifiers.model_copy(update=changes)
    return message.model_copy(update={"child": message.child.model_copy(update={"identifiers": identifiers})})


def test_identifier_rules() -> None:
    good = example(ChildIdentityUpdate).child.identifiers
    assert good.nhs_number
    assert good.upn
    assert good.contactpoint_id
    bad_nhs = good.nhs_number[:-1] + str((int(good.nhs_number[-1]) + 1) % 10)
    assert ids(_identifiers(nhs_number=bad_nhs)) == {"ID-001"}
    bad_letter = "B" if good.upn[0] != "B" else "C"
    assert ids(_identifiers(upn=bad_letter + good.upn[1:])) == {"ID-002"}
    bad_cp = good.contactpoint_id[:-1] + str((int(good.contactpoint_id[-1]) + 1) % 10)
    assert ids(_identifiers(contactpoint_id=bad_cp)) == {"ID-004"}


def test_unknown_la_codes_in_fields_and_inside_upns() -> None:
    from ics_interop.model.identifiers import upn_check_letter

    body = "999" + "000000001"
    assert ids(_identifiers(upn=upn_check_letter(body) + body)) == {"ID-003"}
    transfer = example(CaseRecordTransfer).model_copy(update={"to_la": "999"})
    assert ids(transfer) == {"ID-003"}


def test_consent_withdrawn_after_it_was_given_stops_sharing() -> None:
    message = example(SocialCareReferral)
    shared = message.episode.shared_with[0]
    given = next(c for c in message.episode.consents if c.practitioner_id == shared)
    withdrawn = ConsentRecord(
        consent_id="C-WITHDRAWN",
        decision=ConsentDecision.WITHDRAWN,
        given_by=given.given_by,
        practitioner_id=shared,
        recorded_on=given.recorded_on + dt.timedelta(days=10),
    )
    broken = with_episode(message, consents=[*message.episode.consents, withdrawn])
    assert "CAF-002" in ids(broken)


def test_a_referral_needs_consent_for_the_receiving_organisation() -> None:
    message = example(SocialCareReferral)
    recipient = message.header.recipient.organisation_id
    consents = [c for c in message.episode.consents if c.organisation_id != recipient]
    assert len(consents) < len(message.episode.consents), "the example has consent for the recipient"
    assert ids(with_episode(message, consents=consents)) == {"CAF-002"}


def test_warnings_do_not_count_as_errors() -> None:
    build, _ = BREAKS["CP-002"]
    (finding,) = run_rules(build())
    assert finding.severity is Severity.WARNING
