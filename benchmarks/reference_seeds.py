#!/usr/bin/env python
"""No false failures: the reference systems against the conformance suite, for many seeds, over both kinds of target.

    python benchmarks/reference_seeds.py                        # 20 seeds, adapter and HTTP, every profile
    python benchmarks/reference_seeds.py --seeds 5 --no-http    # a quick look

Each seed runs every profile against its reference adapter (a fresh SQLite file) and, for the
profiles with an HTTP binding, against the reference service over HTTP, with the suite's default
number of examples (25) unless told otherwise. It prints one line per run (the profile, the kind of
target, the seed, the time, and any requirement that failed or warned, with the reason) and, at
the end, the slowest run of each profile and kind: the suite must stay under five minutes per
profile against a reference system. It exits 1 if any run failed or warned: on a reference
system, every failure is the suite's own.

Seeds are 1..N unless `--first` says where to start, so a run can be split or repeated exactly.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from collections.abc import Sequence
from typing import Any

# Imported by name: mypy reads the suite as the top-level `conformance` tree, not as ics_interop.conformance.
suite = importlib.import_module("ics_interop.conformance")
reference = importlib.import_module("ics_interop.conformance.reference_adapters")
Capture, RunOptions, State, Target = suite.Capture, suite.RunOptions, suite.State, suite.Target
ADAPTERS: dict[str, Any] = {
    "contactpoint": reference.ReferenceDirectory,
    "ecaf": reference.ReferenceEcaf,
    "ics": reference.ReferenceIcs,
    "feed-source": reference.ReferenceFeedSource,
}
SERVED = ("contactpoint", "ecaf", "ics")


def _problems(result: Any) -> list[str]:
    return [
        f"{r.requirement_id} {r.state.value}: {r.reason[:300]}"
        for r in result.requirements
        if r.state in (State.FAIL, State.WARNING)
    ]


def run_once(profile: str, kind: str, seed: int, options: Any) -> tuple[float, list[str]]:
    """One run of the suite against a reference system: its time in seconds and its problems."""
    started = time.monotonic()
    run = RunOptions(seed=seed, max_examples=options.max_examples, wait_seconds=options.wait_seconds)
    if kind == "http":
        capture = Capture()
        with capture.serve() as receiver, reference.serve_reference(profile, receiver) as (url, target_options):
            result = suite.run_suite(profile, suite.parse_target(url, target_options), options=run, capture=capture)
    else:
        adapter = ADAPTERS[profile]()
        try:
            result = suite.run_suite(profile, Target("adapter", f"reference:{profile}", adapter=adapter), options=run)
        finally:
            adapter.close()
    return time.monotonic() - started, _problems(result)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--seeds", type=int, default=20, help="how many seeds (default 20)")
    parser.add_argument("--first", type=int, default=1, help="the first seed (default 1)")
    parser.add_argument("--max-examples", type=int, default=25, help="property checks' examples (default 25)")
    parser.add_argument("--profiles", default=",".join(ADAPTERS), help="which profiles (default: all four)")
    parser.add_argument("--no-http", action="store_true", help="adapter runs only")
    args = parser.parse_args(argv)
    options = RunOptions(max_examples=args.max_examples, wait_seconds=10.0)
    profiles = args.profiles.split(",")
    slowest: dict[tuple[str, str], float] = {}
    failed = runs = 0
    for seed in range(args.first, args.first + args.seeds):
        for profile in profiles:
            kinds = ["adapter"] + (["http"] if profile in SERVED and not args.no_http else [])
            for kind in kinds:
                seconds, problems = run_once(profile, kind, seed, options)
                slowest[profile, kind] = max(slowest.get((profile, kind), 0.0), seconds)
                failed += bool(problems)
                runs += 1
                verdict = "ok" if not problems else "FALSE FAILURE"
                print(f"seed {seed:>4} {profile:<13} {kind:<8} {seconds:6.1f}s {verdict}", flush=True)
                for problem in problems:
                    print(f"    {problem}", flush=True)
    print("\nslowest run of each profile (the suite must stay under 5 minutes per profile):")
    for (profile, kind), seconds in sorted(slowest.items()):
        print(f"  {profile:<13} {kind:<8} {seconds:6.1f}s")
    print(f"{failed} of {runs} runs had a false failure or warning")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
