"""F7: a single episode moving with a child between National eCAF and a local eCAF (seed §5.3).

In: the episode is stored whole under the ID it arrived with. The same episode arriving again
(a redelivery, even under a new message ID) changes nothing. An episode that was transferred
out and comes back replaces the copy left behind. Any other episode whose ID is already held
is refused (NECAF-002): an ID names one episode, and one held here is never overwritten from
elsewhere.

Out: the episode goes whole, as it stands; the copy left here is closed as "moved to another
authority" and remembers where it went. ContactPoint is not told the CAF no longer exists:
the receiving eCAF now holds it and updates the indicator itself (seed §5.3).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from ics_interop import MessageType, SystemRef
from ics_interop.messages import EpisodeTransfer
from ics_interop.model import Practitioner
from ics_interop.model.codes import CafClosureReason, CafStatus

from ..messaging import new_header, route_key
from . import audit, episodes
from .changes import save_change
from .context import Context
from .directory_feed import notify_held
from .errors import ConsentRefused, values_checked
from .ledger import require_access
from .refusals import refusal

__all__ = ["handle_episode_transfer", "transfer_out"]


def handle_episode_transfer(ctx: Context, connection: Connection, message: EpisodeTransfer) -> None:
    """Store a transferred episode whole, keeping its ID; tell ContactPoint an open CAF is held here."""
    incoming = message.episode
    arrived = episodes.digest(incoming)
    origin = f"transfer from {route_key(message.header.sender)}"
    held = episodes.find(connection, ctx.tables, incoming.episode_id, for_update=True)
    if held is None:
        episodes.insert_episode(
            connection,
            ctx.tables,
            incoming,
            origin=origin,
            now=ctx.now(),
            la_code=message.to_la,
            arrival_digest=arrived,
        )
    elif held.transferred_out_to is not None:
        # The episode we sent away comes back with the child: it replaces the closed copy left here.
        episodes.update_episode(
            connection,
            ctx.tables,
            held,
            incoming,
            now=ctx.now(),
            origin=origin,
            la_code=message.to_la,
            arrival_digest=arrived,
            transferred_out_to=None,
        )
    elif held.arrival_digest == arrived:
        return  # the same episode again: nothing changes
    else:
        raise refusal(
            "NECAF-002",
            f"episode {incoming.episode_id} is already held here ({held.origin}); it is not overwritten by a "
            f"transfer from {route_key(message.header.sender)}",
            where="episode.episodeId",
        )
    audit.record(
        connection,
        ctx.tables,
        at=ctx.now(),
        episode_id=incoming.episode_id,
        practitioner_id=None,
        organisation_id=message.header.sender.organisation_id,
        action="received",
        reason=f"transferred from LA {message.from_la} to LA {message.to_la}: {message.reason}",
    )
    notify_held(ctx, connection, incoming)


def transfer_out(
    ctx: Context,
    episode_id: str,
    to: SystemRef,
    to_la: str,
    reason: str,
    *,
    from_la: str | None = None,
    by: Practitioner | None = None,
) -> str:
    """F7: send the episode whole to another eCAF; close the copy left here. Return the message ID.

    `from_la` defaults to the authority the episode is recorded under (the logging
    practitioner's, or the one it was transferred to).
    """
    purpose = f"transfer episode {episode_id} to {route_key(to)}"
    try:
        with ctx.store.transaction() as connection:
            held = episodes.get(connection, ctx.tables, episode_id, for_update=True)
            if by is not None:
                require_access(held.episode, by, purpose)
            if held.episode.status is CafStatus.CLOSED:
                raise refusal(
                    "NECAF-003", f"episode {episode_id} is closed; only an open episode moves", where="status"
                )
            leaving = from_la or held.la_code
            if leaving is None:
                raise refusal("NECAF-008", f"no authority is recorded for episode {episode_id}", where="fromLa")
            with values_checked():
                message = EpisodeTransfer(
                    header=new_header(MessageType.EPISODE_TRANSFER, ctx.identity, to, ctx.now()),
                    from_la=leaving,
                    to_la=to_la,
                    reason=reason,
                    episode=held.episode,
                )
            route = route_key(to)
            ctx.send(connection, message, route)
            left_behind = held.episode.model_copy(
                update={
                    "status": CafStatus.CLOSED,
                    "closure_reason": CafClosureReason.MOVED_AUTHORITY,
                    "closed_on": ctx.today(),
                }
            )
            save_change(
                ctx,
                connection,
                held,
                left_behind,
                practitioner_id=by.practitioner_id if by else None,
                organisation_id=to.organisation_id,
                what=f"{purpose} (LA {leaving} to LA {to_la}): {reason}",
                transferred_out_to=route,
            )
            return str(message.header.message_id)
    except ConsentRefused as refused:
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="disclosure-refused")
        raise
