"""Coverage of the catalogue, computed, not claimed: each requirement with the checks that verify it.

An automated requirement must have, for every profile it applies to, at least one check of
that profile; every flow F1–F10 and every normative point of DOMAIN.md must be covered by a
requirement. `ics-interop conformance coverage` prints this and fails on any gap.
"""

from __future__ import annotations

from typing import Any

import attrs

from .catalogue import FLOWS, Requirement, domain_points, requirements
from .registry import Check, all_checks

__all__ = ["Coverage", "RequirementCoverage", "coverage", "coverage_text"]


@attrs.frozen
class RequirementCoverage:
    """One requirement, the checks that verify it by profile, and the profiles left without one."""

    requirement: Requirement
    checks: dict[str, tuple[str, ...]]  # profile -> check IDs
    missing: tuple[str, ...]  # profiles it applies to (automated) with no check


@attrs.frozen
class Coverage:
    """The whole catalogue's coverage."""

    requirements: tuple[RequirementCoverage, ...]
    uncovered_flows: tuple[str, ...]
    uncovered_points: tuple[str, ...]
    unknown_requirements: tuple[tuple[str, str], ...]  # (check ID, requirement ID) named by a check but not catalogued

    @property
    def complete(self) -> bool:
        """Whether nothing is missing."""
        return not (
            any(r.missing for r in self.requirements)
            or self.uncovered_flows
            or self.uncovered_points
            or self.unknown_requirements
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "complete": self.complete,
            "requirements": [
                {
                    "id": r.requirement.id,
                    "level": r.requirement.level,
                    "verification": r.requirement.verification,
                    "actors": list(r.requirement.actors),
                    "notApplicable": dict(r.requirement.not_applicable),
                    "checks": {p: list(c) for p, c in r.checks.items()},
                    "missing": list(r.missing),
                }
                for r in self.requirements
            ],
            "uncoveredFlows": list(self.uncovered_flows),
            "uncoveredPoints": list(self.uncovered_points),
            "unknownRequirements": [list(pair) for pair in self.unknown_requirements],
        }


def coverage(checks: list[Check] | None = None, profile: str | None = None) -> Coverage:
    """The coverage of the catalogue by `checks` (the suite's), for one profile or all."""
    found = checks if checks is not None else all_checks()
    catalogue = requirements()
    rows = []
    for requirement in catalogue.values():
        if profile is not None and not requirement.binds(profile):
            continue
        by_profile: dict[str, tuple[str, ...]] = {}
        missing = []
        for actor in requirement.actors:
            if profile is not None and actor != profile:
                continue
            ids = tuple(c.id for c in found if actor in c.profiles and requirement.id in c.requirements)
            if ids:
                by_profile[actor] = ids
            if requirement.verification == "automated" and requirement.applies_to(actor) and not ids:
                missing.append(actor)
        rows.append(RequirementCoverage(requirement, by_profile, tuple(missing)))
    flows = {f for r in catalogue.values() for f in r.flows}
    points = {p for r in catalogue.values() for p in r.points}
    unknown = tuple((c.id, r) for c in found for r in c.requirements if r not in catalogue)
    return Coverage(
        requirements=tuple(rows),
        uncovered_flows=tuple(f for f in FLOWS if f not in flows),
        uncovered_points=tuple(p for p in domain_points() if p not in points),
        unknown_requirements=unknown,
    )


def coverage_text(report: Coverage) -> str:
    """The coverage as text for people: one block per requirement."""
    lines = []
    for row in report.requirements:
        r = row.requirement
        lines.append(f"{r.id} [{r.level}, {r.verification}] {r.title}")
        for actor in r.actors:
            if actor in r.not_applicable:
                lines.append(f"    {actor}: not applicable ({r.not_applicable[actor]})")
            elif r.verification == "attestation":
                lines.append(f"    {actor}: attestation (inspect: {r.inspect})")
            elif actor in row.checks:
                lines.append(f"    {actor}: {', '.join(row.checks[actor])}")
            elif actor in row.missing:
                lines.append(f"    {actor}: NO TEST")
    for flow in report.uncovered_flows:
        lines.append(f"flow {flow}: NO REQUIREMENT")
    for point in report.uncovered_points:
        lines.append(f"DOMAIN.md point {point}: NO REQUIREMENT")
    for check_id, requirement_id in report.unknown_requirements:
        lines.append(f"check {check_id} names {requirement_id}, which is not in the catalogue")
    automated = sum(1 for row in report.requirements if row.requirement.verification == "automated")
    gaps = sum(1 for row in report.requirements if row.missing)
    lines.append(
        f"{len(report.requirements)} requirements, {automated} automated; "
        + ("every automated requirement has a test" if report.complete else f"{gaps} without a test: FAILED")
    )
    return "\n".join(lines) + "\n"
