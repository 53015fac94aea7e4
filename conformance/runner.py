"""Running the suite: one profile, one target, every check, and each requirement's verdict.

`run_suite` is what `ics-interop conformance run` and the pytest plugin call. It picks the
profile's requirements from the catalogue, declares the not-applicable ones and the
attestations, runs every check that verifies an automated requirement (live checks, then the
static reading of what the system sent), and combines the checks' outcomes into each
requirement's state. Every check gets its own seed, derived from the run's; a failure's
replay command names the run's seed and the check, which is all it takes to replay it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import platform
import secrets
import shlex
import sys
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from importlib import metadata
from typing import Any

import attrs

from ics_interop import SCHEMA_VERSION, __version__

from .capture import Capture
from .catalogue import Requirement, requirements
from .context import CheckContext, SkipCheck
from .outcomes import CheckOutcome, RequirementResult, RunResult, State, combine
from .preflight import preflight
from .profiles import profile as get_profile
from .registry import Check, checks_for
from .routing import NothingDelivered
from .targets import Target, TargetError, parse_target, redact

__all__ = ["RunOptions", "check_seed", "replay_command", "run_check", "run_suite"]

Progress = Callable[[str], None]


@attrs.frozen
class RunOptions:
    """How to run: the seed, which checks, how many examples, how long to wait for a system over HTTP."""

    seed: int | None = None
    checks: tuple[str, ...] = ()
    max_examples: int = 25
    shrink: bool = False
    wait_seconds: float = 15.0
    capture_host: str = "127.0.0.1"
    capture_port: int = 0


def check_seed(run_seed: int, check_id: str) -> int:
    """The seed a check runs with: the same for the same run seed, whatever else is selected."""
    return int.from_bytes(hashlib.sha256(f"{run_seed}:{check_id}".encode()).digest()[:4], "big")


def replay_command(profile: str, target: Target, run_seed: int, check_id: str) -> str:
    """The command that replays one check exactly (options redacted: put the secrets back by hand)."""
    described = target.describe()
    parts = ["ics-interop", "conformance", "run", "--profile", profile, "--target", str(described["target"])]
    for key, value in sorted(redact(dict(target.options)).items()):
        parts += ["--option", f"{key}={value}"]
    parts += ["--seed", str(run_seed), "--check", check_id, "--report", "replay-report"]
    return shlex.join(parts)


def _environment() -> dict[str, Any]:
    versions = {}
    for package in ("ics-interop", "hypothesis", "pydantic", "lxml", "fastapi", "sqlalchemy", "httpx"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    return {
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "machine": platform.machine(),
        "packages": versions,
        "suiteVersion": __version__,
        "specVersion": SCHEMA_VERSION,
    }


def run_check(
    check: Check,
    *,
    profile: str,
    target: Target,
    sut: Any,
    capture: Capture,
    run_seed: int,
    options: RunOptions,
    applicable: Sequence[str],
    folder_messages: Sequence[tuple[str, bytes]] = (),
    replies: list[tuple[str, bytes]] | None = None,
) -> list[CheckOutcome]:
    """Run one check; its outcome for each of its applicable requirements."""
    seed = check_seed(run_seed, check.id)
    replay = replay_command(profile, target, run_seed, check.id)
    reason = check.skip_reason(target.kind)
    if reason:
        return [CheckOutcome(check.id, check.title, r, State.SKIPPED, reason, seed) for r in applicable]
    ctx = CheckContext(
        profile=profile,
        kind=target.kind,
        sut=sut,
        capture=capture,
        requirements=check.requirements,
        seed=seed,
        max_examples=options.max_examples,
        shrink=options.shrink,
        wait_seconds=options.wait_seconds,
        folder_messages=folder_messages,
        options=target.options,
        replies=replies,
    )
    started = time.monotonic()
    skipped: str | None = None
    crashed: str | None = None
    try:
        check.run(ctx)
    except SkipCheck as skip:
        skipped = str(skip)
    except NothingDelivered:
        raise
    except Exception as error:  # outside every `verifying` block: the check could not do its work
        crashed = f"{type(error).__name__}: {error}"
        ctx.evidence(traceback.format_exc(limit=6), applicable[0] if applicable else None)
    duration = time.monotonic() - started
    outcomes = []
    for requirement_id in applicable:
        verdict = ctx.verdicts.get(requirement_id)
        evidence = tuple(ctx.notes.get(requirement_id, ()))
        state: State
        if verdict is not None and verdict.state is not State.PASS:
            state, message = verdict.state, verdict.message
        elif crashed is not None and verdict is None:
            state, message = State.FAIL, f"the check could not complete: {crashed}"
        elif skipped is not None and verdict is None:
            state, message = State.SKIPPED, skipped
        elif verdict is None:
            state, message = State.SKIPPED, "the check did not reach this requirement"
        else:
            state, message = State.PASS, ""
        outcomes.append(
            CheckOutcome(
                check.id,
                check.title,
                requirement_id,
                state,
                message,
                seed,
                replay if state in (State.FAIL, State.WARNING) else "",
                duration,
                evidence,
            )
        )
    return outcomes


@contextmanager
def _capture_for(target: Target, options: RunOptions, given: Capture | None) -> Iterator[Capture]:
    if given is not None:
        yield given
        return
    capture = Capture()
    if target.kind == "http":
        with capture.serve(options.capture_host, options.capture_port):
            yield capture
    else:
        yield capture


def run_suite(
    profile: str,
    target: Target | str,
    *,
    options: RunOptions | None = None,
    target_options: Mapping[str, str] | None = None,
    capture: Capture | None = None,
    progress: Progress | None = None,
    command: str = "",
    system: Mapping[str, str] | None = None,
    tester: Mapping[str, str] | None = None,
) -> RunResult:
    """Run the profile's checks against the target; every requirement of the profile, with its state.

    `system` names the system under test (name, version, vendor: what the tester was given, over
    what the system says of itself) and `tester` who ran the suite (name, organisation): the
    reports and the evidence bundle carry both.
    """
    declared = get_profile(profile)
    opts = options or RunOptions()
    chosen = parse_target(target, target_options) if isinstance(target, str) else target
    if chosen.kind not in declared.kinds:
        raise TargetError(
            f"the {profile} profile cannot be tested over {chosen.kind}: give "
            + " or ".join(
                {"http": "a URL", "adapter": "a Python adapter", "folder": "a folder"}[k] for k in declared.kinds
            )
        )
    run_seed = opts.seed if opts.seed is not None else secrets.randbelow(2**32)
    catalogue = [r for r in requirements().values() if r.binds(profile)]
    automated = {r.id for r in catalogue if r.applies_to(profile) and r.verification == "automated"}
    checks = [c for c in checks_for(profile) if automated & set(c.requirements)]
    if opts.checks:
        unknown = set(opts.checks) - {c.id for c in checks}
        if unknown:
            raise ValueError(f"no check {', '.join(sorted(unknown))} tests the {profile} profile")
        checks = [c for c in checks if c.id in opts.checks]
    started_at = dt.datetime.now(dt.UTC)
    clock = time.monotonic()
    outcomes: list[CheckOutcome] = []
    replies: list[tuple[str, bytes]] = []
    with ExitStack() as stack:
        live = stack.enter_context(_capture_for(chosen, opts, capture))
        if progress and live.url and chosen.kind == "http":
            progress(f"the suite's receiver is at {live.url}: route your system's messages there")
        sut = stack.enter_context(chosen.open(profile))
        described = system_under_test(chosen, sut, system or {})
        folder = chosen.folder_messages()
        if chosen.kind == "http":
            preflight(sut, profile)
        stopped: str | None = None
        for check in checks:
            applicable = [r for r in check.requirements if r in automated]
            if stopped is not None:
                seed = check_seed(run_seed, check.id)
                outcomes.extend(
                    CheckOutcome(check.id, check.title, r, State.SKIPPED, stopped, seed) for r in applicable
                )
                continue
            try:
                found = run_check(
                    check,
                    profile=profile,
                    target=chosen,
                    sut=sut,
                    capture=live,
                    run_seed=run_seed,
                    options=opts,
                    applicable=applicable,
                    folder_messages=folder,
                    replies=replies,
                )
            except NothingDelivered as nothing:
                message = f"nothing reached the suite's receiver: {nothing}"
                seed = check_seed(run_seed, check.id)
                replay = replay_command(profile, chosen, run_seed, check.id)
                found = [CheckOutcome(check.id, check.title, r, State.FAIL, message, seed, replay) for r in applicable]
                stopped = f"not run: the run stopped at {check.id}, where nothing reached the suite's receiver"
                if progress:
                    progress(f"stopping: {message}")
            outcomes.extend(found)
            if progress:
                states = ", ".join(f"{o.requirement_id} {o.state.value}" for o in found)
                progress(f"{check.id}: {states} ({found[0].duration if found else 0:.1f}s)")
        captured = tuple((f"sent/{c.file_name}", c.body) for c in live.messages())
        captured += tuple(
            (f"replies/{i:04d}.{'json' if 'json' in kind else 'xml'}", body)
            for i, (kind, body) in enumerate(replies, 1)
        )
    results = [_result(r, profile, outcomes, selected=bool(opts.checks)) for r in catalogue]
    finished_at = dt.datetime.now(dt.UTC)
    return RunResult(
        profile=profile,
        target=chosen.describe(),
        seed=run_seed,
        started_at=started_at.isoformat(timespec="seconds"),
        finished_at=finished_at.isoformat(timespec="seconds"),
        duration=time.monotonic() - clock,
        requirements=tuple(results),
        environment=_environment(),
        command=command,
        captured=captured,
        system_under_test=described,
        tester={k: v for k, v in (tester or {}).items() if v},
    )


def system_under_test(target: Target, sut: Any, given: Mapping[str, str]) -> dict[str, str]:
    """The system tested, as the report names it: what the tester gave, else what the system says of itself."""
    said: Mapping[str, Any] = {}
    describe = getattr(sut, "describe", None)
    if callable(describe):
        try:
            said = dict(describe())
        except Exception:  # a system that cannot describe itself is still tested; the tester names it
            said = {}
    found = {
        "name": given.get("name") or said.get("system") or said.get("title") or "",
        "version": given.get("version") or said.get("version") or "",
        "vendor": given.get("vendor") or said.get("vendor") or "",
        "url": str(target.describe()["target"]) if target.kind == "http" else "",
    }
    return {key: str(value) for key, value in found.items()}


def _result(
    requirement: Requirement, profile: str, outcomes: Sequence[CheckOutcome], *, selected: bool
) -> RequirementResult:
    mine = tuple(o for o in outcomes if o.requirement_id == requirement.id)
    verification = requirement.verification_for(profile)

    def result(state: State, reason: str, found: tuple[CheckOutcome, ...] = ()) -> RequirementResult:
        return RequirementResult(
            requirement_id=requirement.id,
            level=requirement.level,
            title=requirement.title,
            text=requirement.text,
            verification=verification,
            state=state,
            reason=reason,
            outcomes=found,
            inspect=requirement.inspect,
        )

    if verification == "not-applicable":
        return result(State.NOT_APPLICABLE, requirement.not_applicable.get(profile, "declared not applicable"))
    if verification == "attestation":
        return result(State.ATTESTATION, f"for the tester to inspect: {requirement.inspect}")
    if not mine:
        if selected:
            return result(State.SKIPPED, "no check was selected for it (--check)")
        return result(State.FAIL, "no check of the suite verifies it")
    state, reason = combine(requirement.level, mine)
    return result(state, reason, mine)
