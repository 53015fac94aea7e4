"""Steps 3 to 7: the CAF, the Team Around the Child, access with consent, the review, the epilogue."""

from __future__ import annotations

from ics_interop.examples import HANNAH_EPISODE_ID, LEE, LIBBY, MELANIE, STEVE
from ics_interop.model import CafEpisode, ChronologyEntry

from ..contactpoint import MaintenanceReport, SearchResult
from ..ecaf import AccessRecord, ConsentRefused
from .cast import ECAF_MANAGER
from .narration import iso_day, show_episode
from .observations import Refusal, StoryFailed
from .script import (
    ASSESSED,
    EPILOGUE,
    HANNAH_CONSENTS,
    LIBBY_JOINS,
    LIBBYS_ACTION,
    NEXT_REVIEW,
    REVIEW,
    REVIEW_SUMMARY,
    TAC_ACTIONS,
    TAC_MEETING,
)
from .storyteller import Storyteller


def consent_and_caf(story: Storyteller, case_id: str) -> tuple[list[ChronologyEntry], CafEpisode, SearchResult]:
    ics, ecaf, clock, page = story.systems.ics, story.systems.ecaf, story.clock, story.page
    with story.step(
        3,
        "Hannah consents; Melanie records the CAF on National eCAF; ContactPoint is updated",
        "3 to 10 February 2010",
        "seed §3.1; §2.2 consent; §5.1 the CAF indicator (F3)",
    ):
        clock.set(HANNAH_CONSENTS, 10)
        page.line(
            "2010-02-03  Hannah agrees that Melanie may speak to John and Lee, and consents to a common assessment "
            "(CAF), to be discussed with her mother."
        )
        clock.set(HANNAH_CONSENTS, 14)
        ics.add_chronology_entry(
            case_id,
            ChronologyEntry(
                entry_date=HANNAH_CONSENTS,
                event="Learning mentor calls about Hannah",
                detail="Melanie Hughes found the team on ContactPoint; with Hannah's consent, John shared what he "
                "knew and advised his manager.",
            ),
        )
        chronology = ics.chronology(case_id)
        page.section("What John reads in Islington's ICS before he calls Melanie back (the closed case)")
        page.table(
            ["date", "event", "detail"],
            [[iso_day(e.entry_date), e.event, e.detail or ""] for e in chronology],
            cap=64,
        )

        clock.set(ASSESSED, 15)
        episode = ecaf.log_episode(
            child=story.script.episode.child,
            assessment=story.script.assessment,
            consents=story.script.consents_for(MELANIE),
            by=MELANIE,
            episode_id=HANNAH_EPISODE_ID,
            opened_on=ASSESSED,
        )
        story.flush("National eCAF", ecaf)
        page.line()
        page.line(
            "2010-02-10  Melanie completes the common assessment with Hannah and her mother, using what John and "
            "Lee told her, and records it on National eCAF with the consent ledger. National eCAF tells "
            "ContactPoint that a CAF exists and whom to contact (F3), in the same transaction."
        )
        page.section("What Melanie recorded on National eCAF")
        show_episode(page, episode, full=True)
        story.show_messages()
        clock.set(ASSESSED, 16)
        result = story.search("Melanie's next search on ContactPoint")
    return chronology, episode, result


def team_around_the_child(story: Storyteller) -> tuple[CafEpisode, SearchResult]:
    ecaf, clock, page = story.systems.ecaf, story.clock, story.page
    with story.step(
        4,
        "The Team Around the Child meets; Melanie becomes lead professional",
        "17 February 2010",
        "seed §3.1; §5.1 the lead professional on ContactPoint (F3)",
    ):
        clock.set(TAC_MEETING, 10)
        page.line(
            "Hannah, her mother, Melanie, Lee and Steve from Housing meet and agree what each will do. Hannah "
            "consents to Lee and Steve seeing her CAF; both join the TAC. Hannah asks for Melanie as her lead "
            "professional, and the team agree."
        )
        for member in (LEE, STEVE):
            for consent in story.script.consents_for(member):
                ecaf.record_consent(HANNAH_EPISODE_ID, consent, by=MELANIE)
        for member in (MELANIE, LEE, STEVE):
            ecaf.add_tac_member(HANNAH_EPISODE_ID, member, by=MELANIE, joined_on=TAC_MEETING)
        episode = ecaf.appoint_lead_professional(
            HANNAH_EPISODE_ID, MELANIE.practitioner_id, by=MELANIE, appointed_on=TAC_MEETING
        )
        story.flush("National eCAF", ecaf)
        page.section("The episode on National eCAF")
        show_episode(page, episode)
        story.show_messages()
        clock.set(TAC_MEETING, 10, 30)
        result = story.search("What ContactPoint shows now (Melanie ensures the lead professional is recorded)")
    return episode, result


def actions_and_access(story: Storyteller) -> tuple[CafEpisode, Refusal, Refusal, list[AccessRecord], CafEpisode]:
    ecaf, screens, clock, page = story.systems.ecaf, story.systems.screens, story.clock, story.page
    with story.step(
        5,
        "Actions agreed; Lee, then Libby, given access to the CAF with Hannah's consent",
        "17 February to 3 March 2010",
        "seed §3.1; §2.2 access only with explicit consent",
    ):
        clock.set(TAC_MEETING, 11)
        for action_id in TAC_ACTIONS:
            action = story.script.action(action_id)
            ecaf.add_action(
                HANNAH_EPISODE_ID,
                owner_id=action.owner_id,
                description=action.description,
                due_on=action.due_on,
                by=MELANIE,
                action_id=action.action_id,
            )
        ecaf.share_with(HANNAH_EPISODE_ID, LEE.practitioner_id, by=MELANIE)
        page.line(
            "2010-02-17  Melanie records the actions each member agreed. Hannah's mother will see her GP (in her "
            "own words in the assessment: she is family, not a member of the TAC). With Hannah's consent, Lee is "
            "given access to the CAF so that he can update his actions."
        )
        lee_view = story.read(LEE, "TAC member: update my actions for Hannah")
        page.section("What Lee sees on National eCAF")
        show_episode(page, lee_view)

        page.line()
        page.line("In the following days the TAC keep National eCAF updated with their actions:")
        story.keep_up_to_date(until=LIBBY_JOINS)
        page.line()
        page.line(
            "2010-03-03  Libby, who works for the young carers' group Lee found, asks to see Hannah's CAF before "
            "Hannah has said she may."
        )
        libby_refused = screens.read_episode(LIBBY, "Young carers' group: about Hannah joining")
        if not isinstance(libby_refused, Refusal):
            raise StoryFailed(
                "National eCAF let Libby read the CAF without Hannah's consent",
                hint="access to a CAF needs the child's explicit consent on the ledger (seed §2.2, rule CAF-002)",
            )
        try:
            ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
        except ConsentRefused as refused:
            share_refused = Refusal(refused.rule_id, refused.message, refused.hint)
        else:
            raise StoryFailed(
                "National eCAF let Melanie share the CAF with Libby without Hannah's consent",
                hint="sharing a CAF needs the child's explicit consent on the ledger (seed §2.2, rule CAF-002)",
            )
        page.section("Refused: no consent on record for Libby")
        page.table(
            ["who", "tried to", "refused by rule", "what National eCAF says"],
            [
                ["Libby Green", "read the CAF", libby_refused.rule_id, libby_refused.message],
                ["Melanie Hughes", "share it with Libby", share_refused.rule_id, share_refused.message],
            ],
            cap=60,
        )
        audited = [r for r in ecaf.access_log(HANNAH_EPISODE_ID, by=ECAF_MANAGER) if r.action.endswith("-refused")]
        page.section("National eCAF's access audit of the refusals")
        page.table(
            ["when", "practitioner", "action", "reason"],
            [[r.at.strftime("%Y-%m-%d %H:%M"), r.practitioner_id or "-", r.action, r.reason] for r in audited],
            cap=60,
        )

        clock.set(LIBBY_JOINS, 17)
        for consent in story.script.consents_for(LIBBY):
            ecaf.record_consent(HANNAH_EPISODE_ID, consent, by=MELANIE)
        ecaf.add_tac_member(HANNAH_EPISODE_ID, LIBBY, by=MELANIE, joined_on=LIBBY_JOINS)
        ecaf.share_with(HANNAH_EPISODE_ID, LIBBY.practitioner_id, by=MELANIE)
        libbys = story.script.action(LIBBYS_ACTION)
        ecaf.add_action(
            HANNAH_EPISODE_ID,
            owner_id=libbys.owner_id,
            description=libbys.description,
            due_on=libbys.due_on,
            by=LIBBY,
            action_id=libbys.action_id,
        )
        page.line()
        page.line(
            "Hannah agrees that Libby may see her CAF. Libby joins the TAC, is given access, and adds her own action."
        )
        libby_view = story.read(LIBBY, "TAC member: record my action for Hannah")
        page.section("What Libby sees on National eCAF")
        show_episode(page, libby_view)
        story.flush("National eCAF", ecaf)
        story.show_messages(
            none="none: consent, the TAC and actions stay on National eCAF; ContactPoint shows only that a CAF "
            "exists and whom to contact"
        )
    return lee_view, libby_refused, share_refused, audited, libby_view


def review(story: Storyteller) -> CafEpisode:
    ecaf, clock, page = story.systems.ecaf, story.clock, story.page
    with story.step(6, "The review, three months on", "17 March to 17 May 2010", "seed §3.1"):
        page.line("All keep National eCAF updated with their actions:")
        story.keep_up_to_date(until=REVIEW)

        clock.set(REVIEW, 11)
        ecaf.record_review(
            HANNAH_EPISODE_ID,
            summary=REVIEW_SUMMARY,
            by=MELANIE,
            review_date=REVIEW,
            next_review_on=NEXT_REVIEW,
        )
        page.line()
        page.line("2010-05-17  The team meet Hannah and her mother to review progress; Melanie records the review.")
        episode = story.read(MELANIE, "Lead professional: the three-month review")
        page.section("What Melanie sees on National eCAF after the review")
        show_episode(page, episode)
        story.flush("National eCAF", ecaf)
        story.show_messages(none="none: a review changes nothing ContactPoint shows")
    return episode


def epilogue(story: Storyteller) -> tuple[MaintenanceReport, SearchResult]:
    contactpoint, clock, page = story.systems.contactpoint, story.clock, story.page
    with story.step(
        7,
        "Epilogue: a year after John's involvement ended, it leaves ContactPoint",
        "18 May 2010",
        "seed §3.1: contact details stay on for a year after the end of the involvement",
    ):
        clock.set(EPILOGUE, 2)
        report = contactpoint.run_maintenance()
        page.line(
            f"ContactPoint's maintenance runs: {report.involvements_expired} involvement expired (children's "
            "social care ended on 2009-03-27 and was listed until 2010-03-27)."
        )
        clock.set(EPILOGUE, 9)
        result = story.search("What Melanie sees on ContactPoint now")
        story.show_messages(none="none")
    return report, result
