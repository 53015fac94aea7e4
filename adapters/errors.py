"""The one structured error every reference system raises, and the HTTP status each kind maps to.

::

    IcsInteropError (ValueError)
    └── ServiceError              a request a system will not carry out; nothing was stored   HTTP 422
        ├── Unauthenticated       no credential, or one that cannot be trusted                HTTP 401
        ├── Forbidden             the caller may not do this: the wrong role, no consent      HTTP 403
        │                         (also a PermissionError)
        ├── NotFound              no such record, episode, case or queue entry                HTTP 404
        │                         (also a LookupError)
        ├── Conflict              the request contradicts what the system holds               HTTP 409
        ├── PayloadTooLarge       the body is larger than the service accepts                 HTTP 413
        └── UnsupportedMediaType  the body is not in a form the route accepts                 HTTP 415

Each system's own errors subclass these (ContactPoint's `DirectoryError`, National eCAF's
`EcafError` and `ConsentRefused`, the ICS system's `ChangeRefused`), so the HTTP layer
(`adapters.http`) answers every one of them the same way, with the status of its kind and the
body ``{"error": {"id", "where", "message", "hint"}}``, and a Python caller (the conformance
suite's adapters) catches one type. Every error names the rule or constraint that refused the
request (`rule_id`), where (`where`, a JSON-style path, a header or a parameter), what is
wrong (`message`) and how to put it right (`hint`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ics_interop import Finding, IcsInteropError, Severity

__all__ = [
    "Conflict",
    "Forbidden",
    "NotFound",
    "PayloadTooLarge",
    "ServiceError",
    "Unauthenticated",
    "UnsupportedMediaType",
]


class ServiceError(IcsInteropError):
    """Raised when a reference system will not carry out a request; the store is as it was."""

    status: ClassVar[int] = 422

    def __init__(
        self, rule_id: str, message: str, *, where: str = "", hint: str = "", findings: Sequence[Finding] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.rule_id = rule_id
        self.where = where
        self.findings = list(findings) or [Finding(rule_id, Severity.ERROR, message, path=where, hint=hint)]

    def __str__(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"{self.rule_id}{at}: {super().__str__()}"

    def to_dict(self) -> dict[str, Any]:
        """The body every route answers the refusal with."""
        return {"error": {"id": self.rule_id, "where": self.where, "message": self.message, "hint": self.hint}}


class Unauthenticated(ServiceError):
    """Raised when a request carries no credential, or one the service cannot trust (HTTP 401)."""

    status: ClassVar[int] = 401


class Forbidden(ServiceError, PermissionError):
    """Raised when the authenticated caller may not do this: the wrong role, organisation or scope (HTTP 403)."""

    status: ClassVar[int] = 403


class NotFound(ServiceError, LookupError):
    """Raised when the record, episode, case or entry named does not exist here (HTTP 404)."""

    status: ClassVar[int] = 404


class Conflict(ServiceError):
    """Raised when a request contradicts what the system holds: an ID taken, a closed record (HTTP 409)."""

    status: ClassVar[int] = 409


class PayloadTooLarge(ServiceError):
    """Raised when a request's body is larger than the service accepts (HTTP 413)."""

    status: ClassVar[int] = 413


class UnsupportedMediaType(ServiceError):
    """Raised when a request's body is not in a form the route accepts (HTTP 415)."""

    status: ClassVar[int] = 415
