"""What practitioners do with an episode on National eCAF: consent, TAC, lead, actions, reviews, sharing, closure.

Each test runs on SQLite and PostgreSQL. A refused change is checked to store nothing (a
snapshot of every table), an accepted one to write its ContactPoint message (F3) with it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from ics_interop.adapters.ecaf import (
    ChangeRefused,
    ConsentRefused,
    EpisodeConflict,
    InvalidInput,
    UnknownEpisode,
)

from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, LEE, LIBBY, MELANIE, STEVE
from ics_interop.messages import CafIndicatorUpdate
from ics_interop.model.codes import CafClosureReason, CafStatus, ConsentDecision
from test_ecaf_story import (
    ASSESSMENT,
    HANNAH_AT_NECAF,
    ISLINGTON_CSC,
    MANAGER,
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


# --- logging a CAF, and telling ContactPoint (F3) ------------------------------------------------


def test_logging_a_caf_writes_the_contactpoint_message_with_it(world: World) -> None:
    episode = log_hannah(world)

    assert episode.status is CafStatus.OPEN
    [row] = world.pending()
    assert (row["message_type"], row["destination"]) == ("CafIndicatorUpdate", "contactpoint")
    body = row["body"]
    assert body["cafExists"] is True
    assert body["completedBy"]["practitionerId"] == MELANIE.practitioner_id
    assert body["completedBy"]["contact"]["telephone"] == MELANIE.contact.telephone
    # The directory is told that a CAF exists and whom to call: nothing of the assessment.
    assert "assessment" not in str(body).lower()


def test_the_contactpoint_message_is_delivered_once_after_retries_with_backoff(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    written_at = clock.now
    world.to_contactpoint.down = True

    assert world.ecaf.deliver() == []
    [row] = world.pending()
    assert row["attempts"] == 1
    assert "not reachable" in row["last_error"]
    first_retry = row["next_attempt_at"].replace(tzinfo=dt.UTC)
    assert first_retry > clock.now

    assert world.ecaf.deliver() == []  # too early: not even tried
    assert world.pending()[0]["attempts"] == 1

    clock.now = first_retry
    world.ecaf.deliver()
    [row] = world.pending()
    assert row["attempts"] == 2
    second_retry = row["next_attempt_at"].replace(tzinfo=dt.UTC)
    assert second_retry - first_retry > first_retry - written_at  # the wait grows

    world.to_contactpoint.down = False
    clock.now = second_retry
    [ack] = world.ecaf.deliver()
    assert ack.status.value == "accepted"
    assert world.pending() == []
    assert world.ecaf.deliver() == []
    assert len(world.contactpoint.of_type(CafIndicatorUpdate)) == 1


def test_a_caf_cannot_be_logged_without_consent_for_the_practitioner_logging_it(world: World) -> None:
    before = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox"))
    with pytest.raises(ConsentRefused) as refused:
        world.ecaf.log_episode(
            child=HANNAH_AT_NECAF,
            assessment=ASSESSMENT,
            consents=[consent("C1", practitioner=LEE)],
            by=MELANIE,
        )
    assert refused.value.rule_id == "CAF-002"
    assert isinstance(refused.value, PermissionError)
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox")) == before


def test_an_episode_id_is_logged_once(world: World) -> None:
    log_hannah(world)
    with pytest.raises(EpisodeConflict) as refused:
        log_hannah(world)
    assert refused.value.rule_id == "NECAF-002"


def test_a_caf_for_a_young_person_of_18_is_refused_by_the_standard(world: World, clock: FakeClock) -> None:
    clock.on(2012, 6, 14)  # Hannah's 18th birthday
    with pytest.raises(ChangeRefused) as refused:
        log_hannah(world)
    assert refused.value.rule_id == "CHILD-001"
    assert refused.value.where == "episode.child.dateOfBirth"
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox")) == {"ecaf_episodes": [], "ecaf_outbox": []}


# --- reading needs consent, and every read is audited ----------------------------------------------


def test_a_read_without_consent_is_refused_and_audited(world: World) -> None:
    log_hannah(world)
    with pytest.raises(ConsentRefused) as refused:
        world.ecaf.read_episode(HANNAH_EPISODE_ID, STEVE, "arrange help with the rent arrears")
    assert isinstance(refused.value, PermissionError)
    assert refused.value.rule_id == "CAF-002"
    assert "consent" in refused.value.hint.lower()
    [entry] = [r for r in world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER) if r.action == "read-refused"]
    assert (entry.practitioner_id, entry.organisation_id) == (STEVE.practitioner_id, STEVE.organisation.organisation_id)
    assert entry.reason == "arrange help with the rent arrears"


def test_a_permitted_read_is_audited_with_who_when_and_why(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    clock.on(2010, 2, 12, 14)
    episode = world.ecaf.read_episode(HANNAH_EPISODE_ID, MELANIE, "prepare the TAC meeting")
    assert episode.episode_id == HANNAH_EPISODE_ID
    entry = world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1]
    assert (entry.action, entry.practitioner_id, entry.reason, entry.at) == (
        "read",
        MELANIE.practitioner_id,
        "prepare the TAC meeting",
        clock.now,
    )


def test_consent_for_an_organisation_lets_its_practitioners_read(world: World) -> None:
    log_hannah(world)
    with pytest.raises(ConsentRefused):
        world.ecaf.read_episode(HANNAH_EPISODE_ID, JOHN, "referral")
    world.ecaf.record_consent(HANNAH_EPISODE_ID, consent("C-CSC", organisation_id=ISLINGTON_CSC), by=MELANIE)
    assert world.ecaf.read_episode(HANNAH_EPISODE_ID, JOHN, "referral").episode_id == HANNAH_EPISODE_ID


def test_withdrawing_consent_ends_access_and_sharing(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    form_the_tac(world)
    world.ecaf.share_with(HANNAH_EPISODE_ID, LEE.practitioner_id, by=MELANIE)
    clock.on(2010, 3, 1)
    withdrawn = consent("C-LEE-OUT", practitioner=LEE, decision=ConsentDecision.WITHDRAWN, on=dt.date(2010, 3, 1))

    episode = world.ecaf.record_consent(HANNAH_EPISODE_ID, withdrawn, by=MELANIE)

    assert LEE.practitioner_id not in episode.shared_with
    assert episode.consents[-1] == withdrawn
    with pytest.raises(ConsentRefused):
        world.ecaf.read_episode(HANNAH_EPISODE_ID, LEE, "update my action")


def test_a_practitioner_without_consent_cannot_change_the_episode_and_the_attempt_is_audited(world: World) -> None:
    log_hannah(world)
    before = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox"))
    with pytest.raises(ConsentRefused):
        world.ecaf.record_review(HANNAH_EPISODE_ID, summary="All is well.", by=STEVE)
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox")) == before
    assert world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1].action == "change-refused"


def test_an_unknown_episode_is_named_as_such(world: World) -> None:
    with pytest.raises(UnknownEpisode) as refused:
        world.ecaf.read_episode("NECAF-NOPE", MELANIE, "look")
    assert refused.value.rule_id == "NECAF-001"


# --- the TAC, the lead professional, actions and reviews -----------------------------------------


def test_the_lead_professional_must_be_in_the_tac_and_a_refusal_stores_nothing(world: World) -> None:
    log_hannah(world)
    before = snapshot(world.ecaf)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.appoint_lead_professional(HANNAH_EPISODE_ID, LEE.practitioner_id, by=MELANIE)
    assert refused.value.rule_id == "CAF-001"
    assert refused.value.where == "episode.leadProfessional.practitionerId"
    assert refused.value.hint
    assert snapshot(world.ecaf) == before


def test_appointing_the_lead_professional_tells_contactpoint_who_leads(world: World) -> None:
    log_hannah(world)
    episode = form_the_tac(world)
    assert episode.lead_professional is not None
    assert episode.lead_professional.practitioner_id == MELANIE.practitioner_id
    world.ecaf.deliver()
    last = world.contactpoint.of_type(CafIndicatorUpdate)[-1]
    assert last.lead_professional == MELANIE
    assert last.caf_exists


def test_a_practitioner_joins_the_tac_once(world: World) -> None:
    log_hannah(world)
    world.ecaf.add_tac_member(HANNAH_EPISODE_ID, MELANIE, by=MELANIE)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.add_tac_member(HANNAH_EPISODE_ID, MELANIE, by=MELANIE)
    assert refused.value.rule_id == "NECAF-005"


def test_actions_belong_to_tac_members_and_can_be_completed(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.add_action(
            HANNAH_EPISODE_ID,
            owner_id=STEVE.practitioner_id,
            description="Plan the arrears.",
            due_on=dt.date(2010, 4, 16),
            by=MELANIE,
        )
    assert refused.value.rule_id == "CAF-005"

    form_the_tac(world)
    action = world.ecaf.add_action(
        HANNAH_EPISODE_ID,
        owner_id=STEVE.practitioner_id,
        description="Agree a plan for the rent arrears.",
        due_on=dt.date(2010, 4, 16),
        by=MELANIE,
    )
    assert (action.owner_id, action.due_on, action.completed_on) == (STEVE.practitioner_id, dt.date(2010, 4, 16), None)
    clock.on(2010, 4, 12)
    done = world.ecaf.complete_action(HANNAH_EPISODE_ID, action.action_id, by=STEVE)
    assert done.completed_on == dt.date(2010, 4, 12)
    with pytest.raises(ChangeRefused) as unknown:
        world.ecaf.complete_action(HANNAH_EPISODE_ID, "NO-SUCH-ACTION", by=STEVE)
    assert unknown.value.rule_id == "NECAF-007"


def test_a_value_the_standard_does_not_allow_is_refused_with_its_constraint(world: World) -> None:
    log_hannah(world)
    form_the_tac(world)
    with pytest.raises(InvalidInput) as refused:
        world.ecaf.add_action(
            HANNAH_EPISODE_ID, owner_id=LEE.practitioner_id, description="", due_on=dt.date(2010, 3, 5), by=MELANIE
        )
    assert refused.value.rule_id.startswith("MODEL-")
    assert refused.value.where == "description"
    assert isinstance(refused.value, ValueError)


def test_a_review_is_recorded(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    clock.on(2010, 5, 17)
    review = world.ecaf.record_review(
        HANNAH_EPISODE_ID, summary="Catching up with homework.", by=MELANIE, next_review_on=dt.date(2010, 8, 17)
    )
    assert (review.review_date, review.next_review_on) == (dt.date(2010, 5, 17), dt.date(2010, 8, 17))
    assert world.read().reviews == [review]


def test_sharing_needs_consent_for_the_practitioner_or_their_organisation(world: World) -> None:
    log_hannah(world)
    form_the_tac(world)
    before = snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox"))
    with pytest.raises(ConsentRefused) as refused:
        world.ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
    assert refused.value.rule_id == "CAF-002"
    assert snapshot(world.ecaf, tables=("ecaf_episodes", "ecaf_outbox")) == before
    assert world.ecaf.access_log(HANNAH_EPISODE_ID, by=MANAGER)[-1].action == "disclosure-refused"

    world.ecaf.record_consent(HANNAH_EPISODE_ID, consent("C-LIBBY", practitioner=LIBBY), by=MELANIE)
    assert (
        LIBBY.practitioner_id in world.ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE).shared_with
    )


# --- closing ---------------------------------------------------------------------------------------


def _indicators(world: World) -> list[dict[str, Any]]:
    return [row["body"] for row in world.pending() if row["message_type"] == "CafIndicatorUpdate"]


def test_closing_tells_contactpoint_only_when_no_other_episode_is_open(world: World, clock: FakeClock) -> None:
    log_hannah(world)
    log_hannah(world, episode_id="NECAF-2010-0049999")  # a second CAF for Hannah, from another service
    clock.on(2010, 9, 1)

    closed = world.ecaf.close_episode(HANNAH_EPISODE_ID, CafClosureReason.NEEDS_MET, by=MELANIE)
    assert (closed.status, closed.closure_reason, closed.closed_on) == (
        CafStatus.CLOSED,
        CafClosureReason.NEEDS_MET,
        dt.date(2010, 9, 1),
    )
    assert [b["cafExists"] for b in _indicators(world)] == [True, True]  # another episode is still open

    world.ecaf.close_episode("NECAF-2010-0049999", "needs-met", by=MELANIE)
    assert [b["cafExists"] for b in _indicators(world)] == [True, True, False]


def test_a_closed_episode_is_not_changed_except_for_consent(world: World) -> None:
    log_hannah(world)
    form_the_tac(world)
    world.ecaf.close_episode(HANNAH_EPISODE_ID, CafClosureReason.CONSENT_WITHDRAWN, by=MELANIE)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.record_review(HANNAH_EPISODE_ID, summary="More to do.", by=MELANIE)
    assert refused.value.rule_id == "NECAF-003"
    withdrawn = consent("C-OUT", practitioner=LEE, decision=ConsentDecision.WITHDRAWN)
    assert world.ecaf.record_consent(HANNAH_EPISODE_ID, withdrawn, by=MELANIE).consents[-1] == withdrawn


def test_a_closure_before_the_episode_opened_is_refused_by_the_standard(world: World) -> None:
    log_hannah(world)
    with pytest.raises(ChangeRefused) as refused:
        world.ecaf.close_episode(HANNAH_EPISODE_ID, "needs-met", by=MELANIE, closed_on=dt.date(2010, 1, 1))
    assert refused.value.rule_id == "DATE-001"
    with pytest.raises(InvalidInput) as unknown_reason:
        world.ecaf.close_episode(HANNAH_EPISODE_ID, "fed-up", by=MELANIE)
    assert unknown_reason.value.rule_id == "MODEL-ENUM"
    assert world.read().status is CafStatus.OPEN


# --- a failure half way leaves the store as it was --------------------------------------------------


def test_a_failure_in_the_middle_of_a_change_leaves_the_store_unchanged(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    log_hannah(world)
    for member in (MELANIE, LEE):
        world.ecaf.add_tac_member(HANNAH_EPISODE_ID, member, by=MELANIE)
    before = snapshot(world.ecaf)

    def broken(*_args: Any, **_kwargs: Any) -> None:
        raise RuntimeError("the disk filled up")

    # The episode is written first, then the F3 message: the failure comes after the episode's update.
    monkeypatch.setattr(world.ecaf.outbox, "enqueue", broken)
    with pytest.raises(RuntimeError):
        world.ecaf.appoint_lead_professional(HANNAH_EPISODE_ID, MELANIE.practitioner_id, by=MELANIE)
    assert snapshot(world.ecaf) == before
    monkeypatch.undo()
    assert world.read().lead_professional is None


# --- management reporting ----------------------------------------------------------------------------


def test_episodes_never_close_by_themselves_and_the_report_lists_the_long_open_ones(
    world: World, clock: FakeClock
) -> None:
    log_hannah(world)  # opened 2010-02-10
    clock.on(2010, 6, 1)
    world.ecaf.log_episode(
        child=HANNAH_AT_NECAF,
        assessment=ASSESSMENT,
        consents=[consent("C9", practitioner=LEE)],
        by=LEE,
        episode_id="NECAF-2010-0050001",
    )
    clock.on(2012, 2, 10)  # two years on: nothing has closed

    report = world.ecaf.open_episodes_report(older_than_days=365, by=MANAGER)
    assert [(r.episode_id, r.days_open) for r in report] == [(HANNAH_EPISODE_ID, 730), ("NECAF-2010-0050001", 619)]

    as_of = world.ecaf.open_episodes_report(older_than_days=100, now=dt.date(2010, 6, 1), by=MANAGER)
    assert [r.episode_id for r in as_of] == [HANNAH_EPISODE_ID]  # 111 days; the other opened that day
    assert world.ecaf.open_episodes_report(older_than_days=111, now=dt.date(2010, 6, 1), by=MANAGER) == []
    with pytest.raises(InvalidInput):
        world.ecaf.open_episodes_report(older_than_days=-1, by=MANAGER)
