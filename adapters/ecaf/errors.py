"""What National eCAF refuses, and why: the exceptions of its Python API.

::

    IcsInteropError (ValueError)
    └── EcafError              a request National eCAF will not carry out; nothing was stored
        ├── InvalidInput       a value is not one the standard allows (MODEL-...)          HTTP 422
        ├── ChangeRefused      the change breaks a rule of the standard or of this system   HTTP 422
        ├── UnknownRecord      no episode or migration report has that ID here             HTTP 404
        │   └── UnknownEpisode no episode has that ID here (NECAF-001)
        └── EpisodeConflict    the ID is held already, or the episode changed meanwhile    HTTP 409
    PermissionError
    └── ConsentRefused         no consent on record for the practitioner or their organisation (CAF-002)  HTTP 403

Every exception names the rule or constraint that refused the request (`rule_id`), where
(`where`, a JSON-style path), what is wrong (`message`) and how to fix it (`hint`): the same
four things the HTTP routes return as `{"error": {"id", "where", "message", "hint"}}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

from pydantic import ValidationError

from ics_interop import Finding, IcsInteropError, Severity
from ics_interop.codecs.xml import pydantic_findings

__all__ = [
    "ChangeRefused",
    "ConsentRefused",
    "EcafError",
    "EpisodeConflict",
    "InvalidInput",
    "UnknownEpisode",
    "UnknownRecord",
    "error_document",
    "values_checked",
]


class EcafError(IcsInteropError):
    """Raised when National eCAF will not carry out a request; the store is as it was."""

    status_code = 422

    def __init__(
        self, rule_id: str, message: str, *, where: str = "", hint: str = "", findings: Sequence[Finding] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.rule_id = rule_id
        self.where = where
        self.findings = list(findings) or [Finding(rule_id, Severity.ERROR, message, path=where, hint=hint)]

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


class UnknownRecord(EcafError):
    """Raised when no record with the given ID is held here."""

    status_code = 404


class UnknownEpisode(UnknownRecord):
    """Raised when no episode with the given ID is held here."""


class EpisodeConflict(EcafError):
    """Raised when an episode ID is held already, or the episode changed between reading and writing it."""

    status_code = 409


class ConsentRefused(PermissionError):
    """Raised when the practitioner (or their organisation) has no consent on record for the episode; audited."""

    status_code = 403

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
        super().__init__(message)
        self.message = message
        self.rule_id = rule_id
        self.where = where
        self.hint = hint
        self.episode_id = episode_id
        self.practitioner_id = practitioner_id
        self.organisation_id = organisation_id
        self.purpose = purpose

    def __str__(self) -> str:
        return f"{self.message}. To fix: {self.hint}"


def error_document(exc: EcafError | ConsentRefused) -> dict[str, dict[str, str]]:
    """The structured error the HTTP routes answer with."""
    return {"error": {"id": exc.rule_id, "where": exc.where, "message": exc.message, "hint": exc.hint}}


@contextmanager
def values_checked(where: str = "") -> Iterator[None]:
    """Inside the block, a value the model refuses (pydantic's ValidationError) becomes `InvalidInput`."""
    try:
        yield
    except ValidationError as exc:
        raise InvalidInput.from_validation(exc, where=where) from None
