"""The requirement catalogue: well formed, covering every flow and DOMAIN.md point, each automated one tested."""

from __future__ import annotations

import argparse
import io
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from ics_interop.conformance import PROFILES, all_checks, coverage, domain_points, requirements
from ics_interop.conformance.catalogue import FLOWS, PROFILE_NAMES, CatalogueError, parse_catalogue
from ics_interop.conformance.cli import add_conformance_commands

from ics_interop.specdocs import load_requirements

ROOT = Path(__file__).resolve().parents[1]


def _cli(*argv: str) -> tuple[int, str]:
    parser = argparse.ArgumentParser(prog="ics-interop")
    add_conformance_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(list(argv))
    out = io.StringIO()
    with redirect_stdout(out):
        status = args.run(args)
    return status, out.getvalue()


def test_every_flow_and_every_domain_point_has_a_requirement() -> None:
    report = coverage()
    assert report.uncovered_flows == ()
    assert report.uncovered_points == ()
    assert {f for r in requirements().values() for f in r.flows} == set(FLOWS)
    assert len(domain_points()) >= 20


def test_every_automated_requirement_has_a_test_for_each_profile_it_binds() -> None:
    report = coverage()
    assert [(r.requirement.id, r.missing) for r in report.requirements if r.missing] == []
    assert report.unknown_requirements == ()
    assert report.complete


def test_the_coverage_command_prints_each_requirement_with_its_tests_and_passes() -> None:
    status, out = _cli("conformance", "coverage")
    assert status == 0
    assert "CP-R06 [SHALL, automated]" in out
    assert "cp.ended-involvement-one-year" in out
    assert "feed-source: not applicable" in out
    assert "every automated requirement has a test" in out
    status, out = _cli("conformance", "coverage", "--profile", "ecaf", "--format", "json")
    assert status == 0
    assert '"complete": true' in out


def test_the_coverage_command_fails_when_an_automated_requirement_has_no_test() -> None:
    without = [c for c in all_checks() if "CP-R06" not in c.requirements]
    report = coverage(without)
    assert not report.complete
    assert [r.requirement.id for r in report.requirements if r.missing] == ["CP-R06"]


def test_each_requirement_binds_profiles_and_attestations_say_what_to_inspect() -> None:
    found = requirements()
    assert len(found) >= 60
    for requirement in found.values():
        assert requirement.actors
        assert set(requirement.actors) <= set(PROFILE_NAMES)
        assert requirement.level in ("SHALL", "SHOULD", "MAY")
        if requirement.verification == "attestation":
            assert requirement.inspect
        for profile, reason in requirement.not_applicable.items():
            assert profile in requirement.actors
            assert reason
    for name in PROFILE_NAMES:
        verifications = {r.verification_for(name) for r in found.values() if r.binds(name)}
        assert "automated" in verifications
        assert "attestation" in verifications
    assert tuple(PROFILES) == PROFILE_NAMES


def test_a_malformed_catalogue_is_refused_naming_every_problem() -> None:
    text = """
[[point]]
id = "D-01"
text = "a point"

[[requirement]]
id = "CP-R01"
level = "MUST"
title = "t"
text = "x"
actors = ["contactpoint", "directory"]
source = "seed"
verification = "attestation"
flows = ["F11"]
points = ["D-02"]
rules = ["NO-SUCH-RULE"]

[[requirement]]
id = "CP-R01"
level = "SHALL"
title = "t"
text = "x"
actors = ["ecaf"]
source = "seed"
verification = "automated"
not_applicable = { "ics" = "not an actor" }
"""
    with pytest.raises(CatalogueError) as caught:
        parse_catalogue(text)
    message = str(caught.value)
    for problem in (
        "level 'MUST'",
        "'directory' is not a profile",
        "must say what the tester inspects",
        "'F11' is not a flow",
        "point 'D-02'",
        "NO-SUCH-RULE",
        "'ics' is not one of its actors",
        "requirement ID CP-R01 is used twice",
    ):
        assert problem in message


def test_the_documentation_site_can_read_the_catalogue() -> None:
    published = load_requirements(ROOT / "conformance" / "requirements.toml")
    assert published is not None
    assert {r.id for r in published} == set(requirements())


def test_every_check_names_catalogued_requirements_of_its_own_profiles() -> None:
    found = requirements()
    for check in all_checks():
        for requirement_id in check.requirements:
            assert requirement_id in found, check.id
            assert set(check.profiles) & set(found[requirement_id].actors), (check.id, requirement_id)


def test_the_checks_reach_a_system_only_through_a_target() -> None:
    # Only the reference adapters, the broken examples and the import shim may name the reference systems.
    allowed = {"reference_adapters.py", "broken.py", "_adapters.py", "openapi.py"}
    for path in (ROOT / "conformance").glob("*.py"):
        if path.name in allowed:
            continue
        text = path.read_text()
        assert "adapters." not in text.replace("_adapters.", ""), path.name
        assert "import adapters" not in text, path.name
