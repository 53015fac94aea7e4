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

from ics_interop import Finding, Message, MessageType, Severity, SystemRef
from ics_interop.messages import MigrationBatch
from ics_interop.validate import CheckedMessage

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

    def accept(self, checked: CheckedMessage) -> tuple[Message | None, list[Finding]]:
        """As the shared receiver; but a migration batch whose only errors are its episodes' is accepted."""
        errors = checked.errors
        if errors and isinstance(checked.message, MigrationBatch) and all(is_episode_finding(f) for f in errors):
            # The episodes' own errors are restated, per episode, by the migration's warnings.
            return checked.message, [f for f in checked.findings if f.severity is Severity.WARNING]
        return super().accept(checked)

    def prepare(self, message: Message) -> list[Finding]:
        """For a migration batch: what its import will refuse, as warnings for the acknowledgement."""
        if isinstance(message, MigrationBatch):
            return self.migrations.refusals_as_warnings(message)
        return []

    def finished(self, message: Message) -> None:
        """Forget what was promised for a migration batch."""
        if isinstance(message, MigrationBatch):
            self.migrations.forget(message.header.message_id)
