"""A run over HTTP stops at once, with the fix, when its target cannot be used as given.

A tester whose service is down, does not trust the suite's key, does not know the user the
suite acts as, or delivers its messages nowhere, gets one error that says what to do, not a
report of every check failing in the same way after minutes of waiting.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ics_interop.conformance import Capture, RunOptions, State, TargetError, parse_target, run_suite
from ics_interop.conformance.credentials import keygen
from ics_interop.conformance.reference_adapters import serve_reference
from ics_interop.conformance.routing import routing_hint

from ics_interop import from_xml
from ics_interop.cli import main

OPTIONS = RunOptions(seed=7, max_examples=3, wait_seconds=1.0)


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_a_target_that_is_not_running_stops_the_run_with_how_to_start_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    keygen(tmp_path / "suite.jwk.json")
    url = f"http://127.0.0.1:{_closed_port()}"
    argv = ["conformance", "run", "--profile", "ecaf", "--target", url, "--report", str(tmp_path / "report")]
    argv += ["--option", f"issuer-key={tmp_path / 'suite.jwk.json'}", "--option", "manager=M1"]
    assert main(argv) == 2
    error = capsys.readouterr().err
    assert f"cannot reach {url}" in error
    assert "ics-interop up" in error
    assert not (tmp_path / "report").exists()


def test_a_service_that_does_not_trust_the_suites_key_is_told_to(tmp_path: Path) -> None:
    keygen(tmp_path / "other.jwk.json")
    with serve_reference("contactpoint") as (url, options):
        options["issuer-key"] = str(tmp_path / "other.jwk.json")
        with pytest.raises(TargetError) as refused:
            run_suite("contactpoint", parse_target(url, options), options=OPTIONS)
    message = str(refused.value)
    assert "refused the suite's token" in message
    assert "--trust urn:ics-interop:conformance-suite=JWKS_FILE" in message


@pytest.mark.parametrize(
    ("profile", "option", "fix"),
    [
        ("contactpoint", "data-manager", "ics-interop users add contactpoint NOBODY --role data-manager"),
        ("ecaf", "manager", "ics-interop users add ecaf NOBODY --role manager"),
    ],
)
def test_a_user_the_service_does_not_know_stops_the_run_with_how_to_register_them(
    profile: str, option: str, fix: str
) -> None:
    with serve_reference(profile) as (url, options):
        options[option] = "NOBODY"
        with pytest.raises(TargetError) as refused:
            run_suite(profile, parse_target(url, options), options=OPTIONS)
    assert "does not let NOBODY do what the suite needs" in str(refused.value)
    assert fix in str(refused.value)


def test_a_system_that_delivers_nowhere_fails_at_the_first_wait_and_the_run_stops_there() -> None:
    capture = Capture()
    started = time.monotonic()
    with capture.serve() as receiver, serve_reference("ecaf") as (url, options):  # no route to the suite
        result = run_suite("ecaf", parse_target(url, options), options=OPTIONS, capture=capture)
    elapsed = time.monotonic() - started
    outcomes = [o for r in result.requirements for o in r.outcomes]
    waited = [o for o in outcomes if o.message.startswith("nothing reached the suite's receiver")]
    assert waited
    assert len({o.check_id for o in waited}) == 1
    assert all(o.state is State.FAIL for o in waited)
    assert receiver in waited[0].message
    assert "contactpoint, national-ecaf, ics:LA204-CSC, local-ecaf:LA204" in waited[0].message
    assert "nothing at all has arrived this run" in waited[0].message
    stopped = [o for o in outcomes if o.message.startswith(f"not run: the run stopped at {waited[0].check_id}")]
    assert stopped
    assert all(o.state is State.SKIPPED for o in stopped)
    assert not result.passed
    # One wait of 1 s, not one per check that waits for a message.
    assert elapsed < 60


def test_a_wait_that_ends_empty_names_the_routes_that_did_deliver() -> None:
    examples = Path(__file__).parent.parent / "schemas" / "v1" / "examples"
    delivered = [from_xml((examples / f"{name}.xml").read_bytes()) for name in ("InvolvementStarted", "StepDown")]
    hint = routing_hint("http://127.0.0.1:8099", delivered)
    assert "so far messages arrived on contactpoint (1), national-ecaf (1)." in hint
    assert "--route contactpoint=http://127.0.0.1:8099" in hint
    assert "ics-interop up --suite http://127.0.0.1:8099" in hint


def test_a_capture_port_in_use_is_an_error_with_the_fix_not_a_traceback(tmp_path: Path) -> None:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "ics_interop.cli", "conformance", "run", "--profile", "contactpoint",
             "--target", "http://127.0.0.1:1", "--report", str(tmp_path), "--capture-port", str(port)],
            capture_output=True, text=True, check=False, timeout=120,
        )  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert f"127.0.0.1:{port}: the port is in use" in done.stderr
    assert "--capture-port" in done.stderr
