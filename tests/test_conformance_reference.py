"""The reference systems pass every applicable requirement of their profile, on every kind of target that fits them.

Each profile runs as a Python adapter (the reference adapters), over HTTP (the reference
services, delivering what they send to the suite's receiver) and as a folder (what the
adapter run captured, exported as a vendor would). What is skipped is exactly what cannot be
checked on that kind of target, and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from ics_interop.conformance import Capture, RunOptions, RunResult, State, Target, parse_target, run_suite
from ics_interop.conformance.reference_adapters import (
    ReferenceDirectory,
    ReferenceEcaf,
    ReferenceFeedSource,
    ReferenceIcs,
    serve_reference,
)

OPTIONS = RunOptions(seed=20100201, max_examples=10, wait_seconds=10.0)
ADAPTERS = {
    "contactpoint": ReferenceDirectory,
    "ecaf": ReferenceEcaf,
    "ics": ReferenceIcs,
    "feed-source": ReferenceFeedSource,
}
#: What an adapter run cannot check: the HTTP binding's status codes, and its tokens (no token crosses a Python call).
ADAPTER_SKIPS = {
    "contactpoint": {"MSG-R08", "SEC-R01", "SEC-R02", "SEC-R06"},
    "ecaf": {"MSG-R08", "SEC-R01", "SEC-R02", "SEC-R06"},
    "ics": {"MSG-R08", "SEC-R01", "SEC-R02", "SEC-R05"},
    "feed-source": set(),
}


def _states(result: RunResult) -> dict[str, State]:
    return {r.requirement_id: r.state for r in result.requirements}


def _assert_conforms(result: RunResult, skipped: set[str]) -> None:
    problems = [
        (r.requirement_id, r.state.value, r.reason)
        for r in result.requirements
        if r.state in (State.FAIL, State.WARNING)
    ]
    assert problems == []
    assert result.passed
    assert {k for k, v in _states(result).items() if v is State.SKIPPED} == skipped
    for requirement in result.requirements:
        if requirement.state is State.SKIPPED:
            assert requirement.reason, requirement.requirement_id


def _adapter_run(profile: str, db_url: str | None = None) -> RunResult:
    adapter = ADAPTERS[profile](db_url)
    try:
        return run_suite(profile, Target("adapter", f"reference:{profile}", adapter=adapter), options=OPTIONS)
    finally:
        adapter.close()


@pytest.fixture(scope="module")
def adapter_runs() -> dict[str, RunResult]:
    return {profile: _adapter_run(profile) for profile in ADAPTERS}


@pytest.mark.parametrize("profile", list(ADAPTERS))
def test_each_reference_system_conforms_as_a_python_adapter(profile: str, adapter_runs: dict[str, RunResult]) -> None:
    result = adapter_runs[profile]
    _assert_conforms(result, ADAPTER_SKIPS[profile])
    states = _states(result)
    assert states["MSG-R14"] is State.ATTESTATION
    if profile == "feed-source":
        assert states["MSG-R01"] is State.NOT_APPLICABLE
        assert "receives no message" in result.result("MSG-R01").reason


def test_the_reference_directory_conforms_on_postgresql_as_on_sqlite(store_url: str) -> None:
    _assert_conforms(_adapter_run("contactpoint", store_url), ADAPTER_SKIPS["contactpoint"])


@pytest.mark.parametrize("profile", ["contactpoint", "ecaf", "ics"])
def test_each_reference_service_conforms_over_http(profile: str) -> None:
    capture = Capture()
    with capture.serve() as receiver, serve_reference(profile, receiver) as (url, options):
        result = run_suite(profile, parse_target(url, options), options=OPTIONS, capture=capture)
    _assert_conforms(result, set())
    assert result.target["kind"] == "http"
    if profile != "contactpoint":
        assert capture.delivered(), "the service delivered nothing to the suite's receiver"


def test_a_directory_without_its_test_clock_has_its_purging_skipped_saying_why() -> None:
    capture = Capture()
    only = RunOptions(seed=OPTIONS.seed, checks=("cp.purge-after-retention",), wait_seconds=OPTIONS.wait_seconds)
    with capture.serve() as receiver, serve_reference("contactpoint", receiver, test_clock=False) as (url, options):
        result = run_suite("contactpoint", parse_target(url, options), options=only, capture=capture)
    purge = result.result("CP-R17")
    assert purge.state is State.SKIPPED
    assert "CP-TEST-CLOCK" in purge.reason
    assert "test clock" in purge.reason
    assert not result.failed_ids()


def test_a_feed_source_cannot_be_tested_over_http_and_says_so() -> None:
    with pytest.raises(ValueError, match="feed-source profile cannot be tested over http"):
        run_suite("feed-source", parse_target("http://127.0.0.1:9"), options=OPTIONS)


@pytest.mark.parametrize("profile", list(ADAPTERS))
def test_what_each_reference_system_sent_conforms_as_a_folder(
    profile: str, adapter_runs: dict[str, RunResult], tmp_path: Path
) -> None:
    sent = adapter_runs[profile].captured
    assert sent
    for name, body in sent:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
    result = run_suite(profile, parse_target(str(tmp_path)), options=OPTIONS)
    states = _states(result)
    assert result.passed
    assert {k for k, v in states.items() if v is State.PASS} >= {"MSG-R10", "MSG-R11", "MSG-R12"}
    skipped = [r for r in result.requirements if r.state is State.SKIPPED]
    assert skipped
    assert all("folder" in r.reason or "live" in r.reason for r in skipped)
    if profile == "ics":
        assert states["ICS-R02"] is State.PASS  # read from the folder: no case text in what went to ContactPoint
        assert states["ICS-R09"] is State.PASS
