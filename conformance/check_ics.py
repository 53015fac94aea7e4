"""Checks of the ics profile: what an ICS system tells ContactPoint (and never tells it), how it takes a
referral from a CAF and answers it, drafts from a CAF, stepping down, case transfers, its local eCAF.

The suite plays ContactPoint, National eCAF and another authority's ICS: it receives what the
system sends them, and sends it what they would.
"""

from __future__ import annotations

import datetime as dt
import time

from ics_interop import to_xml
from ics_interop.messages import (
    CafIndicatorUpdate,
    CaseRecordTransfer,
    EpisodeTransfer,
    InvolvementEnded,
    InvolvementStarted,
    Message,
    MigrationBatch,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
)
from ics_interop.model import CafEpisode, Child, IcsClosure, IcsReferral, Organisation, Practitioner
from ics_interop.model.codes import AgencyType, CinClosureReason, ReferralSource, SystemKind
from ics_interop.rules import run_rules

from .context import CheckContext, CheckFailed
from .generation import la_code_of
from .protocol import CafReferralView, IcsUnderTest, NotFound, SystemRefusal
from .registry import check
from .scenarios import SUITE_ICS, SUITE_NATIONAL_ECAF, Cast

__all__: list[str] = []

ICS = ("ics",)


class Ics:
    """A check's view of the ICS system: the system, a fresh cast, a social worker of the authority."""

    def __init__(self, ctx: CheckContext) -> None:
        if not isinstance(ctx.sut, IcsUnderTest):
            raise CheckFailed("the system under test does not implement the ics adapter Protocol")
        self.ctx = ctx
        self.sut: IcsUnderTest = ctx.sut
        self.cast = Cast()
        self.identity = self.sut.identity()
        self.la_code = la_code_of(self.identity, ctx.options)
        organisation = Organisation(
            organisation_id=self.identity.organisation_id,
            name=self.identity.organisation_name or "Children's social care",
            agency_type=AgencyType.SOCIAL_CARE,
            la_code=self.la_code,
        )
        self.social_worker: Practitioner = self.cast.practitioner("ICSSW", "Jo", "Social worker", organisation)

    def to_contactpoint(self, child: Child, kind: type[Message], *, wait: float | None = None) -> list[Message]:
        nhs = child.identifiers.nhs_number

        def about(m: Message) -> bool:
            sent: Child | None = getattr(m, "child", None)
            return (
                isinstance(m, kind)
                and m.header.recipient.system is SystemKind.CONTACTPOINT
                and sent is not None
                and sent.identifiers.nhs_number == nhs
            )

        return self.ctx.sent(about, wait=wait)

    def referral(self, case_id: str, reason: str, on: dt.date | None = None) -> IcsReferral:
        referral = IcsReferral(
            referral_id=self.cast.serial("REF"),
            referral_date=on or self.cast.today,
            source=ReferralSource.SCHOOLS,
            reason=reason,
        )
        self.sut.record_referral(case_id, referral)
        return referral

    def from_caf(self) -> tuple[Child, CafReferralView, str]:
        """The suite's National eCAF refers a child; the referral as the ICS holds it, and the episode ID."""
        child = self.cast.child()
        episode = self.cast.episode(
            child,
            consents=[
                self.cast.consent(practitioner=self.cast.mentor.practitioner_id),
                self.cast.consent(organisation=self.identity.organisation_id),
            ],
        )
        message = self.cast.social_care_referral(episode, self.identity)
        self.ctx.accepted(message)
        found = [r for r in self.sut.caf_referrals() if r.ecaf_referral_id == message.referral_id]
        if len(found) != 1:
            raise CheckFailed(f"the referral from the CAF is held {len(found)} times, not once")
        return child, found[0], episode.episode_id

    def close(self, case_id: str, on: dt.date | None = None) -> None:
        closure = IcsClosure(closure_date=on or self.cast.today, reason=CinClosureReason.RC8)
        self.sut.close_case(case_id, closure)


@check(
    "ics.referral-on-contactpoint",
    "A referral puts social care's involvement on ContactPoint, with a contact and no case details",
    requirements=["ICS-R01", "ICS-R02"],
    profiles=ICS,
)
def referral_on_contactpoint(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child = s.cast.child()
    case_id = s.sut.open_case(child)
    planted = ctx.token(10)  # a word only the referral's reason holds
    note = f"Referral note {planted}: mother unwell, rent unpaid, Hannah missing school"
    s.referral(case_id, note)
    with ctx.verifying("ICS-R01"):
        started = [m for m in s.to_contactpoint(child, InvolvementStarted) if isinstance(m, InvolvementStarted)]
        ctx.expect(started, "recording a referral sent ContactPoint no InvolvementStarted")
        involvement = started[0].involvement
        ctx.expect(involvement.service.agency_type is AgencyType.SOCIAL_CARE, "the involvement is not social care's")
        contact = (
            involvement.practitioner.contact
            if involvement.practitioner
            else (involvement.team.contact if involvement.team else None)
        )
        ctx.expect(
            contact is not None and (contact.telephone or contact.email or contact.address),
            "the involvement gives no way to contact the worker or the central team",
        )
    with ctx.verifying("ICS-R02"):
        for message in ctx.sent(lambda m: m.header.recipient.system is SystemKind.CONTACTPOINT, wait=0.2):
            text = to_xml(message).decode("utf-8")
            ctx.expect(
                planted not in text, f"the referral's reason reached ContactPoint in a {message.message_type.value}"
            )


@check(
    "ics.closure-ends-involvement",
    "Closing the case ends the involvement on ContactPoint, under the same ID",
    requirements=["ICS-R03"],
    profiles=ICS,
)
def closure_ends_involvement(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child = s.cast.child()
    case_id = s.sut.open_case(child)
    s.referral(case_id, "Young carer")
    started = [m for m in s.to_contactpoint(child, InvolvementStarted) if isinstance(m, InvolvementStarted)]
    closed_on = s.cast.today  # the adapter Protocol opens a case today, so it closes today at the earliest
    s.close(case_id, on=closed_on)
    with ctx.verifying("ICS-R03"):
        ended = [m for m in s.to_contactpoint(child, InvolvementEnded) if isinstance(m, InvolvementEnded)]
        ctx.expect(ended, "closing the case sent ContactPoint no InvolvementEnded")
        ctx.expect(ended[0].end_date == closed_on, f"the involvement ends on {ended[0].end_date}, not {closed_on}")
        if started:
            first = started[0].involvement
            ctx.expect(ended[0].involvement_id == first.involvement_id, "the involvement ended under another ID")
            ctx.expect(ended[0].start_date == first.start_date, "the involvement ended with another start date")


@check(
    "ics.caf-referral",
    "A referral from a CAF is recorded on the case and answered to the eCAF that sent it",
    requirements=["ICS-R04", "ICS-R05"],
    profiles=ICS,
)
def caf_referral(ctx: CheckContext) -> None:
    s = Ics(ctx)
    _child, referral, episode_id = s.from_caf()
    with ctx.verifying("ICS-R05"):
        try:
            s.sut.answer_caf_referral(
                referral.ics_referral_id,
                decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE,
                joining=None,
                representative=False,
            )
            raise CheckFailed("a referral was answered as accepted with nobody joining the TAC")
        except SystemRefusal as refusal:
            ctx.expect(refusal.rule_id == "STEP-001", f"the answer was refused naming {refusal.rule_id}, not STEP-001")
    with ctx.verifying("ICS-R04"):
        record = s.sut.case_record(referral.case_id)
        ctx.expect(
            any(r.caf_episode_id == episode_id for r in record.referrals),
            "the case holds no referral from the CAF episode",
        )
        s.sut.answer_caf_referral(
            referral.ics_referral_id,
            decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE,
            joining=s.social_worker,
            representative=False,
        )
        answers = [
            m
            for m in ctx.sent(lambda m: isinstance(m, SocialCareReferralResponse) and m.episode_id == episode_id)
            if isinstance(m, SocialCareReferralResponse)
        ]
        ctx.expect(answers, "no SocialCareReferralResponse reached the eCAF")
        answer = answers[0]
        ctx.expect(answer.header.recipient == SUITE_NATIONAL_ECAF, f"the answer went to {answer.header.recipient}")
        ctx.expect(answer.referral_id == referral.ecaf_referral_id, "the answer names another referral")
        ctx.expect(
            answer.decision is StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE, f"the answer says {answer.decision}"
        )
        member = answer.joining_member
        ctx.expect(
            member is not None and member.practitioner.practitioner_id == s.social_worker.practitioner_id,
            "the answer does not name the social worker who joins the TAC",
        )
        # Answered once: answering it again is refused, and nothing more is sent.
        try:
            s.sut.answer_caf_referral(
                referral.ics_referral_id,
                decision=StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT,
                joining=s.social_worker,
                representative=False,
            )
            raise CheckFailed("a referral already answered was answered again, differently")
        except SystemRefusal:
            pass
        others = list(
            ctx.sent(lambda m: isinstance(m, SocialCareReferralResponse) and m.episode_id == episode_id, wait=0.2)
        )
        ctx.expect(len(others) == 1, f"{len(others)} answers were sent for one referral")


@check(
    "ics.draft-until-confirmed",
    "CAF content becomes a draft of its own case, on the case record only once a practitioner confirms it",
    requirements=["ICS-R06"],
    profiles=ICS,
)
def draft_until_confirmed(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child, referral, episode_id = s.from_caf()
    other_child, neighbour, other_episode = s.from_caf()
    # The child has a second open case, opened later than the one the CAF referral went to (a second on, for
    # systems that keep times to the second).
    time.sleep(1.1)
    newer = s.sut.open_case(child)
    episode = s.cast.episode(child).model_copy(update={"episode_id": episode_id})
    with ctx.verifying("ICS-R06"):
        ctx.accepted(s.cast.prepopulation(episode, s.identity, s.social_worker))
        drafts = s.sut.drafts(referral.case_id)
        ctx.expect(drafts, "the CAF content did not become a draft of the case its CAF referral went to")
        ctx.expect(not s.sut.drafts(newer), "the CAF content became a draft of the child's newer case, not its own")
        ctx.expect(not s.sut.drafts(neighbour.case_id), "the CAF content became a draft of another child's case")
        draft = drafts[0]
        recorded = {a.assessment_id for a in s.sut.case_record(referral.case_id).initial_assessments}
        ctx.expect(draft not in recorded, "the draft is on the case record before anyone confirmed it")
        # A draft is confirmed through its own case only: named through another child's case (each way round,
        # whichever case's ID sorts first), it is not found.
        theirs = s.cast.episode(other_child).model_copy(update={"episode_id": other_episode})
        ctx.accepted(s.cast.prepopulation(theirs, s.identity, s.social_worker))
        drafted = {referral.case_id: draft, neighbour.case_id: next(iter(s.sut.drafts(neighbour.case_id)), "")}
        for own, other in ((referral.case_id, neighbour.case_id), (neighbour.case_id, referral.case_id)):
            try:
                s.sut.confirm_draft(other, drafted[own], by=s.social_worker)
                raise CheckFailed("a draft was confirmed through another child's case")
            except SystemRefusal:
                pass
            ctx.expect(drafted[own] in s.sut.drafts(own), "confirming a draft through another case confirmed it")
        s.sut.confirm_draft(referral.case_id, draft, by=s.social_worker)
        record = s.sut.case_record(referral.case_id)
        confirmed = [a for a in record.initial_assessments if a.assessment_id == draft]
        ctx.expect(confirmed, "the confirmed assessment is not on the case record")
        caf_texts = _element_texts(episode.assessment.model_dump() if episode.assessment else {})
        shown = confirmed[0].model_dump_json()
        missing = [text for text in caf_texts if text not in shown]
        ctx.expect(
            not missing,
            f"the confirmed initial assessment lacks {len(missing)} of the CAF's {len(caf_texts)} strengths and "
            f"needs, for example {missing[:1]}",
        )
        ctx.expect(
            not s.sut.case_record(neighbour.case_id).initial_assessments,
            "confirming one case's draft put an assessment on another case",
        )


@check(
    "ics.step-down",
    "Stepping down follows closure and hands the outstanding needs to the episode's eCAF",
    requirements=["ICS-R07"],
    profiles=ICS,
)
def step_down(ctx: CheckContext) -> None:
    s = Ics(ctx)
    _child, referral, episode_id = s.from_caf()
    needs = [f"Homework support ({s.cast.token})", "A young carers' group"]
    with ctx.verifying("ICS-R07"):
        try:
            s.sut.step_down(
                referral.case_id,
                episode_id=episode_id,
                social_worker=s.social_worker,
                outstanding_needs=needs,
                request=StepDownRequest.REOPEN,
            )
            raise CheckFailed("a case still open was stepped down")
        except SystemRefusal:
            pass
        s.close(referral.case_id)
        s.sut.step_down(
            referral.case_id,
            episode_id=episode_id,
            social_worker=s.social_worker,
            outstanding_needs=needs,
            request=StepDownRequest.REOPEN,
        )
        sent = [
            m
            for m in ctx.sent(lambda m: isinstance(m, StepDown) and m.episode_id == episode_id)
            if isinstance(m, StepDown)
        ]
        ctx.expect(sent, "no StepDown reached the eCAF")
        ctx.expect(sent[0].header.recipient == SUITE_NATIONAL_ECAF, f"the StepDown went to {sent[0].header.recipient}")
        ctx.expect(list(sent[0].outstanding_needs) == needs, "the StepDown does not carry the outstanding needs")


def _local(s: Ics, ctx: CheckContext, episode: object) -> None:
    try:
        s.sut.hold_local_episode(episode)  # type: ignore[arg-type]
    except NotFound:
        ctx.skip("the system has no local eCAF module")


@check(
    "ics.local-episode-transfer",
    "A local episode is transferred whole, and only once",
    requirements=["ICS-R08"],
    profiles=ICS,
)
def local_episode_transfer(ctx: CheckContext) -> None:
    s = Ics(ctx)
    episode = s.cast.episode(s.cast.child())
    _local(s, ctx, episode)
    with ctx.verifying("ICS-R08"):
        s.sut.transfer_local_episode(episode.episode_id, to=SUITE_NATIONAL_ECAF, to_la="204", reason="The family moved")
        sent = [
            m
            for m in ctx.sent(lambda m: isinstance(m, EpisodeTransfer) and m.episode.episode_id == episode.episode_id)
            if isinstance(m, EpisodeTransfer)
        ]
        ctx.expect(sent, "no EpisodeTransfer reached National eCAF")
        moved = sent[0].episode
        for part in ("assessment", "consents", "tac_members", "lead_professional", "child"):
            ctx.expect(getattr(moved, part) == getattr(episode, part), f"the episode sent is not whole: {part}")
        try:
            s.sut.transfer_local_episode(episode.episode_id, to=SUITE_NATIONAL_ECAF, to_la="204", reason="Again")
            raise CheckFailed("an episode that had left was transferred again")
        except SystemRefusal:
            pass


@check(
    "ics.migration-consent",
    "A migration batch holds only episodes with consent to store, under a true manifest; batch after batch",
    requirements=["ICS-R09"],
    profiles=ICS,
)
def migration_consent(ctx: CheckContext) -> None:
    s = Ics(ctx)
    consented = s.cast.episode(s.cast.child())
    later = s.cast.episode(s.cast.child(given="Amy"))
    unconsented = s.cast.episode(s.cast.child(given="Chloe"), consents=[], with_lead=False, with_assessment=False)
    unconsented = unconsented.model_copy(update={"tac_members": []})
    _local(s, ctx, consented)
    s.sut.hold_local_episode(unconsented)
    s.sut.hold_local_episode(later)
    batches = [s.cast.serial("BATCH"), s.cast.serial("BATCH")]
    with ctx.verifying("ICS-R09"):
        s.sut.export_migration_batch(batches[0], [consented.episode_id, unconsented.episode_id])
        s.sut.export_migration_batch(batches[1], [later.episode_id])
        sent = {
            m.manifest.batch_id: m
            for m in ctx.sent(lambda m: isinstance(m, MigrationBatch) and m.manifest.batch_id in batches, at_least=2)
            if isinstance(m, MigrationBatch)
        }
        ctx.expect(set(sent) == set(batches), f"of two batches exported, {sorted(sent)} reached National eCAF")
        ids = [e.episode_id for e in sent[batches[0]].episodes]
        ctx.expect(consented.episode_id in ids, "the episode with consent to store was left out")
        ctx.expect(unconsented.episode_id not in ids, "an episode without consent to store was migrated")
        ctx.expect(
            [e.episode_id for e in sent[batches[1]].episodes] == [later.episode_id],
            "the second batch does not hold exactly the episode it was asked for",
        )
        for batch in sent.values():
            errors = [f.rule_id for f in run_rules(batch) if f.severity.value == "error"]
            ctx.expect(not errors, f"the batch {batch.manifest.batch_id} breaks {errors}")


@check(
    "ics.case-transfer-out",
    "A case record transfer carries the confirmed record, never a draft",
    requirements=["ICS-R10"],
    profiles=ICS,
)
def case_transfer_out(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child, referral, episode_id = s.from_caf()
    episode = s.cast.episode(child).model_copy(update={"episode_id": episode_id})
    ctx.accepted(s.cast.prepopulation(episode, s.identity, s.social_worker))
    drafts = set(s.sut.drafts(referral.case_id))
    with ctx.verifying("ICS-R10"):
        s.sut.transfer_case(referral.case_id, to=SUITE_ICS, to_la="204", reason="The family moved")
        sent = [
            m
            for m in ctx.sent(
                lambda m: (
                    isinstance(m, CaseRecordTransfer)
                    and m.case_record.child.identifiers.nhs_number == child.identifiers.nhs_number
                )
            )
            if isinstance(m, CaseRecordTransfer)
        ]
        ctx.expect(sent, "no CaseRecordTransfer reached the receiving ICS")
        transfer = sent[0]
        ctx.expect(transfer.header.recipient == SUITE_ICS, f"the record went to {transfer.header.recipient}")
        carried = {a.assessment_id for a in transfer.case_record.initial_assessments}
        ctx.expect(not (carried & drafts), "the transfer carries an unconfirmed draft assessment")
        ctx.expect(
            any(r.caf_episode_id == episode_id for r in transfer.case_record.referrals),
            "the transfer lacks the case's referral",
        )


@check(
    "ics.case-transfer-in",
    "A case record transferred in becomes one case, even when sent again",
    requirements=["ICS-R11"],
    profiles=ICS,
)
def case_transfer_in(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child = s.cast.child()
    message = s.cast.case_record_transfer(child, s.identity, to_la=s.la_code)
    before = set(s.sut.case_ids())
    with ctx.verifying("ICS-R11"):
        ctx.accepted(message)

        def cases_of_child() -> list[str]:
            new = [c for c in s.sut.case_ids() if c not in before]
            return [c for c in new if s.sut.case_record(c).child.identifiers.nhs_number == child.identifiers.nhs_number]

        cases = cases_of_child()
        ctx.expect(len(cases) == 1, f"the transferred record made {len(cases)} cases")
        record = s.sut.case_record(cases[0])
        sent_referrals = {r.referral_id for r in message.case_record.referrals}
        ctx.expect(
            sent_referrals <= {r.referral_id for r in record.referrals}, "the case lacks the transferred referral"
        )
        again = message.model_copy(
            update={"header": s.cast.case_record_transfer(child, s.identity, to_la=s.la_code).header}
        )
        ctx.accepted(again)
        ctx.expect(len(cases_of_child()) == 1, "sending the record again made a second case")
        # Another child's record from the same authority is another case, not the first one sent again.
        sibling = s.cast.child(given="Chloe")
        ctx.accepted(s.cast.case_record_transfer(sibling, s.identity, to_la=s.la_code))
        theirs = [
            c
            for c in s.sut.case_ids()
            if c not in before and s.sut.case_record(c).child.identifiers.nhs_number == sibling.identifiers.nhs_number
        ]
        ctx.expect(len(theirs) == 1, f"a second record from the same authority made {len(theirs)} cases, not one")


@check(
    "ics.chronology",
    "Every record adds an entry to its own case's chronology, and to no other case's, whatever its length",
    requirements=["ICS-R12"],
    profiles=ICS,
)
def chronology(ctx: CheckContext) -> None:
    s = Ics(ctx)
    # Two cases side by side: each record must land on its own case only.
    cases = [s.sut.open_case(s.cast.child()), s.sut.open_case(s.cast.child(given="Chloe"))]
    long_reason = f"Young carer ({s.cast.token}): " + "the school reports falling attendance and tiredness; " * 6
    with ctx.verifying("ICS-R12"):
        counts = {case: [len(s.sut.case_record(case).chronology)] for case in cases}
        referrals = {case: s.referral(case, long_reason if case == cases[0] else "Young carer") for case in cases}
        for case in cases:
            counts[case].append(len(s.sut.case_record(case).chronology))
        s.close(cases[0])
        for case in cases:
            counts[case].append(len(s.sut.case_record(case).chronology))
        for case in cases:
            ctx.expect(counts[case][1] > counts[case][0], "recording a referral added nothing to the chronology")
            record = s.sut.case_record(case)
            held = {r.referral_id for r in record.referrals}
            ctx.expect(
                held == {referrals[case].referral_id},
                f"case {case} holds the referrals {sorted(held)}, not only its own",
            )
        ctx.expect(counts[cases[0]][2] > counts[cases[0]][1], "closing the case added nothing to the chronology")
        ctx.expect(
            counts[cases[1]][2] == counts[cases[1]][1], "closing one case added an entry to another case's chronology"
        )
    # A CAF referral not accepted, on a case that holds another referral: that one stays as it was recorded.
    _child, declined, _episode = s.from_caf()
    with ctx.verifying("ICS-R12"):
        recorded = s.referral(declined.case_id, "Young carer, referred by the school nurse")
        s.sut.answer_caf_referral(
            declined.ics_referral_id, decision=StepUpDecision.NOT_ACCEPTED, joining=None, representative=False
        )
        on_case = {r.referral_id: r for r in s.sut.case_record(declined.case_id).referrals}
        ctx.expect(len(on_case) == 2, f"the case holds {len(on_case)} referrals, not its two")
        ctx.expect(
            on_case.get(recorded.referral_id) == recorded,
            "answering a CAF referral 'not accepted' changed another referral of the case",
        )
    # A social worker with long names (100 letters each, as the standard allows) joins from a CAF referral:
    # the case's chronology still gains its entries.
    _child, referral, _episode = s.from_caf()
    long_named = s.social_worker.model_copy(
        update={"name": s.social_worker.name.model_copy(update={"given_names": "Jo" * 50, "family_name": "Kay" * 33})}
    )
    with ctx.verifying("ICS-R12"):
        before = len(s.sut.case_record(referral.case_id).chronology)
        s.sut.answer_caf_referral(
            referral.ics_referral_id,
            decision=StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE,
            joining=long_named,
            representative=False,
        )
        after = len(s.sut.case_record(referral.case_id).chronology)
        ctx.expect(
            after > before, "answering a referral with a long-named social worker added nothing to the chronology"
        )


@check(
    "ics.local-ecaf-tells-contactpoint",
    "A CAF logged in the local eCAF module tells ContactPoint a CAF exists and who completed it, with no content",
    requirements=["ECAF-R01"],
    profiles=ICS,
)
def local_ecaf_tells_contactpoint(ctx: CheckContext) -> None:
    s = Ics(ctx)
    child = s.cast.child()
    episode = s.cast.episode(child)
    _local(s, ctx, episode)
    with ctx.verifying("ECAF-R01"):
        told = [m for m in s.to_contactpoint(child, CafIndicatorUpdate) if isinstance(m, CafIndicatorUpdate)]
        ctx.expect(told, "holding a CAF in the local eCAF module sent ContactPoint no CafIndicatorUpdate")
        update = told[0]
        ctx.expect(update.caf_exists, "the update does not say a CAF exists")
        assert episode.assessment is not None
        ctx.expect(
            update.completed_by.practitioner_id == episode.assessment.assessor.practitioner_id,
            f"the update names {update.completed_by.practitioner_id}, not the practitioner who completed the CAF",
        )
        text = to_xml(update).decode("utf-8")
        for content in caf_content(episode):
            ctx.expect(content not in text, f"the update to ContactPoint carries content of the CAF: {content[:60]!r}")


def caf_content(episode: CafEpisode) -> list[str]:
    """Every free text of an episode's assessment (what must never reach ContactPoint)."""
    assessment = episode.assessment
    if assessment is None:
        return []
    texts = [assessment.reason, assessment.conclusions or "", assessment.assessment_id]
    texts += _element_texts(assessment.model_dump())
    return [t for t in texts if len(t) >= 8]


def _element_texts(data: object) -> list[str]:
    """The strengths and needs recorded for each element of an assessment (its model_dump)."""
    if isinstance(data, dict):
        found = [str(v) for k, v in data.items() if k in ("strengths", "needs") and v]
        return found + [t for k, v in data.items() if k not in ("strengths", "needs") for t in _element_texts(v)]
    if isinstance(data, list):
        return [t for item in data for t in _element_texts(item)]
    return []
