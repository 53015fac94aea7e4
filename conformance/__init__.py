"""The conformance suite: the requirements every system is accredited against (seed §5.1), executable.

A vendor declares a profile (`contactpoint`, `ecaf`, `ics`, `feed-source`) and offers its system
as a target: a service over the standard's HTTP binding, a Python adapter implementing the
profile's Protocol (`protocol`), or a folder of messages it exported. `run_suite` runs every check
of the profile and gives each requirement of the catalogue (`requirements.toml`) a state: pass,
fail, warning, skipped (with the reason), not applicable (declared by the profile) or attestation
(for a tester to inspect). `write_reports` writes JSON, JUnit XML, HTML and the evidence bundle.

Rooms: `catalogue` (the requirements), `profiles`, `protocol` (the adapter Protocols),
`targets` and `http_drivers` (the three kinds of target), `capture` (the receiver that stands in
for the systems the target sends to), `scenarios` and `generation` (the people and messages the
checks use; Hypothesis strategies), `check_*` (the checks), `runner`, `outcomes`, `reports`,
`coverage`, `cli`, `pytest_suite` (what the pytest plugin, the top-level module
`ics_interop_pytest`, loads when it is used); `reference_adapters` (the reference systems,
plugged in) and `broken` (deliberately broken systems the suite must catch).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .capture import Capture, CapturedMessage
    from .catalogue import CatalogueError, DomainPoint, Requirement, domain_points, requirements
    from .coverage import Coverage, coverage, coverage_text
    from .outcomes import CheckOutcome, RequirementResult, RunResult, State
    from .profiles import PROFILES, Profile, profile
    from .protocol import (
        AccessDenied,
        DirectoryUnderTest,
        EcafUnderTest,
        FeedSourceUnderTest,
        IcsUnderTest,
        NotFound,
        Refused,
        Reply,
        SystemUnderTest,
    )
    from .registry import Check, all_checks
    from .reports import (
        REPORT_VERSION,
        evidence_bundle,
        html_report,
        json_report,
        junit_report,
        report_schema,
        write_reports,
    )
    from .runner import RunOptions, run_suite
    from .scenarios import SUITE_ROUTES
    from .targets import Target, TargetError, parse_target

# The suite's public names, loaded on first use: importing the package (as the command line
# and the pytest plugin registration do) must not start up the reference systems it can drive.
_WHERE = {
    "AccessDenied": "protocol",
    "Capture": "capture",
    "CapturedMessage": "capture",
    "CatalogueError": "catalogue",
    "Check": "registry",
    "CheckOutcome": "outcomes",
    "Coverage": "coverage",
    "DirectoryUnderTest": "protocol",
    "DomainPoint": "catalogue",
    "EcafUnderTest": "protocol",
    "FeedSourceUnderTest": "protocol",
    "IcsUnderTest": "protocol",
    "NotFound": "protocol",
    "PROFILES": "profiles",
    "Profile": "profiles",
    "REPORT_VERSION": "reports",
    "Refused": "protocol",
    "Reply": "protocol",
    "Requirement": "catalogue",
    "RequirementResult": "outcomes",
    "RunOptions": "runner",
    "RunResult": "outcomes",
    "SUITE_ROUTES": "scenarios",
    "State": "outcomes",
    "SystemUnderTest": "protocol",
    "Target": "targets",
    "TargetError": "targets",
    "all_checks": "registry",
    "coverage": "coverage",
    "coverage_text": "coverage",
    "domain_points": "catalogue",
    "evidence_bundle": "reports",
    "html_report": "reports",
    "json_report": "reports",
    "junit_report": "reports",
    "parse_target": "targets",
    "profile": "profiles",
    "report_schema": "reports",
    "requirements": "catalogue",
    "run_suite": "runner",
    "write_reports": "reports",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


__all__ = [
    "PROFILES",
    "REPORT_VERSION",
    "SUITE_ROUTES",
    "AccessDenied",
    "Capture",
    "CapturedMessage",
    "CatalogueError",
    "Check",
    "CheckOutcome",
    "Coverage",
    "DirectoryUnderTest",
    "DomainPoint",
    "EcafUnderTest",
    "FeedSourceUnderTest",
    "IcsUnderTest",
    "NotFound",
    "Profile",
    "Refused",
    "Reply",
    "Requirement",
    "RequirementResult",
    "RunOptions",
    "RunResult",
    "State",
    "SystemUnderTest",
    "Target",
    "TargetError",
    "all_checks",
    "coverage",
    "coverage_text",
    "domain_points",
    "evidence_bundle",
    "html_report",
    "json_report",
    "junit_report",
    "parse_target",
    "profile",
    "report_schema",
    "requirements",
    "run_suite",
    "write_reports",
]
