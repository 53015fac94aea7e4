"""The ICS's local eCAF module: CAF episodes held locally, and how they leave for another eCAF (seed §5.3).

Some authorities keep their CAFs in a module of their ICS. This one holds episodes (the
standard's `CafEpisode`, checked against the standard's CAF rules when created or changed),
records consent decisions in each episode's ledger, and exports:

- one episode, when a child moves to an authority using another eCAF (F7 `EpisodeTransfer`,
  to National eCAF or to another authority's local eCAF);
- a migration batch into National eCAF (F8 `MigrationBatch`, with a manifest built by
  `BatchManifest.for_episodes`). The seed expects "a level of manual intervention, including
  the capture of consent": an episode without consent to store and share on record (given,
  and not since withdrawn) is left out of the batch and reported, never sent.

An exported episode has left the module: it is kept, marked transferred or migrated, and is
not exported again.
"""

from __future__ import annotations

from collections.abc import Iterable

from pydantic import ValidationError
from sqlalchemy import Connection, insert, select, update

from ics_interop import run_rules
from ics_interop.messages import (
    BatchManifest,
    CafIndicatorUpdate,
    EpisodeTransfer,
    MessageType,
    MigrationBatch,
    SystemRef,
)
from ics_interop.model import CafEpisode, ConsentRecord
from ics_interop.model.codes import CafStatus, ConsentDecision
from ics_interop.rules.checks import consent_holders

from ..messaging import new_header, route_key
from ..storage import Store
from .context import IcsContext, build, document
from .errors import ICS_RULES, ChangeRefused, refusal, refusal_from
from .views import LeftOutEpisode, LocalEpisode, MigrationReport, SentMessage

__all__ = ["LocalEcafModule", "has_consent_to_store"]

HELD = "held"


def has_consent_to_store(episode: CafEpisode) -> bool:
    """Whether the episode's ledger holds consent to store and share it, given and not since withdrawn."""
    holders = consent_holders(episode.consents)
    for consent in episode.consents:
        holder = (
            ("practitioner", consent.practitioner_id)
            if consent.practitioner_id is not None
            else ("organisation", consent.organisation_id or "")
        )
        if consent.decision is ConsentDecision.GIVEN and consent.store_and_share and holder in holders:
            return True
    return False


def _manifest(batch_id: str, episodes: list[CafEpisode]) -> BatchManifest:
    try:
        return BatchManifest.for_episodes(batch_id, episodes)
    except ValidationError as exc:
        raise ChangeRefused(
            "ICS-022", f"{batch_id!r} is not an identifier", where="batchId", hint=ICS_RULES["ICS-022"].hint
        ) from exc


def _sent(message: EpisodeTransfer | MigrationBatch) -> SentMessage:
    return SentMessage(
        message_id=message.header.message_id,
        message_type=message.message_type.value,
        destination=route_key(message.header.recipient),
    )


class LocalEcafModule:
    """The local eCAF module of one ICS system: its episodes, their consent, and their export (F7, F8)."""

    def __init__(self, store: Store, ctx: IcsContext) -> None:
        self.store = store
        self.ctx = ctx

    # --- holding episodes -------------------------------------------------------------------

    def _check(self, episode: CafEpisode) -> None:
        # The standard's CAF rules (lead in the TAC, consent to store, closure reasons...), run
        # on the episode as it would travel: the one rule engine, not a second copy of it.
        ctx = self.ctx
        probe = EpisodeTransfer(
            header=new_header(MessageType.EPISODE_TRANSFER, ctx.local_ecaf, ctx.settings.national_ecaf, ctx.clock()),
            from_la=ctx.la_code or "206",
            to_la=ctx.la_code or "206",
            reason="check",
            episode=episode,
        )
        for finding in run_rules(probe):
            if finding.severity.value == "error" and finding.path.startswith("episode"):
                raise refusal_from(finding)
        today = ctx.today()
        if episode.opened_on > today:
            raise refusal("ICS-004", f"{episode.opened_on.isoformat()} is after today", where="openedOn")

    def _row(self, connection: Connection, episode_id: str, *, for_update: bool = True) -> LocalEpisode:
        table = self.ctx.tables.local_episodes
        query = select(table).where(table.c.episode_id == episode_id)
        row = connection.execute(query.with_for_update() if for_update else query).first()
        if row is None:
            raise refusal("ICS-019", f"the local eCAF module holds no episode {episode_id!r}", where="episodeId")
        return LocalEpisode(
            episode=CafEpisode.model_validate(row.document),
            state=row.state,
            exported_to=row.exported_to,
            batch_id=row.batch_id,
        )

    def create_episode(self, episode: CafEpisode) -> CafEpisode:
        """Hold a new episode; one with an assessment needs consent to store it on record (CAF-006)."""
        table = self.ctx.tables.local_episodes
        self._check(episode)
        with self.store.transaction() as connection:
            taken = connection.execute(select(table.c.episode_id).where(table.c.episode_id == episode.episode_id))
            if taken.first() is not None:
                raise refusal("ICS-015", f"episode {episode.episode_id} exists already", where="episodeId")
            connection.execute(
                insert(table).values(
                    episode_id=episode.episode_id,
                    document=document(episode),
                    state=HELD,
                    created_at=self.ctx.clock(),
                )
            )
            self._tell_contactpoint(connection, episode)
        return episode

    def _tell_contactpoint(self, connection: Connection, episode: CafEpisode) -> None:
        """F3: a CAF logged in the local eCAF tells ContactPoint it exists and whom to contact (seed §5.3).

        Only an open episode with its assessment is a logged CAF; nothing of its content goes.
        """
        assessment = episode.assessment
        if assessment is None or episode.status is not CafStatus.OPEN:
            return
        lead = episode.lead_professional
        lead_practitioner = next(
            (
                m.practitioner
                for m in episode.tac_members
                if lead and m.practitioner.practitioner_id == lead.practitioner_id
            ),
            None,
        )
        ctx = self.ctx
        message = CafIndicatorUpdate(
            header=new_header(MessageType.CAF_INDICATOR_UPDATE, ctx.local_ecaf, ctx.settings.contactpoint, ctx.clock()),
            child=episode.child,
            caf_exists=True,
            updated_on=assessment.assessment_date,
            completed_by=assessment.assessor,
            lead_professional=lead_practitioner,
        )
        ctx.send(connection, message)

    def record_consent(self, episode_id: str, consent: ConsentRecord) -> CafEpisode:
        """Add a consent decision (given or withdrawn) to an episode's ledger: how consent is captured for migration."""
        table = self.ctx.tables.local_episodes
        with self.store.transaction() as connection:
            held = self._row(connection, episode_id)
            if held.state != HELD:
                raise refusal("ICS-014", f"episode {episode_id} was {held.state}", where="episodeId")
            if any(c.consent_id == consent.consent_id for c in held.episode.consents):
                raise refusal("ICS-023", f"consent {consent.consent_id} is on the ledger already", where="consentId")
            episode = held.episode.model_copy(update={"consents": [*held.episode.consents, consent]})
            self._check(episode)
            connection.execute(update(table).where(table.c.episode_id == episode_id).values(document=document(episode)))
        return episode

    def episode(self, episode_id: str) -> LocalEpisode:
        """One episode of the module, with what became of it."""
        with self.store.reading() as connection:
            return self._row(connection, episode_id, for_update=False)

    def episodes(self) -> list[LocalEpisode]:
        """Every episode of the module, oldest first."""
        table = self.ctx.tables.local_episodes
        with self.store.reading() as connection:
            ids = connection.scalars(select(table.c.episode_id).order_by(table.c.created_at, table.c.episode_id))
            return [self._row(connection, episode_id, for_update=False) for episode_id in list(ids)]

    # --- export -------------------------------------------------------------------------------

    def _mark(self, connection: Connection, ids: Iterable[str], state: str, to: str, batch_id: str | None) -> None:
        table = self.ctx.tables.local_episodes
        connection.execute(
            update(table)
            .where(table.c.episode_id.in_(list(ids)))
            .values(state=state, exported_to=to, exported_at=self.ctx.clock(), batch_id=batch_id)
        )

    def transfer_episode(self, episode_id: str, *, to: SystemRef, to_la: str, reason: str) -> SentMessage:
        """F7: send one episode, whole, to National eCAF or to another authority's local eCAF."""
        ctx = self.ctx
        with self.store.transaction() as connection:
            held = self._row(connection, episode_id)
            if held.state != HELD:
                raise refusal(
                    "ICS-014", f"episode {episode_id} was {held.state} to {held.exported_to}", where="episodeId"
                )
            if ctx.la_code is None:
                raise refusal("ICS-013", "this system does not know its own LA code", where="fromLa")
            message = build(
                EpisodeTransfer,
                header=new_header(MessageType.EPISODE_TRANSFER, ctx.local_ecaf, to, ctx.clock()),
                from_la=ctx.la_code,
                to_la=to_la,
                reason=reason,
                episode=held.episode,
            )
            ctx.send(connection, message)
            self._mark(connection, [episode_id], "transferred", route_key(to), None)
        return _sent(message)

    def export_migration_batch(self, batch_id: str, episode_ids: list[str] | None = None) -> MigrationReport:
        """F8: send the held episodes (all, or those named) that have consent to store; report the others."""
        ctx = self.ctx
        table = ctx.tables.local_episodes
        with self.store.transaction() as connection:
            if connection.execute(select(table.c.episode_id).where(table.c.batch_id == batch_id)).first() is not None:
                raise refusal("ICS-021", f"batch {batch_id} was exported already", where="batchId")
            if episode_ids is None:
                episode_ids = list(
                    connection.scalars(select(table.c.episode_id).order_by(table.c.created_at, table.c.episode_id))
                )
            candidates = [self._row(connection, episode_id) for episode_id in episode_ids]
            sent: list[CafEpisode] = []
            left_out: list[LeftOutEpisode] = []
            for held in candidates:
                episode_id = held.episode.episode_id
                if held.state != HELD:
                    left_out.append(
                        LeftOutEpisode(episode_id=episode_id, reason=f"already {held.state} ({held.exported_to})")
                    )
                elif not has_consent_to_store(held.episode):
                    left_out.append(
                        LeftOutEpisode(
                            episode_id=episode_id,
                            reason="no consent to store and share on record: capture the consent, then migrate it",
                        )
                    )
                else:
                    sent.append(held.episode)
            if not sent:
                raise refusal("ICS-016", f"none of the {len(candidates)} episode(s) can be sent", where="episodeIds")
            message = MigrationBatch(
                header=new_header(MessageType.MIGRATION_BATCH, ctx.local_ecaf, ctx.settings.national_ecaf, ctx.clock()),
                manifest=_manifest(batch_id, sent),
                episodes=sent,
            )
            ctx.send(connection, message)
            self._mark(
                connection, [e.episode_id for e in sent], "migrated", route_key(message.header.recipient), batch_id
            )
        return MigrationReport(
            batch_id=batch_id,
            message=_sent(message),
            sent=[e.episode_id for e in sent],
            left_out=left_out,
        )
