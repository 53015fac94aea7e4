"""Stepping up to social care and down again (F4, F5, F6; seed §4.2, §4.3).

Stepping up. A practitioner refers the child to social care from the CAF: the referral carries
the episode, so the child's consent for the receiving organisation must be on the ledger
(CAF-002). The ICS answers with who joins the TAC (the social worker, or a social services
representative until one is allocated) and what becomes of the episode: it stays open as
social care's responsibility (the structured `responsibility` field, where the seed's
system had free text), it closes as "transfer to alternative holistic assessment", or the
decision is still pending (the member joins; nothing else changes). A social worker joining
takes over from a representative of the same organisation, who leaves the TAC.

Pre-population. On a social worker's request, the assessment goes to the ICS as a draft
initial assessment (F5), with the consent records that allow it.

Stepping down. Social care hands outstanding needs back: the episode is re-opened (status
open, closure cleared, responsibility back to the CAF lead) or a re-assessment starts (also
open). The outstanding needs are recorded as a review entry of the episode, which names the
social worker, the request and each need: actions need an owner in the TAC (CAF-005), and
who will meet each need is for the TAC to agree, so they are not made actions.
"""

from __future__ import annotations

from sqlalchemy import insert, select, update
from sqlalchemy.engine import Connection

from ics_interop import MessageType, SystemRef
from ics_interop.messages import (
    InitialAssessmentPrepopulation,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
)
from ics_interop.model import CafEpisode, CafReview, Child, Practitioner, TacMember
from ics_interop.model.codes import CafClosureReason, CafResponsibility, CafStatus

from ..messaging import new_header, route_key
from . import audit, episodes
from .changes import save_change
from .conformity import consent_refusal
from .context import Context
from .directory_feed import notify_caf_exists, notify_closed
from .errors import ChangeRefused, ConsentRefused, values_checked
from .ledger import require_access
from .refusals import refusal

__all__ = [
    "handle_referral_response",
    "handle_step_down",
    "offer_to_initial_assessment",
    "refer_to_social_care",
]

_TEXT_LIMIT = 4000


def refer_to_social_care(ctx: Context, episode_id: str, referred_by: Practitioner, reason: str, to: SystemRef) -> str:
    """F4: refer the child to social care with the episode; return the referral's ID.

    The receiving organisation needs consent on the ledger (CAF-002); the referrer needs access.
    """
    purpose = f"refer episode {episode_id} to social care ({to.organisation_id})"
    try:
        with ctx.store.transaction() as connection:
            held = episodes.get(connection, ctx.tables, episode_id, for_update=True)
            require_access(held.episode, referred_by, purpose)
            if held.episode.status is CafStatus.CLOSED:
                raise refusal("NECAF-003", f"episode {episode_id} is closed; re-open it to refer", where="status")
            referral_id = ctx.new_id("REF")
            with values_checked():
                message = SocialCareReferral(
                    header=new_header(MessageType.SOCIAL_CARE_REFERRAL, ctx.identity, to, ctx.now()),
                    referral_id=referral_id,
                    referral_date=ctx.today(),
                    referred_by=referred_by,
                    reason=reason,
                    episode=held.episode,
                )
            _send_disclosure(ctx, connection, message, to, episode_id, purpose)
            connection.execute(
                insert(ctx.tables.referrals).values(
                    referral_id=referral_id,
                    episode_id=episode_id,
                    message_id=message.header.message_id,
                    to_organisation=to.organisation_id,
                    referred_on=ctx.today(),
                    referred_by=referred_by.practitioner_id,
                    status="sent",
                )
            )
            return referral_id
    except ConsentRefused as refused:
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="disclosure-refused")
        raise


def offer_to_initial_assessment(ctx: Context, episode_id: str, requested_by: Practitioner, to: SystemRef) -> str:
    """F5: send the assessment to an ICS as a draft initial assessment; return the message ID.

    Needs consent for the requester or their organisation (and the standard's CAF-002 for the
    receiving organisation or the requester). The consent records for them travel with it.
    """
    purpose = f"offer episode {episode_id} to an initial assessment at {to.organisation_id}"
    try:
        with ctx.store.transaction() as connection:
            held = episodes.get(connection, ctx.tables, episode_id)
            episode = held.episode
            require_access(episode, requested_by, purpose)
            if episode.assessment is None:
                raise refusal("NECAF-006", f"episode {episode_id} has no assessment yet", where="assessment")
            parties = {requested_by.practitioner_id, requested_by.organisation.organisation_id, to.organisation_id}
            message = InitialAssessmentPrepopulation(
                header=new_header(MessageType.INITIAL_ASSESSMENT_PREPOPULATION, ctx.identity, to, ctx.now()),
                episode_id=episode_id,
                child=episode.child,
                assessment=episode.assessment,
                consents=[c for c in episode.consents if (c.practitioner_id or c.organisation_id) in parties],
                requested_by=requested_by,
            )
            _send_disclosure(ctx, connection, message, to, episode_id, purpose, practitioner=requested_by)
            return str(message.header.message_id)
    except ConsentRefused as refused:
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="disclosure-refused")
        raise


def _send_disclosure(
    ctx: Context,
    connection: Connection,
    message: SocialCareReferral | InitialAssessmentPrepopulation,
    to: SystemRef,
    episode_id: str,
    purpose: str,
    *,
    practitioner: Practitioner | None = None,
) -> None:
    """Send a message that carries CAF content, and audit the disclosure; CAF-002 failures are consent refusals."""
    try:
        ctx.send(connection, message, route_key(to))
    except ChangeRefused as exc:
        refused = consent_refusal(
            exc,
            episode_id=episode_id,
            practitioner_id=practitioner.practitioner_id if practitioner else None,
            organisation_id=to.organisation_id,
            purpose=purpose,
        )
        if refused is None:
            raise
        raise refused from None
    audit.record(
        connection,
        ctx.tables,
        at=ctx.now(),
        episode_id=episode_id,
        practitioner_id=practitioner.practitioner_id if practitioner else None,
        organisation_id=to.organisation_id,
        action="disclosed",
        reason=f"{purpose}: {message.message_type.value} {message.header.message_id}",
    )


def handle_referral_response(ctx: Context, connection: Connection, message: SocialCareReferralResponse) -> None:
    """F4: social care's answer: the member joins the TAC and the episode's responsibility or closure is recorded."""
    referral = (
        connection.execute(
            select(ctx.tables.referrals).where(ctx.tables.referrals.c.referral_id == message.referral_id)
        )
        .mappings()
        .first()
    )
    if referral is None or referral["episode_id"] != message.episode_id:
        raise refusal(
            "NECAF-004",
            f"no referral {message.referral_id} was sent for episode {message.episode_id}",
            where="referralId",
        )
    connection.execute(
        update(ctx.tables.referrals)
        .where(ctx.tables.referrals.c.referral_id == message.referral_id)
        .values(status=message.decision.value, ics_referral_id=message.ics_referral_id, decided_on=message.decided_on)
    )
    if message.decision is StepUpDecision.NOT_ACCEPTED:
        return
    held = episodes.get(connection, ctx.tables, message.episode_id, for_update=True)
    if held.episode.status is CafStatus.CLOSED:
        raise refusal("NECAF-003", f"episode {message.episode_id} is closed", where="episodeId")
    joining = message.joining_member
    assert joining is not None  # STEP-001, checked by the receiver's validation
    changed = _with_member(held.episode, joining)
    if message.decision is StepUpDecision.RESPONSIBILITY_TO_SOCIAL_CARE:
        changed = changed.model_copy(update={"responsibility": CafResponsibility.SOCIAL_CARE})
    elif message.decision is StepUpDecision.CLOSE_ALTERNATIVE_ASSESSMENT:
        changed = changed.model_copy(
            update={
                "status": CafStatus.CLOSED,
                "closure_reason": CafClosureReason.ALTERNATIVE_HOLISTIC_ASSESSMENT,
                "closed_on": message.decided_on,
            }
        )
    social_worker = joining.practitioner
    saved = save_change(
        ctx,
        connection,
        held,
        changed,
        practitioner_id=social_worker.practitioner_id,
        organisation_id=social_worker.organisation.organisation_id,
        what=f"social care answered referral {message.referral_id}: {message.decision.value}",
    )
    if saved.status is CafStatus.CLOSED:
        notify_closed(ctx, connection, saved, social_worker)


def _with_member(episode: CafEpisode, joining: TacMember) -> CafEpisode:
    """The TAC with social care's member in it; an allocated social worker takes over from a representative."""
    joining_id = joining.practitioner.practitioner_id
    organisation = joining.practitioner.organisation.organisation_id
    members = []
    for member in episode.tac_members:
        stands_in = (
            member.left_on is None
            and member.social_care_representative
            and not joining.social_care_representative
            and member.practitioner.organisation.organisation_id == organisation
            and member.practitioner.practitioner_id != joining_id
        )
        members.append(member.model_copy(update={"left_on": joining.joined_on}) if stands_in else member)
    if not any(m.practitioner.practitioner_id == joining_id and m.left_on is None for m in members):
        members.append(joining)
    return episode.model_copy(update={"tac_members": members})


def _same_child(held: Child, named: Child) -> bool:
    """False only when both name the same national identifier with different values."""
    a, b = held.identifiers, named.identifiers
    pairs = ((a.contactpoint_id, b.contactpoint_id), (a.nhs_number, b.nhs_number), (a.upn, b.upn))
    return all(x is None or y is None or x == y for x, y in pairs)


def handle_step_down(ctx: Context, connection: Connection, message: StepDown) -> None:
    """F6: outstanding needs come back to the CAF; the episode is re-opened, or a re-assessment starts."""
    held = episodes.get(connection, ctx.tables, message.episode_id, for_update=True)
    if not _same_child(held.episode.child, message.child):
        raise refusal("NECAF-010", f"episode {message.episode_id} is about another child", where="child.identifiers")
    was_closed = held.episode.status is CafStatus.CLOSED
    worker = message.social_worker
    if message.request is StepDownRequest.REOPEN:
        outcome = "The episode is re-opened" if was_closed else "The episode continues"
    else:
        outcome = "A CAF re-assessment is to be completed and recorded" + (" (episode re-opened)" if was_closed else "")
    needs = " ".join(f"({i}) {need}" for i, need in enumerate(message.outstanding_needs, start=1))
    summary = (
        f"Stepped down from children's social care by {worker.name.given_names} {worker.name.family_name} "
        f"({worker.role}, {worker.organisation.name}); social care involvement ended "
        f"{message.social_care_ended_on.isoformat()}. Request: {message.request.value}. {outcome}. "
        f"Outstanding needs: {needs}"
    )
    if len(summary) > _TEXT_LIMIT:
        summary = summary[: _TEXT_LIMIT - 1] + "…"
    review = CafReview(review_id=ctx.new_id("REV"), review_date=message.effective_date, summary=summary)
    changed = held.episode.model_copy(
        update={
            "status": CafStatus.OPEN,
            "closure_reason": None,
            "closed_on": None,
            "responsibility": CafResponsibility.CAF_LEAD,
            "reviews": [*held.episode.reviews, review],
        }
    )
    saved = save_change(
        ctx,
        connection,
        held,
        changed,
        practitioner_id=worker.practitioner_id,
        organisation_id=worker.organisation.organisation_id,
        what=f"stepped down from social care ({message.request.value})",
    )
    if was_closed:
        notify_caf_exists(ctx, connection, saved, worker)
