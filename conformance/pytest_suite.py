"""The suite inside a vendor's own pytest: each check a test item, the same reports at the end.

This is the machinery the plugin (`ics_interop_pytest`, registered with pytest by a `pytest11`
entry point) loads only when it is asked for, so that having ics-interop installed costs
another project's test run nothing. Either

- on the command line: `pytest --conformance-profile ics --conformance-target
  mypackage.adapter:build --conformance-report reports/` adds one test per check of the
  profile; or
- in a test module: `test_conformance = conformance_tests("ics", MyAdapter)` makes a test
  parametrized over the profile's checks, for that adapter (built once per session).

A failing check fails its test, with each failed requirement and the command that replays it;
a check that cannot run is skipped with the reason. With `--conformance-report DIR` the session
writes report.json, report.xml, report.html and evidence.zip, exactly as `ics-interop conformance
run` does. Run these tests in one process (no `-n`): the checks share one system and one receiver.
"""

from __future__ import annotations

import atexit
import datetime as dt
import secrets
import time
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

import pytest

from .capture import Capture
from .catalogue import requirements
from .outcomes import CheckOutcome, RunResult, State
from .registry import Check, checks_for
from .reports import write_reports
from .runner import RunOptions, _environment, _result, run_check
from .targets import Target, parse_target

__all__ = ["ConformanceFailed", "ConformanceSession", "conformance_tests"]

_KEY = pytest.StashKey["ConformanceSession"]()


class ConformanceFailed(AssertionError):
    """Raised by a conformance test whose check failed a requirement."""


class ConformanceSession:
    """One system under test for the whole pytest session: opened on first use, reported on at the end."""

    def __init__(self, profile: str, target: Target, options: RunOptions) -> None:
        self.profile = profile
        self.target = target
        self.options = options
        self.seed = options.seed if options.seed is not None else secrets.randbelow(2**32)
        self.outcomes: list[CheckOutcome] = []
        self.replies: list[tuple[str, bytes]] = []
        self.capture = Capture()
        self._stack: ExitStack | None = None
        self._sut: Any = None
        self.started_at = dt.datetime.now(dt.UTC)
        self._clock = time.monotonic()
        catalogue = [r for r in requirements().values() if r.binds(profile)]
        self.automated = {r.id for r in catalogue if r.applies_to(profile) and r.verification == "automated"}

    def checks(self) -> list[Check]:
        """The checks to run, as test items."""
        found = [c for c in checks_for(self.profile) if self.automated & set(c.requirements)]
        return [c for c in found if not self.options.checks or c.id in self.options.checks]

    def _open(self) -> Any:
        if self._stack is None:
            self._stack = ExitStack()
            if self.target.kind == "http":
                self._stack.enter_context(self.capture.serve(self.options.capture_host, self.options.capture_port))
            self._sut = self._stack.enter_context(self.target.open(self.profile))
        return self._sut

    def run(self, check: Check) -> list[CheckOutcome]:
        """Run one check and keep its outcomes."""
        found = run_check(
            check,
            profile=self.profile,
            target=self.target,
            sut=self._open(),
            capture=self.capture,
            run_seed=self.seed,
            options=self.options,
            applicable=[r for r in check.requirements if r in self.automated],
            folder_messages=self.target.folder_messages(),
            replies=self.replies,
        )
        self.outcomes.extend(found)
        return found

    def result(self) -> RunResult:
        """The session as a run, for the reports."""
        catalogue = [r for r in requirements().values() if r.binds(self.profile)]
        captured = tuple((f"sent/{c.file_name}", c.body) for c in self.capture.messages())
        return RunResult(
            profile=self.profile,
            target=self.target.describe(),
            seed=self.seed,
            started_at=self.started_at.isoformat(timespec="seconds"),
            finished_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            duration=time.monotonic() - self._clock,
            requirements=tuple(_result(r, self.profile, self.outcomes, selected=True) for r in catalogue),
            environment=_environment(),
            command="pytest (ics_interop_pytest)",
            captured=captured,
        )

    def close(self) -> None:
        """Close the system under test and the receiver."""
        if self._stack is not None:
            self._stack.close()
            self._stack = None


def check_test(session: ConformanceSession, check: Check) -> None:
    """What one conformance test does: run the check; fail, skip or pass as it found."""
    outcomes = session.run(check)
    failed = [o for o in outcomes if o.state is State.FAIL]
    if failed:
        lines = [f"{o.requirement_id}: {o.message}\n    replay: {o.replay}" for o in failed]
        raise ConformanceFailed("requirement(s) not met:\n" + "\n".join(lines))
    if outcomes and all(o.state is State.SKIPPED for o in outcomes):
        pytest.skip(outcomes[0].message)


# --- the command-line mode --------------------------------------------------------------------------


def _options(config: pytest.Config) -> RunOptions:
    return RunOptions(
        seed=config.getoption("conformance_seed"), max_examples=config.getoption("conformance_max_examples")
    )


class ConformanceItem(pytest.Item):
    """One check of the suite, as a pytest test."""

    def __init__(self, *, check: Check, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check
        for requirement_id in check.requirements:
            self.user_properties.append(("requirement", requirement_id))

    def runtest(self) -> None:
        check_test(self.config.stash[_KEY], self.check)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ConformanceFailed):
            return str(excinfo.value)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[str, int, str]:
        return "conformance", 0, f"{self.check.id}: {self.check.title}"


def start(config: pytest.Config, profile: str, target: str, options: dict[str, str]) -> None:
    """Open the session of the command-line mode (called by the plugin when its options are given)."""
    config.stash[_KEY] = ConformanceSession(profile, parse_target(target, options), _options(config))


def add_items(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    """Add a test item per check of the profile."""
    suite = config.stash.get(_KEY, None)
    if suite is None:
        return
    for check in suite.checks():
        items.append(ConformanceItem.from_parent(session, name=f"conformance[{check.id}]", check=check))


def finish(session: pytest.Session) -> None:
    """Write the reports (when asked for) and close the system."""
    suite = session.config.stash.get(_KEY, None)
    if suite is None:
        return
    report = session.config.getoption("conformance_report", None)
    try:
        if report and suite.outcomes:
            write_reports(suite.result(), report)
    finally:
        suite.close()


# --- the in-module mode -------------------------------------------------------------------------------


def _finish(session: ConformanceSession, target: Target) -> None:
    session.close()
    close = getattr(target.adapter, "close", None)
    if callable(close):
        close()


def conformance_tests(
    profile: str,
    adapter: Callable[[], Any] | str,
    *,
    seed: int | None = None,
    max_examples: int = 25,
    options: dict[str, str] | None = None,
) -> Callable[..., None]:
    """A test parametrized over the profile's checks, for a Python adapter (a factory) or a URL or folder."""
    if isinstance(adapter, str):
        target = parse_target(adapter, options)
    else:
        target = Target("adapter", getattr(adapter, "__qualname__", repr(adapter)), dict(options or {}), adapter=None)
    run_options = RunOptions(seed=seed, max_examples=max_examples)
    session_holder: dict[str, ConformanceSession] = {}
    catalogue = [r for r in requirements().values() if r.binds(profile)]
    automated = {r.id for r in catalogue if r.applies_to(profile) and r.verification == "automated"}
    checks = [c for c in checks_for(profile) if automated & set(c.requirements)]

    def suite() -> ConformanceSession:
        if "suite" not in session_holder:
            chosen = (
                target
                if isinstance(adapter, str)
                else Target("adapter", target.spec, target.options, adapter=adapter())
            )
            session_holder["suite"] = ConformanceSession(profile, chosen, run_options)
            atexit.register(_finish, session_holder["suite"], chosen)
        return session_holder["suite"]

    @pytest.mark.parametrize("check", checks, ids=[c.id for c in checks])
    def test_conformance(check: Check, record_property: Callable[[str, object], None]) -> None:
        for requirement_id in check.requirements:
            record_property("requirement", requirement_id)
        check_test(suite(), check)

    return test_conformance
