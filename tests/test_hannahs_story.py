"""Hannah's story end to end (seed §3.1): `ics-interop demo`, with assertions at every step.

Each run starts ContactPoint, National eCAF and Islington's ICS on empty stores and plays the
whole story through real messages: in-process with the three systems sharing one database
(SQLite, then PostgreSQL: `store_url`), over real HTTP with a store each in a folder, and
through the `demo` command itself. `check_story` is the story's assertions, step by step.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
from pathlib import Path

import pytest
from ics_interop.adapters.contactpoint import DirectoryInvolvement, DirectoryRecord, SearchResult
from ics_interop.adapters.demo import MELANIE_REASON, StoryResult, play_hannahs_story
from ics_interop.adapters.demo_cli import add_demo_command

from ics_interop.examples import HANNAH_EPISODE_ID, JOHN, LEE, LIBBY, MELANIE, SOCIAL_CARE_DUTY_TEAM, STEVE
from ics_interop.model import CafEpisode
from ics_interop.model.codes import CafStatus, CinClosureReason, ConsentGiver

HANNAHS_CONTACTPOINT_ID = "CP4801720956"
SOCIAL_CARE = "Children's social care"
YOUTH_SERVICE = "Youth service"


def only_record(result: SearchResult) -> DirectoryRecord:
    assert len(result.records) == 1, "every feed's message was matched to Hannah's one record"
    (record,) = result.records
    assert record.contactpoint_id == HANNAHS_CONTACTPOINT_ID
    return record


def involvements(record: DirectoryRecord) -> dict[str, DirectoryInvolvement]:
    return {i.service_name: i for i in record.involvements}


def tac(episode: CafEpisode) -> list[str]:
    return [m.practitioner.practitioner_id for m in episode.tac_members]


def messages_of(result: StoryResult, step: int) -> list[tuple[str, str, str, str]]:
    return [(d.sender, d.recipient, d.message_type, d.flow) for d in result.deliveries if d.step == step]


def check_story(result: StoryResult) -> None:
    """The story's assertions, step by step."""
    assert result.all_accepted
    assert all(d.findings == () for d in result.deliveries), [d.findings for d in result.deliveries]
    assert len({d.message_id for d in result.deliveries}) == len(result.deliveries)

    # Step 1: the referral's F2 waited in the ICS's outbox until ContactPoint went live, then was delivered;
    # closing the case ended the involvement; Lee's youth service and the school fed ContactPoint too.
    assert result.waited_for_contactpoint == ("InvolvementStarted",)
    assert messages_of(result, 1) == [
        ("Islington's ICS", "ContactPoint", "InvolvementStarted", "F2"),
        ("Islington's ICS", "ContactPoint", "InvolvementEnded", "F1"),
        ("the youth service's system", "ContactPoint", "InvolvementStarted", "F1"),
        ("Camden Park School's MIS", "ContactPoint", "ChildIdentityUpdate", "F1"),
    ]
    step_1 = [d for d in result.deliveries if d.step == 1]
    assert step_1[0].at.date() == dt.date(2009, 1, 12), "delivered when ContactPoint went live, not in 2008"
    assert [d.wire for d in step_1] == ["xml", "xml", "json", "xml"]
    case = result.ics_case
    assert case.case_id == result.ics_case_id
    assert case.closure is not None
    assert (case.closure.closure_date, case.closure.reason) == (dt.date(2009, 3, 27), CinClosureReason.RC7)
    assert case.allocated_worker == JOHN
    assert [r.referral_date for r in case.referrals] == [dt.date(2008, 6, 3)]

    # Step 2: Melanie finds social care (ended, listed for a year, with the duty team's number) and Lee.
    assert messages_of(result, 2) == []
    record = only_record(result.first_search)
    found = involvements(record)
    assert set(found) == {SOCIAL_CARE, YOUTH_SERVICE}
    social_care = found[SOCIAL_CARE]
    assert social_care.team is not None
    assert social_care.practitioner is None, "the referral was recorded before John was allocated: the team's number"
    assert social_care.team.name == SOCIAL_CARE_DUTY_TEAM.name
    assert social_care.team.contact.telephone == "020 7946 0400"
    assert (social_care.start_date, social_care.end_date) == (dt.date(2008, 6, 3), dt.date(2009, 3, 27))
    assert social_care.visible_until == dt.date(2010, 3, 27)
    youth = found[YOUTH_SERVICE]
    assert youth.practitioner is not None
    assert youth.practitioner.practitioner_id == LEE.practitioner_id
    assert youth.practitioner.contact.telephone == LEE.contact.telephone
    assert youth.end_date is None
    assert record.caf_indicators == []
    assert record.lead_professional is None
    shown = record.model_dump_json()
    for case_detail in ("hospital", "young carer", "Young carer", "N3", "RC7", case.referrals[0].referral_id):
        assert case_detail not in shown, f"ContactPoint shows case information: {case_detail!r}"
    audit = result.first_search_audit
    assert (audit.practitioner_id, audit.action, audit.outcome) == (MELANIE.practitioner_id, "search", "ok")
    assert audit.reason == MELANIE_REASON
    assert audit.records == [HANNAHS_CONTACTPOINT_ID]

    # Step 3: John reads the closed case before calling back; Melanie logs the CAF with the consent ledger;
    # National eCAF tells ContactPoint (F3), which shows the CAF exists and whom to contact.
    events = [e.event for e in result.john_reads]
    assert events[0] == "Case opened"
    assert any(e.startswith("Case closed (RC7") for e in events)
    assert events[-1] == "Learning mentor calls about Hannah"
    logged = result.logged_episode
    assert (logged.episode_id, logged.status, logged.opened_on) == (
        HANNAH_EPISODE_ID,
        CafStatus.OPEN,
        dt.date(2010, 2, 10),
    )
    assert [(c.given_by, c.practitioner_id) for c in logged.consents] == [
        (ConsentGiver.CHILD, MELANIE.practitioner_id),
        (ConsentGiver.PARENT_CARER, MELANIE.practitioner_id),
    ]
    assert logged.assessment is not None
    assert logged.assessment.assessor == MELANIE
    assert logged.lead_professional is None
    assert messages_of(result, 3) == [("National eCAF", "ContactPoint", "CafIndicatorUpdate", "F3")]
    record = only_record(result.search_after_caf)
    (indicator,) = record.caf_indicators
    assert indicator.completed_by.practitioner_id == MELANIE.practitioner_id
    assert indicator.completed_by.contact.telephone == MELANIE.contact.telephone
    assert indicator.updated_on == dt.date(2010, 2, 10)
    assert indicator.lead_professional is None
    assert record.lead_professional is None
    assert set(involvements(record)) == {SOCIAL_CARE, YOUTH_SERVICE}
    assert logged.assessment.conclusions is not None
    assert logged.assessment.conclusions not in record.model_dump_json(), "never the CAF itself"

    # Step 4: the TAC: Melanie, Lee and Steve, with Hannah's consent; Melanie lead professional, on ContactPoint.
    episode = result.episode_after_tac
    assert tac(episode) == [MELANIE.practitioner_id, LEE.practitioner_id, STEVE.practitioner_id]
    assert episode.lead_professional is not None
    assert (episode.lead_professional.practitioner_id, episode.lead_professional.appointed_on) == (
        MELANIE.practitioner_id,
        dt.date(2010, 2, 17),
    )
    assert {c.practitioner_id for c in episode.consents} == {
        MELANIE.practitioner_id,
        LEE.practitioner_id,
        STEVE.practitioner_id,
    }
    assert messages_of(result, 4) == [("National eCAF", "ContactPoint", "CafIndicatorUpdate", "F3")]
    record = only_record(result.search_after_tac)
    assert record.lead_professional is not None
    assert record.lead_professional.practitioner_id == MELANIE.practitioner_id
    assert record.lead_professional.contact.telephone == "020 7946 0312"

    # Step 5: the actions (who, what, by when); Lee reads the CAF with consent; Libby is refused until Hannah
    # consents (her read and Melanie's share, both audited), then joins, reads it and adds her action.
    lee_view = result.episode_as_lee_reads_it
    assert lee_view.shared_with == [LEE.practitioner_id]
    assert [(a.owner_id, a.due_on, a.completed_on) for a in lee_view.actions] == [
        (MELANIE.practitioner_id, dt.date(2010, 3, 5), None),
        (MELANIE.practitioner_id, dt.date(2010, 3, 5), None),
        (LEE.practitioner_id, dt.date(2010, 3, 5), None),
        (STEVE.practitioner_id, dt.date(2010, 4, 16), None),
    ]
    assert result.libby_before_consent.rule_id == "CAF-002"
    assert LIBBY.practitioner_id in result.libby_before_consent.message
    assert result.libby_before_consent.hint
    assert result.share_before_consent.rule_id == "CAF-002"
    assert [(r.practitioner_id, r.action) for r in result.refusals_audited] == [
        (LIBBY.practitioner_id, "read-refused"),
        (LIBBY.practitioner_id, "disclosure-refused"),
    ]
    libby_view = result.episode_as_libby_reads_it
    assert libby_view.shared_with == [LEE.practitioner_id, LIBBY.practitioner_id]
    assert tac(libby_view)[-1] == LIBBY.practitioner_id
    done = {a.owner_id: a.completed_on for a in libby_view.actions if a.owner_id in (LEE.practitioner_id,)}
    assert done == {LEE.practitioner_id: dt.date(2010, 3, 3)}
    assert libby_view.actions[-1].owner_id == LIBBY.practitioner_id
    assert messages_of(result, 5) == [], "consent and access stay on National eCAF"

    # Step 6: every action done and kept up to date; the review recorded; the episode stays open.
    reviewed = result.episode_after_review
    assert [a.completed_on for a in reviewed.actions] == [
        dt.date(2010, 3, 1),
        dt.date(2010, 2, 24),
        dt.date(2010, 3, 3),
        dt.date(2010, 4, 12),
        dt.date(2010, 3, 17),
    ]
    (review,) = reviewed.reviews
    assert (review.review_date, review.next_review_on) == (dt.date(2010, 5, 17), dt.date(2010, 8, 17))
    assert reviewed.status is CafStatus.OPEN, "episodes are never closed automatically"
    assert messages_of(result, 6) == []

    # Step 7: a year after John's involvement ended, maintenance removes it; the CAF and the lead remain.
    assert result.maintenance.involvements_expired == 1
    record = only_record(result.epilogue_search)
    assert set(involvements(record)) == {YOUTH_SERVICE}
    assert record.lead_professional is not None
    assert record.lead_professional.practitioner_id == MELANIE.practitioner_id
    assert len(record.caf_indicators) == 1

    assert len(result.deliveries) == 6


def check_printed(text: str) -> None:
    """What the demo prints: each step, its messages, and what each practitioner sees."""
    for number in range(1, 8):
        assert f"\nStep {number}. " in text
    text = " ".join(text.split())  # as read, whatever the line wrapping
    for seen in (
        "What Melanie sees on ContactPoint",
        "(020 7946 0400, Children's Social Care Contact and Referral Team)",
        "the department stays listed until 2010-03-27",
        "Lee Robinson (Youth worker)",
        "CafIndicatorUpdate",
        "lead professional: Melanie Hughes",
        "What Lee sees on National eCAF",
        "read-refused",
        "CAF-002",
        "What Libby sees on National eCAF",
        "1 involvement expired",
        "The story played through: 6 messages between systems, 6 accepted.",
    ):
        assert seen in text, seen


def test_hannahs_story_in_process_with_the_three_systems_in_one_database(store_url: str) -> None:
    out = io.StringIO()
    result = play_hannahs_story(db_url=store_url, out=out)
    assert result.transport == "in-process"
    check_story(result)
    check_printed(out.getvalue())


def test_hannahs_story_over_http_with_a_store_each(tmp_path: Path) -> None:
    out = io.StringIO()
    folder = tmp_path / "stores"
    result = play_hannahs_story(folder, out=out, transport="http")
    assert result.transport == "http"
    check_story(result)
    text = out.getvalue()
    check_printed(text)
    assert "runs as an HTTP service" in text
    stores = ["contactpoint.db", "ics.db", "national-ecaf.db", "token-service.db"]
    assert sorted(p.name for p in folder.glob("*.db")) == stores
    assert "Who authenticates as whom" in text
    assert "camden-park-mis" in text


def demo_command(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_demo_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    status: int = args.run(args)
    return status


def test_the_demo_command_plays_the_story_and_will_not_replay_it_over_a_used_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "demo"
    assert demo_command(["demo", "--folder", str(folder)]) == 0
    printed = capsys.readouterr()
    check_printed(printed.out)
    assert printed.err == ""

    assert demo_command(["demo", "--folder", str(folder)]) == 1
    printed = capsys.readouterr()
    assert "already holds data" in printed.err
    assert "To fix: the story starts from empty stores" in printed.err
    assert "Step 1." not in printed.out, "nothing is played over a used store"


def test_a_database_that_cannot_be_reached_stops_the_demo_with_how_to_fix_it(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert demo_command(["demo", "--db", "postgresql://nobody@127.0.0.1:1/nothing"]) == 1
    err = capsys.readouterr().err
    assert "could not open ContactPoint's store at postgresql://nobody@127.0.0.1:1/nothing" in err
    assert "To fix: check the --db URL, that the database server is running" in err


def test_a_folder_and_a_database_are_not_both_accepted(tmp_path: Path) -> None:
    with pytest.raises(SystemExit):
        demo_command(["demo", "--folder", str(tmp_path), "--db", f"sqlite:///{tmp_path / 'x.db'}"])


def test_the_demo_uses_only_what_each_system_exports() -> None:
    """The demo drives each system through its public face, never another system's internals (ARCHITECTURE.md)."""
    import ast

    import ics_interop.adapters.demo as demo

    for name in demo.__all__:
        assert hasattr(demo, name), name
    modules = sorted(Path(demo.__file__).parent.glob("*.py"))
    assert len(modules) > 1, "the demo is a package of modules"
    for module in modules:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            # `..contactpoint` from inside the demo package is a sibling system of the adapters
            if isinstance(node, ast.ImportFrom) and node.level == 2 and node.module is not None:
                room = node.module.split(".")
                if room[0] in ("contactpoint", "ecaf", "ics"):
                    assert room == [room[0]], f"{module.name} imports {node.module}: use the package's exports"
