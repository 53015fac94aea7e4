"""The suite's checks: each a function, registered with the requirement IDs it verifies.

A check names its requirements, the profiles it tests and the kinds of target it can run
on. On a kind it cannot run on it is reported as skipped, with the reason, never silently
left out: a tester sees, requirement by requirement, what was and was not tested. Live
checks (phase 1) drive the system; static checks (phase 2) then read what it sent, or the
folder of messages it exported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Literal

import attrs

if TYPE_CHECKING:
    from .context import CheckContext

__all__ = ["KINDS", "Check", "TargetKind", "all_checks", "check", "checks_for"]

TargetKind = Literal["http", "adapter", "folder"]
#: The kinds of target, as the report names them.
KINDS: tuple[TargetKind, ...] = ("http", "adapter", "folder")

#: Why a check cannot run on a kind of target, unless the check says better.
_DEFAULT_SKIP: dict[TargetKind, str] = {
    "folder": "needs a live system (HTTP or a Python adapter): a folder holds only the messages a system exported",
    "http": "needs the Python adapter's hooks: the HTTP binding defines no way to do this",
    "adapter": "needs the HTTP binding itself",
}

#: The modules that register checks, imported on first use.
_CHECK_MODULES = (
    "ics_interop.conformance.check_messaging",
    "ics_interop.conformance.check_contactpoint",
    "ics_interop.conformance.check_ecaf",
    "ics_interop.conformance.check_ics",
    "ics_interop.conformance.check_feed",
    "ics_interop.conformance.check_security",
    "ics_interop.conformance.check_static",
)


@attrs.frozen
class Check:
    """One check of the suite."""

    id: str
    title: str
    requirements: tuple[str, ...]
    profiles: tuple[str, ...]
    kinds: tuple[TargetKind, ...]
    run: Callable[[CheckContext], None]
    phase: int = 1
    skip_reasons: Mapping[str, str] = attrs.field(factory=dict)

    def skip_reason(self, kind: TargetKind) -> str:
        """Why the check does not run on `kind` (empty when it does)."""
        if kind in self.kinds:
            return ""
        return self.skip_reasons.get(kind, _DEFAULT_SKIP[kind])


_CHECKS: dict[str, Check] = {}


def check(
    check_id: str,
    title: str,
    *,
    requirements: Iterable[str],
    profiles: Iterable[str],
    kinds: Iterable[TargetKind] = ("http", "adapter"),
    phase: int = 1,
    skip_reasons: Mapping[str, str] | None = None,
) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register the decorated function as the check `check_id`."""

    def register(fn: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        if check_id in _CHECKS:
            raise ValueError(f"check {check_id} is registered twice")
        _CHECKS[check_id] = Check(
            id=check_id,
            title=title,
            requirements=tuple(requirements),
            profiles=tuple(profiles),
            kinds=tuple(kinds),
            run=fn,
            phase=phase,
            skip_reasons=dict(skip_reasons or {}),
        )
        return fn

    return register


def all_checks() -> list[Check]:
    """Every check of the suite, live ones first, in the order they were written."""
    for module in _CHECK_MODULES:
        importlib.import_module(module)
    return sorted(_CHECKS.values(), key=lambda c: c.phase)


def checks_for(profile: str) -> list[Check]:
    """The checks that test `profile`."""
    return [c for c in all_checks() if profile in c.profiles]
