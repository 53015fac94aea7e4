"""F8: importing a local eCAF's episodes into National eCAF, episode by episode (seed §5.3).

A migration batch is judged in two parts.

- The batch as a whole: its manifest must describe exactly the episodes it holds (MIG-001..004)
  and its envelope must be right. If not, the batch was damaged or mislabelled on the way and
  nothing of it is imported.
- Each episode on its own: the standard's rules for an episode (CAF-001..006, dates, the
  child's identifiers) and consent to store it (CAF-006 is asked of every migrated episode,
  with or without an assessment: migration is where consent is captured, seed §5.3). An
  episode that fails is refused with the rules it broke; the others are imported.

Every episode is applied whole or not at all, and the import is safe to run again: an episode
already held with the same content is reported "already-imported" and nothing changes; one
whose ID is held with other content is refused (NECAF-002), never overwritten.

Two ways in, one result:

- `Migrations.import_batch` (the Python API and `POST /migrations`, for a data team running a
  migration): each episode in its own transaction; returns the per-episode report.
- A `MigrationBatch` delivered to `POST /messages` (F10): the core validator rejects a message
  with any rule error, which would refuse a whole batch for one episode without consent. So
  National eCAF's receiver (see `receiving`) judges a migration batch in the two parts above:
  batch-level errors still reject it; episode-level errors do not, the episodes are applied in
  the message's one transaction, and the acknowledgement lists each refused episode's rule
  failures as warnings. The report is kept and served by `GET /migrations/{batchId}`.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import Field
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection

from ics_interop import Finding, MessageType, Severity, from_json, from_xml, validate_bytes, validate_message
from ics_interop.messages import MigrationBatch
from ics_interop.model import CafEpisode, IcsModel
from ics_interop.rules import catalogue

from ..auth.principal import Principal
from ..errors import Forbidden
from ..messaging import route_key, sender_refusal
from . import audit, episodes
from .conformity import episode_findings, has_consent_to_store
from .context import Context
from .directory_feed import notify_held
from .errors import ChangeRefused, InvalidInput
from .refusals import HOUSE_RULES, refusal

__all__ = ["EpisodeImportResult", "MigrationReport", "Migrations", "is_episode_finding"]

Outcome = Literal["imported", "already-imported", "refused"]

_NO_CONSENT = Finding(
    "CAF-006",
    Severity.ERROR,
    "A stored CAF has consent to store it: the episode has no consent given to store and share it",
    hint=catalogue()["CAF-006"].hint,
)


class EpisodeImportResult(IcsModel):
    """What became of one episode of a batch."""

    episode_id: str = Field(description="The episode's ID, kept from the local eCAF.")
    outcome: Outcome = Field(description="imported, already-imported (nothing changed) or refused (nothing stored).")
    rule_ids: list[str] = Field(default_factory=list, description="For a refusal: the rules the episode broke.")
    detail: str | None = Field(default=None, description="For a refusal: what is wrong and where.")


class MigrationReport(IcsModel):
    """The result of importing a batch, episode by episode."""

    batch_id: str = Field(description="The batch's ID, from its manifest.")
    sender: str = Field(description="The system that exported the batch.")
    imported: int = Field(description="Episodes imported by this run.")
    already_imported: int = Field(description="Episodes held already with the same content: unchanged.")
    refused: int = Field(description="Episodes refused: nothing of them was stored.")
    results: list[EpisodeImportResult] = Field(description="One result per episode, in the batch's order.")

    @classmethod
    def of(cls, batch_id: str, sender: str, results: list[EpisodeImportResult]) -> MigrationReport:
        """The report of these results."""
        return cls(
            batch_id=batch_id,
            sender=sender,
            imported=sum(r.outcome == "imported" for r in results),
            already_imported=sum(r.outcome == "already-imported" for r in results),
            refused=sum(r.outcome == "refused" for r in results),
            results=results,
        )


def is_episode_finding(finding: Finding) -> bool:
    """Whether a finding is about one episode of a batch (a catalogue rule at `episodes[i]...`), not the batch.

    MIG-004 (an episode ID used twice) points at an episode but is about the batch: which of the
    two is the right one cannot be told.
    """
    return (
        finding.path.startswith("episodes[")
        and not finding.rule_id.startswith("MIG-")
        and finding.rule_id in catalogue()
    )


def _sender(batch: MigrationBatch) -> str:
    return route_key(batch.header.sender)


class Migrations:
    """Imports migration batches and keeps each batch's report."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        # What the receiver promised in the acknowledgement, by message ID, while the handler runs.
        self._promised: dict[str, MigrationReport] = {}

    # --- the Python API and POST /migrations ------------------------------------------------

    def import_batch(self, batch: MigrationBatch, client: Principal) -> MigrationReport:
        """Import each episode of the batch in its own transaction; refuse the batch whole only for batch errors.

        `client` is the authenticated system the batch came from: it must be the batch's sender
        (SEC-001) with the scope to send migration batches (SEC-002).
        """
        refused = sender_refusal(batch, client)
        if refused is not None:
            raise Forbidden(refused.rule_id, refused.message, where=refused.path, hint=refused.hint)
        batch_errors = [
            f for f in validate_message(batch) if f.severity is Severity.ERROR and not is_episode_finding(f)
        ]
        if batch_errors:
            raise ChangeRefused.from_findings(batch_errors, prefix="the batch is refused whole: ")
        results = []
        for index, episode in enumerate(batch.episodes):
            with self.ctx.store.transaction() as connection:
                results.append(self._import_one(connection, batch, index, episode))
        return MigrationReport.of(batch.manifest.batch_id, _sender(batch), results)

    def import_bytes(self, body: bytes, client: Principal) -> MigrationReport:
        """Import a batch as it arrived (XML or JSON bytes of a `MigrationBatch` message)."""
        report = validate_bytes(body)
        if report.unusable is not None or report.records != 1:
            raise InvalidInput(
                "INPUT-001",
                report.unusable or f"expected one MigrationBatch, got {report.records} messages",
                hint="send one MigrationBatch message as UTF-8 XML without a DTD, or as JSON",
            )
        errors = [f for f in report.findings if f.severity is Severity.ERROR and not is_episode_finding(f)]
        if errors:
            raise InvalidInput.from_findings(errors, prefix="the batch is refused whole: ")
        message = from_xml(body) if report.format == "xml" else from_json(body)
        if not isinstance(message, MigrationBatch):
            raise InvalidInput(
                "INPUT-001",
                f"expected a MigrationBatch, got a {message.message_type.value}",
                where="header.messageType",
                hint=f"send the batch as a {MessageType.MIGRATION_BATCH.value}",
            )
        return self.import_batch(message, client)

    def report(self, batch_id: str) -> MigrationReport | None:
        """The latest result for each episode of a batch, or None if the batch was never imported."""
        table = self.ctx.tables.migration_results
        with self.ctx.store.reading() as connection:
            rows = (
                connection.execute(select(table).where(table.c.batch_id == batch_id).order_by(table.c.position))
                .mappings()
                .all()
            )
        if not rows:
            return None
        results = [
            EpisodeImportResult(
                episode_id=row["episode_id"],
                outcome=row["outcome"],
                rule_ids=[r for r in row["rule_ids"].split(",") if r],
                detail=row["detail"],
            )
            for row in rows
        ]
        return MigrationReport.of(batch_id, rows[0]["sender"], results)

    # --- the receiver (F10) -----------------------------------------------------------------

    def refusals_as_warnings(self, batch: MigrationBatch) -> list[Finding]:
        """What the batch's import will refuse, as warnings for its acknowledgement; remembered for `handle`."""
        with self.ctx.store.reading() as connection:
            assessed = [self._assess(connection, i, e) for i, e in enumerate(batch.episodes)]
        planned = [result for result, _ in assessed]
        planned_problems = [problems for _, problems in assessed]
        self._promised[batch.header.message_id] = MigrationReport.of(batch.manifest.batch_id, _sender(batch), planned)
        warnings = []
        for problems in planned_problems:
            for problem in problems:
                warnings.append(
                    Finding(
                        problem.rule_id,
                        Severity.WARNING,
                        f"episode not imported: {problem.message}",
                        path=problem.path,
                        hint=f"{problem.hint} Then export the episode again; the batch's other episodes are not "
                        "affected.",
                    )
                )
        return warnings

    def forget(self, message_id: str) -> None:
        """Drop what was promised for a message once the receiver is done with it."""
        self._promised.pop(message_id, None)

    def handle(self, connection: Connection, batch: MigrationBatch) -> None:
        """Apply a batch the receiver accepted, in the receiver's transaction, as its acknowledgement promised."""
        results = [self._import_one(connection, batch, i, e) for i, e in enumerate(batch.episodes)]
        promised = self._promised.get(batch.header.message_id)
        if promised is not None and [r.outcome for r in results] != [r.outcome for r in promised.results]:
            # The store changed between the acknowledgement's preview and now: refuse, so it is never wrong.
            raise refusal("NECAF-009", f"episodes of batch {batch.manifest.batch_id} changed during the import")

    # --- one episode -----------------------------------------------------------------------

    def _assess(
        self, connection: Connection, index: int, episode: CafEpisode
    ) -> tuple[EpisodeImportResult, list[Finding]]:
        """What importing the episode now would do, and the errors that refuse it."""
        held = episodes.find(connection, self.ctx.tables, episode.episode_id)
        if held is not None:
            if held.arrival_digest == episodes.digest(episode):
                return EpisodeImportResult(episode_id=episode.episode_id, outcome="already-imported"), []
            rule = HOUSE_RULES["NECAF-002"]
            problem = Finding(
                rule.id,
                Severity.ERROR,
                f"{rule.title}: episode {episode.episode_id} is already held here ({held.origin}) with other "
                "content; it is not overwritten",
                path=f"episodes[{index}].episodeId",
                hint=rule.hint,
            )
            problems = [problem]
        else:
            problems = self._problems(index, episode)
        if problems:
            result = EpisodeImportResult(
                episode_id=episode.episode_id,
                outcome="refused",
                rule_ids=list(dict.fromkeys(f.rule_id for f in problems)),
                detail="; ".join(f"{f.rule_id} at {f.path}: {f.message}" for f in problems),
            )
            return result, problems
        return EpisodeImportResult(episode_id=episode.episode_id, outcome="imported"), []

    def _problems(self, index: int, episode: CafEpisode) -> list[Finding]:
        """The standard's errors for the episode, and CAF-006 if it has no consent to store at all."""
        problems = [
            f
            for f in episode_findings(episode, self.ctx.identity, self.ctx.now(), path=f"episodes[{index}]")
            if f.severity is Severity.ERROR
        ]
        if not has_consent_to_store(episode) and not any(f.rule_id == "CAF-006" for f in problems):
            problems.append(
                Finding(
                    _NO_CONSENT.rule_id,
                    Severity.ERROR,
                    _NO_CONSENT.message,
                    path=f"episodes[{index}].consents",
                    hint=_NO_CONSENT.hint,
                )
            )
        return problems

    def _import_one(
        self, connection: Connection, batch: MigrationBatch, index: int, episode: CafEpisode
    ) -> EpisodeImportResult:
        ctx = self.ctx
        result, _ = self._assess(connection, index, episode)
        if result.outcome == "imported":
            assessor = episode.assessment.assessor if episode.assessment is not None else None
            episodes.insert_episode(
                connection,
                ctx.tables,
                episode,
                origin=f"migration {batch.manifest.batch_id} from {_sender(batch)}",
                now=ctx.now(),
                la_code=assessor.organisation.la_code if assessor is not None else None,
                arrival_digest=episodes.digest(episode),
            )
            audit.record(
                connection,
                ctx.tables,
                at=ctx.now(),
                episode_id=episode.episode_id,
                practitioner_id=None,
                organisation_id=batch.header.sender.organisation_id,
                action="received",
                reason=f"migrated in batch {batch.manifest.batch_id}",
            )
            notify_held(ctx, connection, episode)
        self._record(connection, batch, index, result, ctx.now())
        return result

    def _record(
        self, connection: Connection, batch: MigrationBatch, index: int, result: EpisodeImportResult, at: dt.datetime
    ) -> None:
        table = self.ctx.tables.migration_results
        batch_id = batch.manifest.batch_id
        connection.execute(
            delete(table).where((table.c.batch_id == batch_id) & (table.c.episode_id == result.episode_id))
        )
        connection.execute(
            insert(table).values(
                batch_id=batch_id,
                episode_id=result.episode_id,
                position=index,
                sender=_sender(batch),
                outcome=result.outcome,
                rule_ids=",".join(result.rule_ids)[:400],
                detail=result.detail,
                recorded_at=at,
            )
        )
