"""What National eCAF refuses, and why: the exceptions of its Python API.

::

    ServiceError (adapters.errors; an IcsInteropError, so a ValueError)
    ├── EcafError              a request National eCAF will not carry out; nothing was stored
    │   ├── InvalidInput       a value is not one the standard allows (MODEL-...)          HTTP 422
    │   ├── ChangeRefused      the change breaks a rule of the standard or of this system   HTTP 422
    │   ├── UnknownRecord      no episode or migration report has that ID here (NotFound)  HTTP 404
    │   │   └── UnknownEpisode no episode has that ID here (NECAF-001)
    │   └── EpisodeConflict    the ID is held already, or the episode changed (Conflict)   HTTP 409
    └── Forbidden (also a PermissionError)
        ├── ConsentRefused     no consent on record for the practitioner or their organisation (CAF-002)  HTTP 403
        └── RoleRefused        the user's role may not do this (reports, audit, users: NECAF-ROLE)        HTTP 403

Every exception names the rule or constraint that refused the request (`rule_id`), where
(`where`, a JSON-style path), what is wrong (`message`) and how to fix it (`hint`): the same
four things the HTTP routes return as `{"error": {"id", "where", "message", "hint"}}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydantic import ValidationError

from ics_interop import Finding, Severity
from ics_interop.codecs.xml import pydantic_findings

from ..errors import Conflict, Forbidden, NotFound, ServiceError

__all__ = [
    "ChangeRefused",
    "ConsentRefused",
    "EcafError",
    "EpisodeConflict",
    "InvalidInput",
    "RoleRefused",
    "UnknownEpisode",
    "UnknownRecord",
    "error_document",
    "values_checked",
]


class EcafError(ServiceError):
    """Raised when National eCAF will not carry out a request; the store is as it was."""

    @classmethod
    def from_findings(cls, findings: Sequence[Finding], *, prefix: str = "") -> EcafError:
        """One exception for the error findings of a check: the first names it, the message lists them all."""
        errors = [f for f in findings if f.severity is Severity.ERROR]
        first = errors[0]
        message = "; ".join(f"{f.rule_id} at {f.path or '(episode)'}: {f.message}" for f in errors)
        return cls(first.rule_id, prefix + message, where=first.path, hint=first.hint, findings=errors)


class InvalidInput(EcafError):
    """Raised when a value given to the API is not one the standard allows (a pydantic constraint)."""

    @classmethod
    def from_validation(cls, error: ValidationError, *, where: str = "") -> InvalidInput:
        """The first constraint a value broke, with the others listed in the message."""
        findings = pydantic_findings(error)
        if where:
            findings = [
                Finding(f.rule_id, f.severity, f.message, path=f"{where}.{f.path}" if f.path else where, hint=f.hint)
                for f in findings
            ]
        refused = cls.from_findings(findings)
        assert isinstance(refused, InvalidInput)
        return refused


class ChangeRefused(EcafError):
    """Raised when a change would break a rule of the standard (CAF-001...) or of this system (NECAF-...)."""


class UnknownRecord(EcafError, NotFound):
    """Raised when no record with the given ID is held here."""


class UnknownEpisode(UnknownRecord):
    """Raised when no episode with the given ID is held here."""


class EpisodeConflict(EcafError, Conflict):
    """Raised when an episode ID is held already, or the episode changed between reading and writing it."""


class ConsentRefused(Forbidden):
    """Raised when the practitioner (or their organisation) has no consent on record for the episode; audited."""

    def __init__(
        self,
        message: str,
        *,
        episode_id: str,
        practitioner_id: str | None,
        organisation_id: str | None,
        purpose: str,
        rule_id: str = "CAF-002",
        where: str = "consents",
        hint: str = (
            "Record the child's (or parent's or carer's) consent for this practitioner or their organisation "
            "before they see or receive the CAF."
        ),
    ) -> None:
        super().__init__(rule_id, message, where=where, hint=hint)
        self.episode_id = episode_id
        self.practitioner_id = practitioner_id
        self.organisation_id = organisation_id
        self.purpose = purpose


class RoleRefused(Forbidden):
    """Raised when a user's role (from National eCAF's registration) does not allow what they asked."""


def error_document(exc: ServiceError) -> dict[str, dict[str, str]]:
    """The structured error the HTTP routes answer with."""
    document: dict[str, dict[str, str]] = exc.to_dict()
    return document


@contextmanager
def values_checked(where: str = "") -> Iterator[None]:
    """Inside the block, a value the model refuses (pydantic's ValidationError) becomes `InvalidInput`."""
    try:
        yield
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc, where=where) from None
