"""The episode store: episodes kept whole as the standard's JSON, read and written inside a transaction.

Every write checks the version it read, so two changes made at once cannot silently lose one
of them (PostgreSQL also locks the row it read for update; SQLite has one writer at a time).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import attrs
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import Connection

from ics_interop.model import CafEpisode, Child
from ics_interop.model.codes import CafStatus

from .refusals import refusal
from .tables import EcafTables

__all__ = [
    "HeldEpisode",
    "digest",
    "find",
    "get",
    "held_open_for_child",
    "insert_episode",
    "open_episodes_opened_before",
    "update_episode",
]


@attrs.frozen
class HeldEpisode:
    """An episode as National eCAF holds it, with where it came from and the version read."""

    episode: CafEpisode
    version: int
    origin: str
    arrival_digest: str | None
    transferred_out_to: str | None
    la_code: str | None


def digest(episode: CafEpisode) -> str:
    """SHA-256 of the episode's canonical JSON: equal for the same episode however it travelled."""
    data = episode.model_dump(mode="json", by_alias=True, exclude_none=True)
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":")).encode("utf-8")).hexdigest()


def _document(episode: CafEpisode) -> dict[str, Any]:
    data: dict[str, Any] = episode.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def _searchable(episode: CafEpisode) -> dict[str, Any]:
    ids = episode.child.identifiers
    return {
        "status": episode.status.value,
        "opened_on": episode.opened_on,
        "closed_on": episode.closed_on,
        "responsibility": episode.responsibility.value,
        "child_cp": ids.contactpoint_id,
        "child_nhs": ids.nhs_number,
        "child_upn": ids.upn,
        "child_local": ids.local_id,
        "document": _document(episode),
    }


def find(
    connection: Connection, tables: EcafTables, episode_id: str, *, for_update: bool = False
) -> HeldEpisode | None:
    """The episode with this ID, or None."""
    query = select(tables.episodes).where(tables.episodes.c.episode_id == episode_id)
    if for_update:
        query = query.with_for_update()
    row = connection.execute(query).mappings().first()
    if row is None:
        return None
    return HeldEpisode(
        episode=CafEpisode.model_validate(row["document"]),
        version=row["version"],
        origin=row["origin"],
        arrival_digest=row["arrival_digest"],
        transferred_out_to=row["transferred_out_to"],
        la_code=row["la_code"],
    )


def get(connection: Connection, tables: EcafTables, episode_id: str, *, for_update: bool = False) -> HeldEpisode:
    """The episode with this ID; raise `UnknownEpisode` (NECAF-001) if none is held."""
    held = find(connection, tables, episode_id, for_update=for_update)
    if held is None:
        raise refusal("NECAF-001", f"no episode {episode_id} is held here", where="episodeId")
    return held


def insert_episode(
    connection: Connection,
    tables: EcafTables,
    episode: CafEpisode,
    *,
    origin: str,
    now: dt.datetime,
    la_code: str | None,
    arrival_digest: str | None = None,
) -> None:
    """Store a new episode whole."""
    connection.execute(
        insert(tables.episodes).values(
            episode_id=episode.episode_id,
            origin=origin,
            la_code=la_code,
            arrival_digest=arrival_digest,
            transferred_out_to=None,
            version=1,
            created_at=now,
            updated_at=now,
            **_searchable(episode),
        )
    )


def update_episode(
    connection: Connection,
    tables: EcafTables,
    held: HeldEpisode,
    episode: CafEpisode,
    *,
    now: dt.datetime,
    **columns: Any,
) -> None:
    """Replace a held episode with its changed form; raise `EpisodeConflict` (NECAF-009) if it changed meanwhile."""
    result = connection.execute(
        update(tables.episodes)
        .where(and_(tables.episodes.c.episode_id == episode.episode_id, tables.episodes.c.version == held.version))
        .values(version=held.version + 1, updated_at=now, **_searchable(episode), **columns)
    )
    if result.rowcount != 1:
        raise refusal("NECAF-009", f"episode {episode.episode_id} changed while this change was made")


def held_open_for_child(connection: Connection, tables: EcafTables, child: Child, *, excluding: str) -> int:
    """How many other open episodes are held for the child (matched on any national identifier it has).

    The directory, NHS and pupil numbers are the same in every system; a local ID is only used
    when a child has none of them, as another system's local IDs mean nothing here.
    """
    ids = child.identifiers
    c = tables.episodes.c
    matches = [
        column == value
        for column, value in ((c.child_cp, ids.contactpoint_id), (c.child_nhs, ids.nhs_number), (c.child_upn, ids.upn))
        if value is not None
    ]
    if not matches:
        if ids.local_id is None:
            return 0
        matches = [c.child_local == ids.local_id]
    count = connection.execute(
        select(func.count())
        .select_from(tables.episodes)
        .where(and_(or_(*matches), c.status == CafStatus.OPEN.value, c.episode_id != excluding))
    ).scalar_one()
    return int(count)


def open_episodes_opened_before(connection: Connection, tables: EcafTables, cutoff: dt.date) -> Iterator[CafEpisode]:
    """Open episodes opened before `cutoff`, oldest first."""
    c = tables.episodes.c
    rows = connection.execute(
        select(c.document)
        .where(and_(c.status == CafStatus.OPEN.value, c.opened_on < cutoff))
        .order_by(c.opened_on, c.episode_id)
    )
    for (document,) in rows:
        yield CafEpisode.model_validate(document)
