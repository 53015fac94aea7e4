"""What a run finds: the state of each check for each requirement, and of each requirement as a whole.

States (the issue's words): pass, fail, warning, skipped (with a reason), not applicable
(declared by the profile) and attestation (for a tester to inspect by hand). A requirement's
state combines its checks': any failure fails it (a SHOULD or MAY that is not met is a
warning instead), then any warning, then a pass; when every check was skipped, it is
skipped. An automated requirement with no check at all is a failure of the suite itself,
which the coverage command refuses before any run.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Any

import attrs

__all__ = ["CheckOutcome", "RequirementResult", "RunResult", "State", "combine"]


class State(str, enum.Enum):
    """The state of a check or a requirement."""

    PASS = "pass"
    FAIL = "fail"
    WARNING = "warning"
    SKIPPED = "skipped"
    NOT_APPLICABLE = "not-applicable"
    ATTESTATION = "attestation"


@attrs.frozen
class CheckOutcome:
    """What one check found for one requirement it verifies."""

    check_id: str
    title: str
    requirement_id: str
    state: State
    message: str = ""
    seed: int | None = None
    replay: str = ""
    duration: float = 0.0
    evidence: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The outcome as JSON-ready data."""
        return {
            "check": self.check_id,
            "title": self.title,
            "requirement": self.requirement_id,
            "state": self.state.value,
            "message": self.message,
            "seed": self.seed,
            "replay": self.replay,
            "durationSeconds": round(self.duration, 3),
            "evidence": list(self.evidence),
        }


@attrs.frozen
class RequirementResult:
    """A requirement's state for the profile run, with the outcomes of its checks."""

    requirement_id: str
    level: str
    title: str
    text: str
    verification: str
    state: State
    reason: str
    outcomes: tuple[CheckOutcome, ...] = ()
    inspect: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The result as JSON-ready data."""
        return {
            "id": self.requirement_id,
            "level": self.level,
            "title": self.title,
            "text": self.text,
            "verification": self.verification,
            "state": self.state.value,
            "reason": self.reason,
            "inspect": self.inspect,
            "checks": [o.to_dict() for o in self.outcomes],
        }


def combine(level: str, outcomes: Sequence[CheckOutcome]) -> tuple[State, str]:
    """A requirement's state from its checks' outcomes, and the reason (the first failure, or the skips)."""
    failures = [o for o in outcomes if o.state is State.FAIL]
    if failures:
        first = failures[0]
        reason = f"{first.check_id}: {first.message}"
        return (State.FAIL if level == "SHALL" else State.WARNING), reason
    warnings = [o for o in outcomes if o.state is State.WARNING]
    if warnings:
        return State.WARNING, f"{warnings[0].check_id}: {warnings[0].message}"
    if any(o.state is State.PASS for o in outcomes):
        return State.PASS, ""
    skipped = [o for o in outcomes if o.state is State.SKIPPED]
    if skipped:
        reasons = sorted({o.message for o in skipped})
        return State.SKIPPED, "; ".join(reasons)
    return State.SKIPPED, "no check of this requirement ran"


@attrs.frozen
class RunResult:
    """A whole run: the profile, the target, every requirement's result and every check's outcome."""

    profile: str
    target: dict[str, Any]
    seed: int
    started_at: str
    finished_at: str
    duration: float
    requirements: tuple[RequirementResult, ...]
    environment: dict[str, Any] = attrs.field(factory=dict)
    command: str = ""
    captured: tuple[tuple[str, bytes], ...] = ()  # (file name, bytes) of the messages the system sent
    system_under_test: dict[str, str] = attrs.field(factory=dict)  # name, version, vendor, url
    tester: dict[str, str] = attrs.field(factory=dict)  # name, organisation

    def counts(self) -> dict[str, int]:
        """How many requirements are in each state."""
        counts = {state.value: 0 for state in State}
        for result in self.requirements:
            counts[result.state.value] += 1
        return counts

    @property
    def passed(self) -> bool:
        """Whether nothing failed (the run's exit status is 0 exactly then)."""
        return not any(r.state is State.FAIL for r in self.requirements)

    def failed_ids(self) -> list[str]:
        """The IDs of the requirements that failed."""
        return [r.requirement_id for r in self.requirements if r.state is State.FAIL]

    def result(self, requirement_id: str) -> RequirementResult:
        """The result of one requirement."""
        for found in self.requirements:
            if found.requirement_id == requirement_id:
                return found
        raise KeyError(requirement_id)
