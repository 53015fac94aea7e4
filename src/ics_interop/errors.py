"""Exceptions of the library.

::

    IcsInteropError (ValueError)
    ├── UnusableInputError      the input cannot be read as a message at all (exit status 2)
    │   └── HostileInputError   the input tries something dangerous: a DTD, entities, a bomb
    └── DecodeError             the input is XML or JSON but not a valid message; carries findings

Every exception carries a `hint`: what the caller can do about it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .findings import Finding

__all__ = ["DecodeError", "HostileInputError", "IcsInteropError", "UnusableInputError"]


class IcsInteropError(ValueError):
    """Base of the library's errors; a `ValueError`, as a caller would expect of bad input."""

    def __init__(self, message: str, *, hint: str = "", line: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.line = line

    def __str__(self) -> str:
        where = f" (line {self.line})" if self.line else ""
        return f"{self.message}{where}" + (f". To fix: {self.hint}" if self.hint else "")


class UnusableInputError(IcsInteropError):
    """Raised when input is unreadable, not XML or JSON, too large, or of an unknown message type."""


class HostileInputError(UnusableInputError):
    """Raised when XML declares a DTD or entities, or otherwise tries to escape the parser's limits."""


class DecodeError(IcsInteropError):
    """Raised when well-formed input is not a valid message; `findings` says what and where."""

    def __init__(self, message: str, findings: list[Finding], *, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.findings = findings
