"""Who an authenticated request acts for: a connected system, or a user, as its verified access token says.

A `Principal` is made only from a verified credential (`tokens.TokenVerifier`), or, inside one
process, by code that is itself the sending system (`Principal.for_system`: the in-process
transports of the demo and the tests). Nothing a caller writes in a header, a parameter or a
body field ever becomes one.

- A **system** (client credentials, RFC 9068 §2.2: `sub` is the client's own ID) is a connected
  system of an organisation, of one kind (`system`), allowed the scopes its token carries: one
  per message type it may send (`messages:InvolvementStarted`).
- A **user** (a practitioner, a data manager...) is the token's subject, of the organisation the
  token names, reaching the service through a client; what the user may do comes from the
  system's own registration of that user, never from the token.

While a request is served, `current_principal` holds its principal, so that every audit entry
written on its behalf can name the subject and the client it came through, however deep in a
system the entry is written.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextvars import ContextVar
from typing import Any

import attrs

from ics_interop.messages import MessageType, SystemRef
from ics_interop.model.codes import SystemKind

__all__ = [
    "ALL_MESSAGE_SCOPES",
    "Principal",
    "audit_client",
    "current_principal",
    "message_scope",
]


def message_scope(message_type: MessageType | str) -> str:
    """The scope that allows a client to send messages of a type: `messages:<MessageType>`."""
    value = message_type.value if isinstance(message_type, MessageType) else message_type
    return f"messages:{value}"


#: Every message scope of the standard.
ALL_MESSAGE_SCOPES = frozenset(message_scope(t) for t in MessageType)


@attrs.frozen
class Principal:
    """The authenticated caller of one request."""

    subject: str
    client_id: str
    organisation_id: str
    system: SystemKind | None = None  # the kind of system, for a system's own token
    scopes: frozenset[str] = frozenset()
    issuer: str = ""
    token_id: str = ""
    #: A user's details as the token carries them (the standard's Practitioner, as JSON), if it does.
    practitioner: dict[str, Any] | None = None

    @property
    def is_user(self) -> bool:
        """A user's token (its subject is not the client itself)."""
        return self.subject != self.client_id

    def may_send(self, message_type: MessageType | str) -> bool:
        """Whether the token's scopes allow sending this message type."""
        return message_scope(message_type) in self.scopes

    def sends_as(self, sender: SystemRef) -> bool:
        """Whether `sender` (an envelope's) is this client: its organisation and its kind of system."""
        return (
            not self.is_user
            and sender.organisation_id == self.organisation_id
            and (self.system is None or sender.system is self.system)
        )

    def describe(self) -> str:
        """Who, for logs and audit: `user X via client Y` or `client Y (organisation, kind)`."""
        if self.is_user:
            return f"user {self.subject} of {self.organisation_id} via client {self.client_id}"
        kind = f", {self.system.value}" if self.system is not None else ""
        return f"client {self.client_id} ({self.organisation_id}{kind})"

    @classmethod
    def for_system(
        cls, system: SystemRef, *, client_id: str | None = None, scopes: Iterable[str] = ALL_MESSAGE_SCOPES
    ) -> Principal:
        """A system's own principal, for a sender in the same process (an in-process transport)."""
        client = client_id or f"{system.system.value}:{system.organisation_id}"
        return cls(
            subject=client,
            client_id=client,
            organisation_id=system.organisation_id,
            system=system.system,
            scopes=frozenset(scopes),
            issuer="in-process",
        )


#: The principal of the request being served, for audit entries written on its behalf.
current_principal: ContextVar[Principal | None] = ContextVar("current_principal", default=None)


def audit_client() -> str:
    """The client the current request came through, as an audit entry records it ('(in-process)' outside one)."""
    principal = current_principal.get()
    return principal.client_id if principal is not None else "(in-process)"
