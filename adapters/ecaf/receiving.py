"""National eCAF's receiver: the shared receiver, judging a migration batch episode by episode.

Every message is validated, de-duplicated and applied exactly as the shared `Receiver` does.
The one difference is a `MigrationBatch` (F8): an error that concerns a single episode (its
consent, its TAC, its dates) refuses that episode only; the batch is accepted with the other
episodes applied, and its acknowledgement lists each refusal as a warning with the rule that
failed. Errors about the batch itself (schema, envelope, manifest) still reject it whole.
See `migration` for why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ics_interop import Finding, Message, MessageType, Severity, SystemRef, from_json, from_xml, validate_bytes
from ics_interop.messages import Acknowledgement, MigrationBatch

from ..auth.principal import Principal
from ..messaging import Clock, MessagingTables, Receiver
from ..storage import Store
from .migration import Migrations, is_episode_finding

__all__ = ["EcafReceiver"]


class EcafReceiver(Receiver):
    """The shared receiver, with migration batches judged per episode."""

    def __init__(
        self,
        store: Store,
        tables: MessagingTables,
        identity: SystemRef,
        handlers: Mapping[MessageType, Any],
        clock: Clock,
        migrations: Migrations,
    ) -> None:
        super().__init__(store, tables, identity, handlers, clock)
        self.migrations = migrations

    def receive_message_bytes(self, body: bytes, client: Principal) -> Acknowledgement:
        """Validate, de-duplicate and apply a message; a migration batch's episode errors refuse only the episode."""
        report = validate_bytes(body)
        if report.unusable is None and report.records == 1:
            errors = [f for f in report.findings if f.severity is Severity.ERROR]
            if not errors or all(is_episode_finding(f) for f in errors):
                message = from_xml(body) if report.format == "xml" else from_json(body)
                if not errors or isinstance(message, MigrationBatch):
                    # The episodes' own errors are restated, per episode, by the migration's warnings.
                    warnings = [f for f in report.findings if f.severity is Severity.WARNING]
                    return self.receive_message(message, client, warnings=warnings)
        return super().receive_message_bytes(body, client)

    def receive_message(
        self, message: Message, client: Principal, *, warnings: list[Finding] | None = None
    ) -> Acknowledgement:
        """Apply a validated message exactly once; for a migration batch, say in the acknowledgement what is refused."""
        if not isinstance(message, MigrationBatch):
            return super().receive_message(message, client, warnings=warnings)
        refusals = self.migrations.refusals_as_warnings(message)
        try:
            return super().receive_message(message, client, warnings=[*(warnings or []), *refusals])
        finally:
            self.migrations.forget(message.header.message_id)
