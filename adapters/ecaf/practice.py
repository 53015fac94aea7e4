"""What practitioners do with a CAF episode: log it, record consent, build the TAC, act, review, share, close.

Each operation is one transaction, checked against the standard before anything is stored
(see `changes`). The practitioner acting (`by`) must hold consent on the episode's ledger,
as anyone reading it must (seed §2.2): a TAC member with consent records the actions and
reviews, as in Hannah's story (seed §3.1). Logging a CAF, updating its assessment and
appointing a lead professional tell ContactPoint in the same transaction (F3); closing tells
it the CAF no longer exists when no other episode is open for the child.
"""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy.engine import Connection

from ics_interop.model import (
    CafAction,
    CafAssessment,
    CafEpisode,
    CafReview,
    Child,
    ConsentRecord,
    LeadProfessional,
    Practitioner,
    TacMember,
)
from ics_interop.model.codes import CafClosureReason, CafStatus

from . import audit, episodes
from .changes import change_episode
from .conformity import consent_refusal, require_conforming
from .context import Context
from .directory_feed import notify_caf_exists, notify_closed
from .errors import ChangeRefused, ConsentRefused, InvalidInput
from .ledger import may_access, require_access, without_lapsed_shares
from .refusals import refusal

__all__ = [
    "add_action",
    "add_tac_member",
    "appoint_lead_professional",
    "close_episode",
    "complete_action",
    "log_episode",
    "read_episode",
    "record_consent",
    "record_review",
    "share_with",
    "update_assessment",
]


def log_episode(
    ctx: Context,
    *,
    child: Child,
    assessment: CafAssessment,
    consents: list[ConsentRecord],
    by: Practitioner,
    episode_id: str | None = None,
    opened_on: dt.date | None = None,
) -> CafEpisode:
    """Log a new CAF episode with its assessment and the consent to store and share it; tell ContactPoint."""
    try:
        episode = CafEpisode(
            episode_id=episode_id or ctx.new_id("EP"),
            child=child,
            status=CafStatus.OPEN,
            opened_on=opened_on or ctx.today(),
            assessment=assessment,
            consents=consents,
        )
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc, where="episode") from None
    try:
        with ctx.store.transaction() as connection:
            if episodes.find(connection, ctx.tables, episode.episode_id) is not None:
                raise refusal("NECAF-002", f"episode {episode.episode_id} is already held", where="episodeId")
            require_access(episode, by, "log")
            checked = require_conforming(episode, ctx.identity, ctx.now())
            episodes.insert_episode(
                connection,
                ctx.tables,
                checked,
                origin="logged",
                now=ctx.now(),
                la_code=by.organisation.la_code,
            )
            audit.record(
                connection,
                ctx.tables,
                at=ctx.now(),
                episode_id=checked.episode_id,
                practitioner_id=by.practitioner_id,
                organisation_id=by.organisation.organisation_id,
                action="changed",
                reason="logged the CAF episode",
            )
            notify_caf_exists(ctx, connection, checked, by)
            return checked
    except ConsentRefused as refused:
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="change-refused")
        raise


def read_episode(
    ctx: Context, episode_id: str, *, practitioner_id: str, organisation_id: str | None, reason: str
) -> CafEpisode:
    """The episode, for a practitioner with consent on record; every read, permitted or refused, is audited."""
    if not reason.strip():
        raise InvalidInput(
            "MODEL-MISSING", "a read needs a reason", where="reason", hint="Say why the episode is being read."
        )
    with ctx.store.transaction() as connection:
        held = episodes.get(connection, ctx.tables, episode_id)
        permitted = may_access(held.episode, practitioner_id, organisation_id)
        audit.record(
            connection,
            ctx.tables,
            at=ctx.now(),
            episode_id=episode_id,
            practitioner_id=practitioner_id,
            organisation_id=organisation_id,
            action="read" if permitted else "read-refused",
            reason=reason,
        )
    if not permitted:
        raise ConsentRefused(
            f"no consent is on record for {practitioner_id}"
            + (f" or {organisation_id}" if organisation_id else "")
            + f" to read episode {episode_id}",
            episode_id=episode_id,
            practitioner_id=practitioner_id,
            organisation_id=organisation_id,
            purpose=reason,
        )
    return held.episode


def record_consent(ctx: Context, episode_id: str, consent: ConsentRecord, *, by: Practitioner) -> CafEpisode:
    """Add a consent decision to the ledger; a withdrawal also ends sharing with whoever no longer holds consent.

    Consent may be recorded on a closed episode too: a child may withdraw it at any time.
    """

    def mutate(episode: CafEpisode, _today: dt.date) -> CafEpisode:
        return without_lapsed_shares(episode.model_copy(update={"consents": [*episode.consents, consent]}))

    subject = consent.practitioner_id or consent.organisation_id
    return change_episode(
        ctx, episode_id, by, f"record consent {consent.decision.value} for {subject}", mutate, closed_ok=True
    )


def add_tac_member(
    ctx: Context,
    episode_id: str,
    practitioner: Practitioner,
    *,
    by: Practitioner,
    joined_on: dt.date | None = None,
    social_care_representative: bool = False,
) -> CafEpisode:
    """Add a practitioner to the Team Around the Child."""

    def mutate(episode: CafEpisode, today: dt.date) -> CafEpisode:
        if any(
            m.practitioner.practitioner_id == practitioner.practitioner_id and m.left_on is None
            for m in episode.tac_members
        ):
            raise refusal("NECAF-005", f"{practitioner.practitioner_id} is already in the TAC", where="tacMembers")
        member = TacMember(
            practitioner=practitioner,
            joined_on=joined_on or today,
            social_care_representative=social_care_representative,
        )
        return episode.model_copy(update={"tac_members": [*episode.tac_members, member]})

    return change_episode(ctx, episode_id, by, f"add {practitioner.practitioner_id} to the TAC", mutate)


def appoint_lead_professional(
    ctx: Context, episode_id: str, practitioner_id: str, *, by: Practitioner, appointed_on: dt.date | None = None
) -> CafEpisode:
    """Appoint a current TAC member lead professional (CAF-001); tell ContactPoint who leads."""

    def mutate(episode: CafEpisode, today: dt.date) -> CafEpisode:
        lead = LeadProfessional(practitioner_id=practitioner_id, appointed_on=appointed_on or today)
        return episode.model_copy(update={"lead_professional": lead})

    def then(connection: Connection, _before: CafEpisode, after: CafEpisode) -> None:
        notify_caf_exists(ctx, connection, after, by)

    return change_episode(ctx, episode_id, by, f"appoint {practitioner_id} lead professional", mutate, then=then)


def update_assessment(ctx: Context, episode_id: str, assessment: CafAssessment, *, by: Practitioner) -> CafEpisode:
    """Record a new or revised common assessment (for example a re-assessment); tell ContactPoint who updated it."""

    def mutate(episode: CafEpisode, _today: dt.date) -> CafEpisode:
        return episode.model_copy(update={"assessment": assessment})

    def then(connection: Connection, _before: CafEpisode, after: CafEpisode) -> None:
        notify_caf_exists(ctx, connection, after, by)

    return change_episode(ctx, episode_id, by, f"record assessment {assessment.assessment_id}", mutate, then=then)


def add_action(
    ctx: Context,
    episode_id: str,
    *,
    owner_id: str,
    description: str,
    due_on: dt.date,
    by: Practitioner,
    action_id: str | None = None,
) -> CafAction:
    """Add an agreed action: who (a TAC member, CAF-005), what, by when."""
    new_id = action_id or ctx.new_id("ACT")

    def mutate(episode: CafEpisode, _today: dt.date) -> CafEpisode:
        action = CafAction(action_id=new_id, owner_id=owner_id, description=description, due_on=due_on)
        return episode.model_copy(update={"actions": [*episode.actions, action]})

    saved = change_episode(ctx, episode_id, by, f"add action {new_id} for {owner_id}", mutate)
    return next(a for a in saved.actions if a.action_id == new_id)


def complete_action(
    ctx: Context, episode_id: str, action_id: str, *, by: Practitioner, completed_on: dt.date | None = None
) -> CafAction:
    """Record that an action was done."""

    def mutate(episode: CafEpisode, today: dt.date) -> CafEpisode:
        if not any(a.action_id == action_id for a in episode.actions):
            raise refusal("NECAF-007", f"episode {episode_id} has no action {action_id}", where="actionId")
        actions = [
            a.model_copy(update={"completed_on": completed_on or today}) if a.action_id == action_id else a
            for a in episode.actions
        ]
        return episode.model_copy(update={"actions": actions})

    saved = change_episode(ctx, episode_id, by, f"complete action {action_id}", mutate)
    return next(a for a in saved.actions if a.action_id == action_id)


def record_review(
    ctx: Context,
    episode_id: str,
    *,
    summary: str,
    by: Practitioner,
    review_date: dt.date | None = None,
    next_review_on: dt.date | None = None,
) -> CafReview:
    """Record a review of progress by the TAC."""
    new_id = ctx.new_id("REV")

    def mutate(episode: CafEpisode, today: dt.date) -> CafEpisode:
        review = CafReview(
            review_id=new_id, review_date=review_date or today, summary=summary, next_review_on=next_review_on
        )
        return episode.model_copy(update={"reviews": [*episode.reviews, review]})

    saved = change_episode(ctx, episode_id, by, f"record review {new_id}", mutate)
    return next(r for r in saved.reviews if r.review_id == new_id)


def share_with(ctx: Context, episode_id: str, practitioner_id: str, *, by: Practitioner) -> CafEpisode:
    """Give a practitioner access: only with consent on record for them or their organisation (CAF-002)."""

    def mutate(episode: CafEpisode, _today: dt.date) -> CafEpisode:
        if practitioner_id in episode.shared_with:
            return episode
        return episode.model_copy(update={"shared_with": [*episode.shared_with, practitioner_id]})

    purpose = f"share episode {episode_id} with {practitioner_id} (by {by.practitioner_id})"
    try:
        return change_episode(ctx, episode_id, by, purpose, mutate)
    except ChangeRefused as exc:
        refused = consent_refusal(
            exc, episode_id=episode_id, practitioner_id=practitioner_id, organisation_id=None, purpose=purpose
        )
        if refused is None:
            raise
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="disclosure-refused")
        raise refused from None


def close_episode(
    ctx: Context,
    episode_id: str,
    reason: CafClosureReason | str,
    *,
    by: Practitioner,
    closed_on: dt.date | None = None,
) -> CafEpisode:
    """Close an episode with its reason and date (CAF-003, CAF-004); only ever on a practitioner's decision."""
    try:
        closure = CafClosureReason(reason)
    except ValueError:
        raise InvalidInput(
            "MODEL-ENUM",
            f"{reason!r} is not a closure reason",
            where="closureReason",
            hint="use one of " + ", ".join(CafClosureReason.codes()),
        ) from None

    def mutate(episode: CafEpisode, today: dt.date) -> CafEpisode:
        return episode.model_copy(
            update={"status": CafStatus.CLOSED, "closure_reason": closure, "closed_on": closed_on or today}
        )

    def then(connection: Connection, _before: CafEpisode, after: CafEpisode) -> None:
        notify_closed(ctx, connection, after, by)

    return change_episode(ctx, episode_id, by, f"close the episode ({closure.value})", mutate, then=then)
