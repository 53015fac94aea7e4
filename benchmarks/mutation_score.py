#!/usr/bin/env python
"""The conformance suite's mutation score against the reference systems, measured with cosmic-ray.

A mutant is the code of a reference system with one small change (a comparison turned round, a
condition negated, a constant altered) made by cosmic-ray. The test that must kill it is the
conformance suite, run against the reference adapter of the profile the code belongs to (not the
project's unit tests): a mutant the suite still passes is a broken system the suite would accredit.

    python benchmarks/mutation_score.py                         # every system, 60 mutants each
    python benchmarks/mutation_score.py --systems ecaf --sample 120 --keep /tmp/teeth

For each system (`contactpoint`, `ecaf`, `ics`, `messaging`) the script copies `adapters/` and
`conformance/` into a scratch folder (as on disk, or at `--revision REV` to measure an earlier
suite), lets cosmic-ray list every mutation of the system's modules (`cosmic-ray init`), keeps a
sample of them (chosen by a hash of the mutant and `--sample-seed`, so the same code gives the same
sample), marks the rest as skipped, and runs the sample (`cosmic-ray exec`, one worker: mutation
testing is CPU-heavy). cosmic-ray changes the copy's files in place, one mutant at a time; the test
command is this script again (`kill`), which imports `ics_interop.adapters` and
`ics_interop.conformance` from the copy (edits made meanwhile change nothing) and runs the
profile's suite with a fixed seed. A run that fails or warns on any requirement kills the mutant;
so does one that exceeds the timeout.

It prints, per system, the mutants sampled, killed, survived and known to be equivalent
(`benchmarks/mutation_triage.toml`: a survivor no test can kill, with the reason), the score
(killed / (sampled - equivalent)) and each surviving mutant's diff.

Mutants inside the annotations of a signature or a local variable are left out before sampling:
under `from __future__ import annotations` they are never evaluated, so they are equivalent by
construction (the count is printed). Annotations of class bodies (pydantic fields) stay in.

Not mutated, and why: `routes.py` (the HTTP binding: reached only over HTTP, and the suite's
security and binding checks run there), `tables.py` (column declarations: SQLite enforces no
length, so their mutants are equivalent on the store the adapters use), and `__init__.py` files
(re-exports).
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TRIAGE = Path(__file__).resolve().parent / "mutation_triage.toml"

#: Each system: the files mutated (relative to adapters/) and the profiles whose suite must kill them.
SYSTEMS: dict[str, tuple[str, tuple[str, ...]]] = {
    "contactpoint": ("contactpoint", ("contactpoint",)),
    "ecaf": ("ecaf", ("ecaf",)),
    "ics": ("ics", ("ics", "feed-source")),
    "messaging": ("messaging.py", ("contactpoint", "ecaf", "ics")),
}
_SKIPPED_FILES = {"routes.py", "tables.py", "__init__.py"}


# --- the killing test: the suite against the reference adapter, on the mutated copy ---------------------


def _import_from(tree: Path, folder: str) -> None:
    """Make `ics_interop.<folder>` the copy under `tree` (before anything imports the installed one)."""
    import ics_interop

    package = tree / folder
    spec = importlib.util.spec_from_file_location(
        f"ics_interop.{folder}", package / "__init__.py", submodule_search_locations=[str(package)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[f"ics_interop.{folder}"] = module
    setattr(ics_interop, folder, module)
    spec.loader.exec_module(module)


def kill(tree: Path, profiles: Sequence[str], seed: int, max_examples: int) -> int:
    """Run the profiles' suites against the reference adapters built from `tree`: 0 when all conform."""
    _import_from(tree, "adapters")
    _import_from(tree, "conformance")  # the suite as it was when the run started, whatever is edited since
    # Imported by name: the copy's packages are not on the type checker's path.
    suite = importlib.import_module("ics_interop.conformance")
    reference = importlib.import_module("ics_interop.conformance.reference_adapters")
    factories: dict[str, Any] = {
        "contactpoint": reference.ReferenceDirectory,
        "ecaf": reference.ReferenceEcaf,
        "ics": reference.ReferenceIcs,
        "feed-source": reference.ReferenceFeedSource,
    }
    options = suite.RunOptions(seed=seed, max_examples=max_examples, wait_seconds=2.0)
    found: list[str] = []
    for profile in profiles:
        adapter = factories[profile]()
        try:
            target = suite.Target("adapter", f"mutant:{profile}", adapter=adapter)
            result = suite.run_suite(profile, target, options=options)
        finally:
            adapter.close()
        found += [
            f"{profile} {r.requirement_id} {r.state.value}: {r.reason[:300]}"
            for r in result.requirements
            if r.state in (suite.State.FAIL, suite.State.WARNING)
        ]
        if found:
            break  # one profile that catches the mutant is enough
    print("\n".join(found) or "every requirement passed")
    return 1 if found else 0


# --- the session: cosmic-ray init, a sample, cosmic-ray exec ---------------------------------------------


def _modules(tree: Path, system: str) -> list[Path]:
    where = tree / "adapters" / SYSTEMS[system][0]
    if where.is_file():
        return [where]
    return sorted(p for p in where.glob("*.py") if p.name not in _SKIPPED_FILES)


def _config(tree: Path, system: str, args: argparse.Namespace) -> str:
    profiles = ",".join(SYSTEMS[system][1])
    command = (
        f"{sys.executable} {Path(__file__).resolve()} kill --tree {tree} --profiles {profiles} "
        f"--seed {args.suite_seed} --max-examples {args.max_examples}"
    )
    modules = ", ".join(json.dumps(str(p)) for p in _modules(tree, system))
    return (
        "[cosmic-ray]\n"
        f"module-path = [{modules}]\n"
        f"timeout = {args.timeout}\n"
        "excluded-modules = []\n"
        f"test-command = {json.dumps(command)}\n"
        "[cosmic-ray.distributor]\n"
        'name = "local"\n'
    )


def _stable_key(item: Any, tree: Path) -> str:
    mutation = item.mutations[0]
    where = Path(mutation.module_path).relative_to(tree)
    return f"{where}:{mutation.operator_name}:{mutation.occurrence}"


def _annotation_spans(path: Path) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Where a module's signatures and local variables are annotated: never evaluated (postponed annotations)."""
    tree = ast.parse(path.read_text("utf-8"))
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            arguments = node.args
            every = [*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs, arguments.vararg, arguments.kwarg]
            notes = [a.annotation for a in every if a is not None and a.annotation is not None]
            notes += [n.annotation for n in ast.walk(node) if isinstance(n, ast.AnnAssign)]
            if node.returns is not None:
                notes.append(node.returns)
            for note in notes:
                assert note.end_lineno is not None
                assert note.end_col_offset is not None
                spans.append(((note.lineno, note.col_offset), (note.end_lineno, note.end_col_offset)))
    return spans


def _in_annotation(item: Any, spans: dict[Path, list[tuple[tuple[int, int], tuple[int, int]]]]) -> bool:
    mutation = item.mutations[0]
    path = Path(mutation.module_path)
    if path not in spans:
        spans[path] = _annotation_spans(path)
    start = tuple(mutation.start_pos)
    return any(begin <= start < end for begin, end in spans[path])


def _sample(db_path: Path, tree: Path, size: int, seed: int) -> tuple[int, int]:
    """Keep `size` mutants of the session (annotations left out); (mutants, mutants in annotations)."""
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        items = list(db.pending_work_items)
        spans: dict[Path, list[tuple[tuple[int, int], tuple[int, int]]]] = {}
        annotated = [i for i in items if _in_annotation(i, spans)]
        left_out = {i.job_id for i in annotated}
        ranked = sorted(
            (i for i in items if i.job_id not in left_out),
            key=lambda i: hashlib.sha256(f"{seed}:{_stable_key(i, tree)}".encode()).hexdigest(),
        )
        dropped = [i.job_id for i in ranked[size:]] + sorted(left_out)
        if dropped:
            db.set_multiple_results(dropped, WorkResult(worker_outcome=WorkerOutcome.SKIPPED))
        return len(items) - len(annotated), len(annotated)


def wilson_interval(killed: int, judged: int, z: float = 1.96) -> tuple[float, float]:
    """The 95% Wilson score interval of a kill rate measured on a sample of `judged` mutants.

    The score is measured on a sample, so it estimates the rate over every mutant of the system;
    the interval says how far off the sample may be (60 mutants scoring 90% give 80% to 95%).
    """
    if judged == 0:
        return 0.0, 1.0
    rate = killed / judged
    centre = (rate + z * z / (2 * judged)) / (1 + z * z / judged)
    spread = z * math.sqrt(rate * (1 - rate) / judged + z * z / (4 * judged * judged)) / (1 + z * z / judged)
    return max(0.0, centre - spread), min(1.0, centre + spread)


def _triage() -> list[dict[str, str]]:
    if not TRIAGE.exists():
        return []
    return list(tomllib.loads(TRIAGE.read_text("utf-8")).get("equivalent", []))


def _equivalent(diff: str, known: list[dict[str, str]]) -> str | None:
    """The reason a survivor is equivalent, when the triage file knows its diff."""
    changed = [line[1:].strip() for line in diff.splitlines() if line.startswith(("-", "+")) and line[1:2] not in "-+"]
    for entry in known:
        if entry["file"] in diff and all(part in changed for part in (entry["before"], entry["after"])):
            return entry["why"]
    return None


def _results(db_path: Path) -> list[tuple[Any, Any]]:
    from cosmic_ray.work_db import WorkDB, use_db
    from cosmic_ray.work_item import WorkerOutcome

    with use_db(str(db_path), WorkDB.Mode.open) as db:
        done = db.completed_work_items
        return [(item, result) for item, result in done if result.worker_outcome != WorkerOutcome.SKIPPED]


def _snapshot(revision: str | None, tree: Path) -> None:
    """Copy `adapters/` and `conformance/` into `tree`: as they are on disk, or at a git revision."""
    if revision is None:
        for folder in ("adapters", "conformance"):
            shutil.copytree(ROOT / folder, tree / folder, ignore=shutil.ignore_patterns("__pycache__"))
        return
    archive = subprocess.run(
        ["git", "archive", revision, "adapters", "conformance"], cwd=ROOT, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)


def run_system(system: str, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    tree = scratch / system
    shutil.rmtree(tree, ignore_errors=True)
    tree.mkdir(parents=True)
    _snapshot(args.revision, tree)
    config = tree / "cosmic-ray.toml"
    config.write_text(_config(tree, system, args), "utf-8")
    db_path = tree / "session.sqlite"
    cosmic = [sys.executable, "-m", "cosmic_ray.cli"]
    subprocess.run([*cosmic, "init", str(config), str(db_path)], check=True, cwd=tree)
    total, annotated = _sample(db_path, tree, args.sample, args.sample_seed)
    started = time.monotonic()
    subprocess.run([*cosmic, "exec", str(config), str(db_path)], check=True, cwd=tree)
    elapsed = time.monotonic() - started
    known = _triage()
    killed, survived, equivalent, incompetent = [], [], [], []
    for item, result in _results(db_path):
        outcome = result.test_outcome.value if result.test_outcome is not None else result.worker_outcome.value
        record = {"mutant": _stable_key(item, tree), "diff": result.diff or "", "outcome": outcome}
        if outcome == "killed":
            killed.append(record)
        elif outcome == "survived":
            reason = _equivalent(record["diff"], known)
            if reason is not None:
                equivalent.append({**record, "why": reason})
            else:
                survived.append(record)
        else:
            incompetent.append({**record, "output": (result.output or "")[-2000:]})
    judged = len(killed) + len(survived)
    return {
        "system": system,
        "profiles": list(SYSTEMS[system][1]),
        "mutants": total,
        "in_annotations": annotated,
        "sampled": judged + len(equivalent) + len(incompetent),
        "killed": len(killed),
        "survived": survived,
        "equivalent": equivalent,
        "incompetent": incompetent,
        "score": (len(killed) / judged) if judged else 1.0,
        "seconds": round(elapsed, 1),
    }


def _print(report: dict[str, Any]) -> None:
    print(
        f"\n== {report['system']} (killed by the {', '.join(report['profiles'])} suite): "
        f"{report['mutants']} mutants (and {report['in_annotations']} in annotations, left out), "
        f"{report['sampled']} sampled, {report['killed']} killed, "
        f"{len(report['survived'])} survived, {len(report['equivalent'])} equivalent, "
        f"{len(report['incompetent'])} incompetent; score {report['score']:.1%} ({report['seconds']}s)"
    )
    for entry in report["equivalent"]:
        print(f"-- equivalent {entry['mutant']}: {entry['why']}")
    for entry in report["survived"]:
        print(f"-- SURVIVED {entry['mutant']}\n{entry['diff'].rstrip()}")
    for entry in report["incompetent"]:
        print(f"-- incompetent {entry['mutant']} ({entry['outcome']}): {entry['output'][-300:]}")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    sub = parser.add_subparsers(dest="command")
    killer = sub.add_parser("kill", help="the killing test cosmic-ray runs on each mutant (internal)")
    killer.add_argument("--tree", type=Path, required=True)
    killer.add_argument("--profiles", required=True)
    killer.add_argument("--seed", type=int, required=True)
    killer.add_argument("--max-examples", type=int, required=True)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="which systems (default: all four)")
    parser.add_argument("--sample", type=int, default=60, help="mutants sampled per system (default 60)")
    parser.add_argument("--sample-seed", type=int, default=10, help="which sample (default 10)")
    parser.add_argument("--suite-seed", type=int, default=20100201, help="the suite's run seed (default 20100201)")
    parser.add_argument("--max-examples", type=int, default=10, help="property checks' examples (default 10)")
    parser.add_argument("--timeout", type=float, default=180.0, help="seconds before a mutant counts as killed")
    parser.add_argument("--revision", help="measure the code and suite of this git revision (default: as on disk)")
    parser.add_argument("--keep", type=Path, help="keep the scratch folder (sessions, copies) here")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    if args.command == "kill":
        return kill(args.tree, args.profiles.split(","), args.seed, args.max_examples)
    scratch = args.keep or Path(tempfile.mkdtemp(prefix="ics-teeth-"))
    scratch.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("PYTHONDONTWRITEBYTECODE", "1")
    reports = []
    try:
        for system in args.systems.split(","):
            if system not in SYSTEMS:
                parser.error(f"unknown system {system!r}: choose from {', '.join(SYSTEMS)}")
            report = run_system(system, args, scratch)
            reports.append(report)
            _print(report)
    finally:
        if args.keep is None:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\nsystem        sampled  killed  survived  equivalent  score   95% interval")
    for r in reports:
        low, high = wilson_interval(r["killed"], r["killed"] + len(r["survived"]))
        print(
            f"{r['system']:<13} {r['sampled']:>7} {r['killed']:>7} {len(r['survived']):>9} "
            f"{len(r['equivalent']):>11}  {r['score']:>5.1%}  {low:.0%} to {high:.0%}"
        )
    print(
        "(the interval is the Wilson score interval of the score over every mutant of the system, "
        "from this sample; a larger --sample narrows it)"
    )
    if args.json is not None:
        args.json.write_text(json.dumps(reports, indent=2), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
