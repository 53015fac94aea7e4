"""What every part of National eCAF works with: its store, tables, outbox, identity and clock."""

from __future__ import annotations

import datetime as dt
import uuid

import attrs
from sqlalchemy.engine import Connection

from ics_interop import Message, SystemRef

from ..messaging import Clock, Outbox
from ..storage import Store
from .conformity import require_valid_message
from .tables import EcafTables

__all__ = ["Context"]


@attrs.frozen
class Context:
    """One National eCAF's working parts (the operations are functions over it)."""

    store: Store
    tables: EcafTables
    outbox: Outbox
    identity: SystemRef
    contactpoint: SystemRef
    clock: Clock

    def now(self) -> dt.datetime:
        """The current moment, from the system's clock."""
        return self.clock()

    def today(self) -> dt.date:
        """Today's date (UTC), from the system's clock."""
        return self.clock().astimezone(dt.UTC).date()

    @staticmethod
    def new_id(kind: str) -> str:
        """A fresh identifier of National eCAF's, for example `NECAF-ACT-3F2A...`."""
        return f"NECAF-{kind}-{uuid.uuid4().hex[:16].upper()}"

    def send(self, connection: Connection, message: Message, route: str) -> None:
        """Check an outgoing message against the standard, then write it to the outbox in the caller's transaction."""
        require_valid_message(message)
        self.outbox.enqueue(connection, message, route)
