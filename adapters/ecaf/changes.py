"""How a change to an episode is made: read it locked, check access, change, check the standard, store.

Every change goes through `save_change`, which checks the changed episode against the
standard (`conformity.require_conforming`) before it is written, audits it, and writes in the
caller's transaction: a refused change, or a failure anywhere before the commit, leaves
the store exactly as it was. `change_episode` wraps that in a practitioner's own transaction
and records a refusal for want of consent in the audit.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from ics_interop.model import CafEpisode, Practitioner
from ics_interop.model.codes import CafStatus

from . import audit, episodes
from .conformity import require_conforming
from .context import Context
from .errors import ConsentRefused, values_checked
from .ledger import require_access
from .refusals import refusal

__all__ = ["Mutation", "change_episode", "save_change"]

#: A change: the episode as held, and today's date, to the episode as it should become.
Mutation = Callable[[CafEpisode, dt.date], CafEpisode]
#: What else happens in the same transaction once the change is stored (for example an F3 message).
Consequence = Callable[[Connection, CafEpisode, CafEpisode], None]


def save_change(
    ctx: Context,
    connection: Connection,
    held: episodes.HeldEpisode,
    changed: CafEpisode,
    *,
    practitioner_id: str | None,
    organisation_id: str | None,
    what: str,
    **columns: Any,
) -> CafEpisode:
    """Check the changed episode against the standard, store it and audit it, in the caller's transaction."""
    checked = require_conforming(changed, ctx.identity, ctx.now())
    episodes.update_episode(connection, ctx.tables, held, checked, now=ctx.now(), **columns)
    audit.record(
        connection,
        ctx.tables,
        at=ctx.now(),
        episode_id=checked.episode_id,
        practitioner_id=practitioner_id,
        organisation_id=organisation_id,
        action="changed",
        reason=what,
    )
    return checked


def change_episode(
    ctx: Context,
    episode_id: str,
    by: Practitioner,
    what: str,
    mutate: Mutation,
    *,
    then: Consequence | None = None,
    closed_ok: bool = False,
) -> CafEpisode:
    """A practitioner's change to an episode, in one transaction: all of it, or none of it."""
    try:
        with ctx.store.transaction() as connection:
            held = episodes.get(connection, ctx.tables, episode_id, for_update=True)
            require_access(held.episode, by, what)
            if held.episode.status is CafStatus.CLOSED and not closed_ok:
                raise refusal("NECAF-003", f"episode {episode_id} is closed; cannot {what}", where="status")
            with values_checked():
                changed = mutate(held.episode, ctx.today())
            saved = save_change(
                ctx,
                connection,
                held,
                changed,
                practitioner_id=by.practitioner_id,
                organisation_id=by.organisation.organisation_id,
                what=what,
            )
            if then is not None:
                then(connection, held.episode, saved)
            return saved
    except ConsentRefused as refused:
        audit.record_refusal(ctx.store, ctx.tables, refused, at=ctx.now(), action="change-refused")
        raise
