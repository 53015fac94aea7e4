"""The `ics-interop conformance` commands: run the suite, print its coverage, publish the HTTP binding.

Thin: each subcommand calls one library function and prints what it returns. Exit status of
`run`: 0 only when no requirement failed, 1 when one did, 2 when the target or the options
cannot be used. `coverage` exits 1 when an automated requirement has no test.
"""

from __future__ import annotations

import argparse
import errno
import json
import shlex
import sys
from pathlib import Path

from .catalogue import PROFILE_NAMES

# The runner, the reports and the OpenAPI writer bring the reference systems, FastAPI and
# SQLAlchemy with them: they are imported when a conformance command runs, not every time
# `ics-interop` builds its parser.

__all__ = ["add_conformance_commands"]

EXIT_OK, EXIT_FAILED, EXIT_UNUSABLE = 0, 1, 2


def _options(pairs: list[str]) -> dict[str, str]:
    from .targets import TargetError

    options = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise TargetError(f"--option {pair!r}: write it as NAME=VALUE, for example data-manager=DM1")
        options[key.strip()] = value.strip()
    return options


def _cmd_run(args: argparse.Namespace) -> int:
    from .reports import write_reports
    from .runner import RunOptions, run_suite
    from .signing import signer_key
    from .targets import TargetError

    options = RunOptions(
        seed=args.seed,
        checks=tuple(args.check),
        max_examples=args.max_examples,
        shrink=args.shrink,
        wait_seconds=args.wait,
        capture_host=args.capture_host,
        capture_port=args.capture_port,
    )
    command = shlex.join(["ics-interop", "conformance", *sys.argv[2:]]) if len(sys.argv) > 2 else ""

    def progress(line: str) -> None:
        if not args.quiet:
            print(line, flush=True)

    system = {"name": args.sut_name or "", "version": args.sut_version or "", "vendor": args.sut_vendor or ""}
    tester = {"name": args.tester or "", "organisation": args.tester_organisation or ""}
    try:
        sign_key = signer_key(args.sign_key) if args.sign_key else None
        result = run_suite(
            args.profile,
            args.target,
            options=options,
            target_options=_options(args.option),
            progress=progress,
            command=command,
            system=system,
            tester=tester,
        )
    except (TargetError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except OSError as exc:
        if exc.errno != errno.EADDRINUSE:
            raise
        print(
            f"error: the suite's receiver cannot listen on {args.capture_host}:{args.capture_port}: "
            "the port is in use. Stop what holds it, or give --capture-port another port "
            "(and the systems' --route the same address)",
            file=sys.stderr,
        )
        return EXIT_UNUSABLE
    paths = write_reports(result, args.report, sign_key=sign_key)
    counts = ", ".join(f"{n} {state}" for state, n in result.counts().items() if n)
    verdict = "PASSED" if result.passed else "FAILED"
    print(f"{args.profile}: {verdict} ({counts}) in {result.duration:.1f}s, seed {result.seed}")
    for requirement in result.requirements:
        if requirement.state.value in ("fail", "warning"):
            state = requirement.state.value.upper()
            print(f"  {state} {requirement.requirement_id} {requirement.title}: {requirement.reason}")
            for outcome in requirement.outcomes:
                if outcome.replay:
                    print(f"    replay: {outcome.replay}")
    print(f"reports: {', '.join(str(p) for p in paths.values())}")
    unstated = [f"--sut-{k}" for k in ("name", "version", "vendor") if not result.system_under_test.get(k)]
    unstated += [] if result.tester.get("name") else ["--tester"]
    if unstated:
        print(f"note: the reports do not state {', '.join(unstated)}: give them for an accreditation run")
    if sign_key is None:
        print("note: evidence.zip is not signed: give --sign-key (your key, from `conformance keygen --tester`)")
    return EXIT_OK if result.passed else EXIT_FAILED


def _cmd_verify(args: argparse.Namespace) -> int:
    from .signing import verify_bundle

    try:
        jwks = json.loads(Path(args.jwks).read_text(encoding="utf-8")) if args.jwks else None
        check = verify_bundle(Path(args.bundle).read_bytes(), jwks)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    manifest = check.manifest
    sut = manifest.get("systemUnderTest") or {}
    tester = manifest.get("tester") or {}
    named = " ".join(str(v) for v in (sut.get("name"), sut.get("version")) if v) or "(not stated)"
    print(f"system: {named}{', by ' + str(sut['vendor']) if sut.get('vendor') else ''}")
    print(f"profile: {manifest.get('profile', '?')}; passed: {manifest.get('passed', '?')}")
    print(f"tested on {manifest.get('testedOn', '?')} by {tester.get('name') or '(not stated)'}")
    suite, spec = manifest.get("suite") or {}, manifest.get("spec") or {}
    print(f"suite {suite.get('version', '?')}, standard v{spec.get('schemaVersion', '?')}")
    for problem in check.problems:
        print(f"PROBLEM: {problem}")
    if check.problems:
        print("the bundle does NOT hold")
        return EXIT_FAILED
    if check.signature_verified:
        print(f"signature: good (key {check.key_id}); every file is as signed")
    elif check.signed:
        print(f"signed by key {check.key_id}, not verified: give the tester's public keys with --jwks FILE")
    else:
        print("unsigned: every file is as listed in SHA256SUMS, but nothing says who made it")
    return EXIT_OK


def _cmd_coverage(args: argparse.Namespace) -> int:
    from .coverage import coverage, coverage_text

    report = coverage(profile=args.profile)
    if args.format == "json":
        json.dump(report.to_dict(), sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        sys.stdout.write(coverage_text(report))
    return EXIT_OK if report.complete else EXIT_FAILED


def _cmd_openapi(args: argparse.Namespace) -> int:
    from .openapi import write_openapi

    differed = write_openapi(Path(args.out), check=args.check)
    for name in differed:
        print(f"{Path(args.out) / name}: {'differs' if args.check else 'written'}")
    return EXIT_FAILED if args.check and differed else EXIT_OK


def _cmd_keygen(args: argparse.Namespace) -> int:
    from .credentials import SUITE_ISSUER, keygen

    jwks = keygen(Path(args.out))
    if args.jwks_out:
        Path(args.jwks_out).write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    if args.tester:
        print(
            f"wrote your signing key to {args.out} (give it as --sign-key {args.out}; keep it to yourself).\n"
            "Publish these public keys: anyone verifies your evidence bundles with them "
            "(ics-interop conformance verify evidence.zip --jwks FILE):",
            file=sys.stderr,
        )
        print(json.dumps(jwks, indent=2))
        return EXIT_OK
    print(
        f"wrote the suite's private key to {args.out} (give it as --option issuer-key={args.out}).\n"
        f"Configure the system under test to trust the issuer {SUITE_ISSUER!r} with these public keys "
        f"(the reference services: serve ... --trust {SUITE_ISSUER}=FILE):",
        file=sys.stderr,
    )
    print(json.dumps(jwks, indent=2))
    return EXIT_OK


def add_conformance_commands(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the `conformance` command, with `run`, `coverage` and `openapi`, to a command line's subcommands."""
    conformance = subparsers.add_parser(
        "conformance",
        help="the conformance suite: test a system against a profile's requirements, with reports and evidence",
        description="Accreditation (seed §5.1): test a system against the requirements of its profile.",
    )
    sub = conformance.add_subparsers(dest="conformance_command", required=True)

    run = sub.add_parser("run", help="run the suite against a target; exit 0 only when nothing fails")
    run.add_argument("--profile", required=True, choices=PROFILE_NAMES, help="the profile the system implements")
    run.add_argument(
        "--target",
        required=True,
        help="http://host:port (a service), a folder of exported messages, or package.module:factory (an adapter)",
    )
    run.add_argument("--report", required=True, help="the folder to write report.json, .xml, .html and evidence.zip to")
    run.add_argument(
        "--option",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="a target option: issuer-key=FILE (HTTP: the suite's key, from `conformance keygen`), audience=URL, "
        "organisation=ORG, data-manager=ID (contactpoint), manager=ID (ecaf), worker=ID (ics), ca-file=PEM, "
        "timeout=20",
    )
    run.add_argument("--seed", type=int, default=None, help="the run's seed (printed with every failure to replay it)")
    run.add_argument(
        "--check", action="append", default=[], metavar="CHECK_ID", help="run only this check (repeatable)"
    )
    run.add_argument("--max-examples", type=int, default=25, help="examples per Hypothesis property (default 25)")
    run.add_argument("--shrink", action="store_true", help="shrink a failing example to its simplest form (slower)")
    run.add_argument("--wait", type=float, default=15.0, help="seconds to wait for a service to deliver what it sends")
    run.add_argument("--capture-host", default="127.0.0.1", help="where the suite's receiver listens (HTTP targets)")
    run.add_argument("--capture-port", type=int, default=0, help="its port (0: any; the URL is printed)")
    run.add_argument("--quiet", action="store_true", help="print the verdict only, not a line per check")
    named = run.add_argument_group("who tested what (in the reports and the signed evidence)")
    named.add_argument("--sut-name", help="the system under test's product name (default: what it says of itself)")
    named.add_argument("--sut-version", help="its version (default: what it says, e.g. its OpenAPI info.version)")
    named.add_argument("--sut-vendor", help="who makes it")
    named.add_argument("--tester", help="your name, as the accreditation tester")
    named.add_argument("--tester-organisation", help="the organisation you test for")
    named.add_argument(
        "--sign-key",
        metavar="FILE",
        help="your private key (from `conformance keygen --tester`): signs evidence.zip (SHA256SUMS.jws)",
    )
    run.set_defaults(run=_cmd_run)

    verify = sub.add_parser(
        "verify",
        help="check an evidence bundle: every file as listed, and the tester's signature",
        description="Check evidence.zip as a reviewer does: every file has the SHA-256 that SHA256SUMS lists, nothing "
        "was added, and (with --jwks) SHA256SUMS.jws is a good signature by one of the tester's published keys. "
        "Exit 0 when it holds, 1 when it does not, 2 when the file cannot be read.",
    )
    verify.add_argument("bundle", help="the evidence.zip to check")
    verify.add_argument("--jwks", metavar="FILE", help="the tester's public keys (a JWKS, from the tester)")
    verify.set_defaults(run=_cmd_verify)

    cover = sub.add_parser("coverage", help="print each requirement with its tests; exit 1 when one has none")
    cover.add_argument("--profile", choices=PROFILE_NAMES, help="only this profile's requirements")
    cover.add_argument("--format", choices=["text", "json"], default="text", help="output format")
    cover.set_defaults(run=_cmd_coverage)

    openapi = sub.add_parser("openapi", help="write the HTTP binding's OpenAPI documents (the reference services')")
    openapi.add_argument("--out", required=True, help="the folder to write contactpoint.json, ecaf.json, ics.json to")
    openapi.add_argument("--check", action="store_true", help="write nothing; exit 1 and name each file that differs")
    openapi.set_defaults(run=_cmd_openapi)

    keys = sub.add_parser(
        "keygen",
        help="make the suite's signing key (the system under test trusts its tokens), or with --tester your own",
        description="The suite signs the access tokens it uses over HTTP (as every sender and user a check plays, and "
        "the broken tokens a system must refuse). Make its key once; configure the system under test to trust the "
        "suite's issuer with the public keys this prints; give the key to each run with --option issuer-key=FILE.",
    )
    keys.add_argument("--out", required=True, metavar="FILE", help="where to write the private key (a JWK file)")
    keys.add_argument("--jwks-out", metavar="FILE", help="also write the public JWKS here")
    keys.add_argument(
        "--tester", action="store_true", help="make a tester's key instead, to sign evidence bundles (--sign-key)"
    )
    keys.set_defaults(run=_cmd_keygen)
