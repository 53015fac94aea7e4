"""Stepping up from a CAF into social care (F4), and stepping down again (F6): seed §4.2, §4.3.

Stepping up. A `SocialCareReferral` from an eCAF becomes a referral on the child's open case
(or a new case), with the CAF episode it came from and a CIN referral source: the one the
authority configured for CAF referrals (for example '5D', early help), or else the one of
the referrer's agency. Recording it puts social care's involvement on ContactPoint (F2), as
any referral does. A practitioner then answers: who from social care joins the Team Around
the Child (an allocated social worker, or a representative until one is), and what becomes
of the episode; the `SocialCareReferralResponse` goes back to the eCAF that referred.

Stepping down. Once social care's involvement has ended (the case is closed), the social
worker hands the outstanding needs back to the CAF episode, asking for it to be re-opened or
re-assessed; the `StepDown` goes to the eCAF the referral came from, National eCAF by default.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import Connection, insert, select, update

from ics_interop import catalogue
from ics_interop.messages import (
    MessageType,
    SocialCareReferral,
    SocialCareReferralResponse,
    StepDown,
    StepDownRequest,
    StepUpDecision,
    SystemRef,
)
from ics_interop.model import CafEpisode, IcsReferral, Practitioner, TacMember

from ..messaging import new_header
from .case_file import add_chronology, child_of, find_open_case_for, load_case
from .case_rules import check_date, check_period
from .casework import allocate_worker, open_case, record
from .context import REFERRAL_SOURCE_BY_AGENCY, IcsContext, build, document, require_addressed_here
from .errors import ChangeRefused, refusal
from .tables import RecordKind
from .views import CafReferral

__all__ = ["caf_episode_of", "caf_referral", "receive_social_care_referral", "respond_to_caf_referral", "step_down"]


def receive_social_care_referral(connection: Connection, ctx: IcsContext, message: SocialCareReferral) -> None:
    """F4 in: record the referral from the CAF on the child's case, and await a practitioner's answer."""
    require_addressed_here(ctx, message.header.recipient)
    table = ctx.tables.caf_referrals
    sender = message.header.sender
    resent = connection.execute(
        select(table.c.ics_referral_id).where(
            table.c.sender_org == sender.organisation_id, table.c.ecaf_referral_id == message.referral_id
        )
    ).first()
    if resent is not None:
        # The same referral sent again under a new message ID: it is on the case already.
        return
    episode = message.episode
    row = find_open_case_for(connection, ctx, episode.child)
    if row is None:
        row = open_case(connection, ctx, episode.child, opened_on=message.referral_date)
    source = ctx.settings.caf_referral_source or REFERRAL_SOURCE_BY_AGENCY[message.referred_by.organisation.agency_type]
    referral = IcsReferral(
        referral_id=ctx.new_id("REF"),
        referral_date=message.referral_date,
        source=source,
        reason=message.reason,
        caf_episode_id=episode.episode_id,
    )
    record(
        connection,
        ctx,
        row.case_id,
        referral,
        event=f"Referral from CAF episode {episode.episode_id} (stepping up)",
    )
    connection.execute(
        insert(table).values(
            ics_referral_id=referral.referral_id,
            case_id=row.case_id,
            message_id=message.header.message_id,
            sender=document(sender),
            sender_org=sender.organisation_id,
            ecaf_referral_id=message.referral_id,
            episode_id=episode.episode_id,
            referral_date=message.referral_date,
            referred_by=document(message.referred_by),
            episode=document(episode),
            state="awaiting",
            received_at=ctx.clock(),
        )
    )


def caf_referral(connection: Connection, ctx: IcsContext, ics_referral_id: str) -> CafReferral:
    """A referral from a CAF and its answer so far."""
    row = connection.execute(
        select(ctx.tables.caf_referrals).where(ctx.tables.caf_referrals.c.ics_referral_id == ics_referral_id)
    ).first()
    if row is None:
        raise refusal("ICS-019", f"there is no referral from a CAF with ID {ics_referral_id!r}", where="referralId")
    return CafReferral(
        ics_referral_id=row.ics_referral_id,
        case_id=row.case_id,
        ecaf_referral_id=row.ecaf_referral_id,
        episode_id=row.episode_id,
        referral_date=row.referral_date,
        referred_by=Practitioner.model_validate(row.referred_by),
        sender=SystemRef.model_validate(row.sender),
        state=row.state,
        decision=StepUpDecision(row.decision) if row.decision is not None else None,
        decided_on=row.decided_on,
    )


def caf_episode_of(connection: Connection, ctx: IcsContext, ics_referral_id: str) -> CafEpisode:
    """The CAF episode a referral came with (shared under the child's consent)."""
    table = ctx.tables.caf_referrals
    found = connection.scalar(select(table.c.episode).where(table.c.ics_referral_id == ics_referral_id))
    if found is None:
        raise refusal("ICS-019", f"there is no referral from a CAF with ID {ics_referral_id!r}", where="referralId")
    return CafEpisode.model_validate(found)


def respond_to_caf_referral(
    connection: Connection,
    ctx: IcsContext,
    ics_referral_id: str,
    decision: StepUpDecision,
    joining: Practitioner | None,
    *,
    representative: bool = False,
    decided_on: date | None = None,
) -> SocialCareReferralResponse:
    """F4 out: answer a referral from a CAF; an accepted one names who joins the TAC (STEP-001)."""
    table = ctx.tables.caf_referrals
    current = caf_referral(connection, ctx, ics_referral_id)
    if current.state == "decided":
        detail = f"referral {ics_referral_id} was answered {current.decision.value if current.decision else ''!r}"
        raise refusal("ICS-011", detail, where="decision")
    if decision is not StepUpDecision.NOT_ACCEPTED and joining is None:
        rule = catalogue()["STEP-001"]
        raise ChangeRefused(
            rule.id,
            f"{rule.title}: decision {decision.value!r} but nobody from social care joins the TAC",
            where="joiningMember",
            hint=rule.hint,
        )
    row = load_case(connection, ctx, current.case_id)
    decided_on = decided_on or ctx.today()
    check_date(ctx, child_of(row), decided_on, "decidedOn")
    check_period(current.referral_date, decided_on, end_where="decidedOn", start_what="the referral")
    member = (
        TacMember(practitioner=joining, joined_on=decided_on, social_care_representative=representative)
        if joining is not None
        else None
    )
    message = SocialCareReferralResponse(
        header=new_header(
            MessageType.SOCIAL_CARE_REFERRAL_RESPONSE,
            ctx.identity,
            current.sender,
            ctx.clock(),
            correlation_id=connection.scalar(
                select(table.c.message_id).where(table.c.ics_referral_id == ics_referral_id)
            ),
        ),
        episode_id=current.episode_id,
        referral_id=current.ecaf_referral_id,
        ics_referral_id=ics_referral_id,
        joining_member=member,
        decision=decision,
        decided_on=decided_on,
    )
    ctx.send(connection, message)
    connection.execute(
        update(table)
        .where(table.c.ics_referral_id == ics_referral_id)
        .values(
            state="pending" if decision is StepUpDecision.PENDING else "decided",
            decision=decision.value,
            decided_on=decided_on,
            response_message_id=message.header.message_id,
        )
    )
    add_chronology(connection, ctx, current.case_id, decided_on, f"Answer to the CAF referral: {decision.label}")
    if decision is StepUpDecision.NOT_ACCEPTED:
        _mark_no_further_action(connection, ctx, current.case_id, ics_referral_id)
    elif joining is not None and not representative and row.state == "open":
        allocate_worker(connection, ctx, current.case_id, joining)
    return message


def _mark_no_further_action(connection: Connection, ctx: IcsContext, case_id: str, referral_id: str) -> None:
    records = ctx.tables.records
    where = (records.c.case_id == case_id, records.c.kind == RecordKind.REFERRAL, records.c.record_id == referral_id)
    found = connection.scalar(select(records.c.document).where(*where))
    if found is not None:
        referral = IcsReferral.model_validate(found).model_copy(update={"no_further_action": True})
        connection.execute(update(records).where(*where).values(document=document(referral)))


def step_down(
    connection: Connection,
    ctx: IcsContext,
    case_id: str,
    episode_id: str,
    social_worker: Practitioner,
    outstanding_needs: list[str],
    request: StepDownRequest,
) -> StepDown:
    """F6: hand the outstanding needs of a closed case back to the CAF episode."""
    row = load_case(connection, ctx, case_id)
    if row.state != "closed" or row.closure is None:
        raise refusal("ICS-012", f"case {case_id} is still open", where="caseId")
    table = ctx.tables.caf_referrals
    referred_from = connection.scalar(
        select(table.c.sender)
        .where(table.c.case_id == case_id, table.c.episode_id == episode_id)
        .order_by(table.c.received_at.desc())
    )
    recipient = SystemRef.model_validate(referred_from) if referred_from is not None else ctx.settings.national_ecaf
    ended_on = date.fromisoformat(row.closure["closureDate"])
    message = build(
        StepDown,
        header=new_header(MessageType.STEP_DOWN, ctx.identity, recipient, ctx.clock()),
        episode_id=episode_id,
        child=child_of(row),
        social_worker=social_worker,
        social_care_ended_on=ended_on,
        outstanding_needs=outstanding_needs,
        request=request,
    )
    ctx.send(connection, message)
    add_chronology(
        connection,
        ctx,
        case_id,
        ctx.today(),
        f"Stepped down to CAF episode {episode_id} ({request.label.lower()})",
        "\n".join(outstanding_needs),
    )
    return message
