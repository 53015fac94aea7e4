"""F3: telling ContactPoint that a CAF exists, whom to contact, and who the lead professional is.

When a CAF is logged or its assessment updated, when a lead professional is appointed, and
when an episode arrives or is re-opened, National eCAF writes a `CafIndicatorUpdate` to its
outbox in the same transaction as the change (seed §5.1, §5.3): the directory is told exactly
what was stored, never more (no CAF content goes to it). When an episode closes, the
directory is told the CAF no longer exists only if no other open episode is held for the
child.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ics_interop import MessageType
from ics_interop.messages import CafIndicatorUpdate
from ics_interop.model import CafEpisode, Practitioner
from ics_interop.model.codes import CafStatus

from ..messaging import new_header, route_key
from . import episodes
from .context import Context

__all__ = ["lead_practitioner", "notify_caf_exists", "notify_closed", "notify_held"]


def lead_practitioner(episode: CafEpisode) -> Practitioner | None:
    """The lead professional's details, from the TAC (CAF-001 makes the lead a member)."""
    lead = episode.lead_professional
    if lead is None:
        return None
    for member in reversed(episode.tac_members):
        if member.practitioner.practitioner_id == lead.practitioner_id:
            return member.practitioner
    return None


def _update(ctx: Context, episode: CafEpisode, completed_by: Practitioner, *, caf_exists: bool) -> CafIndicatorUpdate:
    return CafIndicatorUpdate(
        header=new_header(MessageType.CAF_INDICATOR_UPDATE, ctx.identity, ctx.contactpoint, ctx.now()),
        child=episode.child,
        caf_exists=caf_exists,
        updated_on=ctx.today(),
        completed_by=completed_by,
        lead_professional=lead_practitioner(episode) if caf_exists else None,
    )


def notify_caf_exists(ctx: Context, connection: Connection, episode: CafEpisode, completed_by: Practitioner) -> None:
    """A CAF exists for the child: who completed or updated it, and the lead professional."""
    ctx.send(connection, _update(ctx, episode, completed_by, caf_exists=True), route_key(ctx.contactpoint))


def notify_closed(ctx: Context, connection: Connection, episode: CafEpisode, closed_by: Practitioner) -> None:
    """The episode closed: the CAF no longer exists for the child, unless another episode is open."""
    if episodes.held_open_for_child(connection, ctx.tables, episode.child, excluding=episode.episode_id):
        return
    ctx.send(connection, _update(ctx, episode, closed_by, caf_exists=False), route_key(ctx.contactpoint))


def notify_held(ctx: Context, connection: Connection, episode: CafEpisode) -> None:
    """An open episode now held here (transferred or migrated): the assessor, or else the lead, is the contact."""
    if episode.status is not CafStatus.OPEN:
        return
    contact = episode.assessment.assessor if episode.assessment is not None else lead_practitioner(episode)
    if contact is not None:
        notify_caf_exists(ctx, connection, episode, contact)
