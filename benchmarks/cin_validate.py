#!/usr/bin/env python
"""Time and peak memory of `ics-interop cin validate` on a large, real-shaped census return.

Generates a Children in Need census return for a collection year (2025 by default) with 10,000
and 40,000 children, shaped like an authority's: one or two CIN episodes a child, assessments
with factors, CIN plans, section 47 enquiries with conferences, child protection plans with
reviews, and the mistakes real returns have (dates outside the census year, overlapping plans,
missing factors, UPNs with a wrong check letter), so the validator reports a few findings a
child. Then runs the command line exactly as a data officer would, each in a fresh interpreter:

    (json)    ics-interop cin validate RETURN --format json      (every finding in full)
    (compact) ics-interop cin validate RETURN --format compact   (findings refer to the rule catalogue)
    (text)    ics-interop cin validate RETURN                    (the findings for people)

and prints, for each size and form: the time, the process's peak resident memory (VmHWM: the
whole process, imports included, which is what an operator sees), the findings and the size of
the output. Run: ``python benchmarks/cin_validate.py [--children 10000 40000] [--out DIR]``.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lxml import etree

if TYPE_CHECKING:  # mypy reads adapters/ as the top-level package it is on disk (see conformance/_adapters.py)
    from adapters.formats.cin import (
        YEARS,
        Assessment,
        CensusChild,
        CinEpisode,
        CinPlan,
        CollectionYear,
        Header,
        ProtectionPlan,
        Section47,
        Sex,
    )
    from adapters.formats.cin.writer import child_element, header_element
else:
    from ics_interop.adapters.formats.cin import (
        YEARS,
        Assessment,
        CensusChild,
        CinEpisode,
        CinPlan,
        CollectionYear,
        Header,
        ProtectionPlan,
        Section47,
        Sex,
    )
    from ics_interop.adapters.formats.cin.writer import child_element, header_element
from ics_interop.model.identifiers import upn_check_letter

MB = 1_000_000
MIB = 1024 * 1024

_ETHNICITIES = ("WBRI", "WBRI", "WBRI", "WOTH", "MWBC", "AIND", "APKN", "BAFR", "BCRB", "CHNE", "OOTH", "NOBT")
_DISABILITIES = ("MOB", "HAND", "PC", "INC", "COMM", "LD", "HEAR", "VIS", "BEH", "CON", "AUT", "DDA")
_SOURCES = ("1A", "1B", "2A", "2B", "3A", "3B", "3C", "4", "5A", "5B", "5C", "6", "7", "8", "9", "10")
_NEEDS = ("N1", "N1", "N2", "N3", "N4", "N5", "N6", "N7", "N8", "N9")
_FACTORS = ("1A", "1B", "2A", "2B", "3A", "3B", "4A", "6A", "6B", "8B", "10A", "11A", "16A", "18B", "19B", "22A", "24A")
_REASONS = ("RC1", "RC2", "RC3", "RC4", "RC5", "RC6", "RC7", "RC8", "RC9")
_CATEGORIES = ("NEG", "NEG", "EMO", "PHY", "SAB", "MUL")


def _upn(rng: random.Random, wrong: bool) -> str:
    body = "201" + "".join(rng.choice("0123456789") for _ in range(9))
    letter = upn_check_letter(body)
    if wrong:
        letter = "B" if letter != "B" else "C"
    return letter + body


def _weekday(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day -= dt.timedelta(days=1)
    return day


class ReturnGenerator:
    """Children for one collection year, each a little different, with an authority's usual mistakes."""

    def __init__(self, year: CollectionYear, seed: int) -> None:
        self.year, self.rng = year, random.Random(seed)

    def day(self, start: dt.date, span: int) -> dt.date:
        return start + dt.timedelta(days=self.rng.randrange(max(1, span)))

    def episode(self, referred: dt.date, closed: bool) -> CinEpisode:
        rng, year = self.rng, self.year
        nfa = rng.random() < 0.12
        if nfa:
            return CinEpisode(
                referral_date=referred,
                referral_source=rng.choice(_SOURCES),
                primary_need=None,
                closure_date=referred,
                closure_reason="RC8",
                referral_nfa=True,
            )
        start = referred + dt.timedelta(days=rng.randrange(1, 10))
        authorised = start + dt.timedelta(days=rng.randrange(10, 60)) if rng.random() < 0.85 else None
        factors: tuple[str, ...] = tuple(rng.sample(_FACTORS, rng.randrange(1, 4))) if authorised else ()
        if authorised and rng.random() < 0.05:
            factors = ()  # a completed assessment with no factors: 8897Q
        assessments = (Assessment(start_date=start, authorisation_date=authorised, factors=factors),)
        s47s: tuple[Section47, ...] = ()
        plans: tuple[ProtectionPlan, ...] = ()
        icpc = None
        if rng.random() < 0.3:
            s47_start = start + dt.timedelta(days=rng.randrange(0, 5))
            icpc = _weekday(s47_start + dt.timedelta(days=rng.randrange(5, 20)))
            s47s = (Section47(s47_start, _weekday(s47_start + dt.timedelta(days=15)), icpc, False),)
            if rng.random() < 0.6:
                end = icpc + dt.timedelta(days=rng.randrange(90, 400))
                end_date = end if end <= year.reference_date else None
                reviews = tuple(
                    icpc + dt.timedelta(days=d) for d in (90, 270) if icpc + dt.timedelta(days=d) < (end_date or end)
                )
                plans = (
                    ProtectionPlan(
                        start_date=icpc if rng.random() > 0.05 else icpc + dt.timedelta(days=1),  # 2885
                        end_date=end_date,
                        initial_category=rng.choice(_CATEGORIES),
                        latest_category=rng.choice(_CATEGORIES),
                        previous_plans=rng.randrange(0, 3),
                        review_dates=reviews,
                    ),
                )
        cin_plans: tuple[CinPlan, ...] = ()
        if not plans and rng.random() < 0.5:
            plan_start = (authorised or start) + dt.timedelta(days=rng.randrange(1, 20))
            plan_end = plan_start + dt.timedelta(days=rng.randrange(30, 300))
            cin_plans = (CinPlan(plan_start, plan_end if plan_end <= year.reference_date else None),)
        last_activity = max(
            [referred, start, authorised or start]
            + [p.end_date or p.start_date for p in cin_plans if p.start_date]
            + [p.end_date or p.start_date for p in plans if p.start_date]
            + ([icpc] if icpc else [])
        )
        closure = closure_reason = None
        open_work = authorised is None or any(p.end_date is None for p in cin_plans)
        open_work = open_work or any(p.end_date is None for p in plans)
        if closed and not open_work:
            closure = last_activity + dt.timedelta(days=rng.randrange(1, 40))
            if closure > year.reference_date:
                closure = None
            else:
                closure_reason = rng.choice(_REASONS[2:7])
        return CinEpisode(
            referral_date=referred,
            referral_source=rng.choice(_SOURCES),
            primary_need=rng.choice(_NEEDS),
            closure_date=closure,
            closure_reason=closure_reason,
            assessments=assessments,
            cin_plans=cin_plans,
            section47s=s47s,
            referral_nfa=False,
            protection_plans=plans,
        )

    def child(self, number: int) -> CensusChild:
        rng, year = self.rng, self.year
        born = self.day(dt.date(year.year - 17, 4, 1), 17 * 365)
        first = self.day(max(born, year.period_start - dt.timedelta(days=300)), 660)
        first = min(first, year.reference_date - dt.timedelta(days=5))
        episodes = [self.episode(first, closed=True)]
        if rng.random() < 0.25 and episodes[0].closure_date is not None:
            again = episodes[0].closure_date + dt.timedelta(days=rng.randrange(10, 200))
            if again < year.reference_date:
                episodes.append(self.episode(again, closed=rng.random() < 0.4))
        disabilities: tuple[str, ...] = ("NONE",)
        if rng.random() < 0.15:
            disabilities = tuple(rng.sample(_DISABILITIES, rng.randrange(1, 3)))
        school_age = (year.reference_date - born).days > 5 * 365
        upn = _upn(rng, wrong=rng.random() < 0.02) if school_age and rng.random() < 0.9 else None
        return CensusChild(
            la_child_id=f"LA201C{number:07d}",
            upn=upn,
            upn_unknown=None if upn or not school_age else "UN3",
            birth_date=born,
            sex=rng.choice((Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.UNKNOWN)),
            ethnicity=rng.choice(_ETHNICITIES),
            disabilities=disabilities,
            episodes=tuple(episodes),
        )

    def children(self, count: int) -> Iterator[CensusChild]:
        for number in range(count):
            yield self.child(number)


def write_return(path: Path, year: int, children: int, seed: int) -> None:
    """Write the return child by child (the writer's own elements), so generating a large one stays small."""
    spelling = YEARS[year]
    header = Header(
        year=year,
        reference_date=spelling.reference_date,
        lea="201",
        software_code="Case system",
        release="1.0",
        serial_no="001",
        date_time=dt.datetime(year, 5, 1, 9, 0),
    )
    generator = ReturnGenerator(spelling, seed)
    with etree.xmlfile(str(path), encoding="UTF-8") as xml:
        xml.write_declaration()
        with xml.element("Message"):
            xml.write(header_element(header), pretty_print=True)
            with xml.element("Children"):
                for child in generator.children(children):
                    xml.write(child_element(child, spelling), pretty_print=True)


# --- one measurement, in a fresh interpreter -----------------------------------------------------------


def _high_water() -> int:
    """The process's peak resident memory so far, in bytes (VmHWM; ru_maxrss where there is no /proc)."""
    try:
        with open("/proc/self/status") as handle:
            for line in handle:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    import resource

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss if sys.platform == "darwin" else rss * 1024


def measure(path: Path, form: str, output: Path) -> dict[str, Any]:
    """Run the command line on the return, its output to a file; time it and read the peak memory."""
    start = time.perf_counter()
    from ics_interop.cli import main

    args = ["cin", "validate", str(path)] + ([] if form == "text" else ["--format", form])
    with output.open("w", encoding="utf-8") as sink, contextlib.redirect_stdout(sink):
        status = main(args)
    seconds = time.perf_counter() - start
    return {"status": status, "seconds": seconds, "peak_bytes": _high_water(), "output_bytes": output.stat().st_size}


def run_measure(path: Path, form: str, output: Path) -> dict[str, Any]:
    done = subprocess.run(
        [
            sys.executable,
            str(Path(__file__).resolve()),
            "--measure",
            form,
            "--file",
            str(path),
            "--output",
            str(output),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"measurement ({form}) failed:\n{done.stdout}\n{done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def _findings(output: Path, form: str) -> tuple[int, int]:
    if form == "text":
        return -1, -1
    data = json.loads(output.read_bytes())
    rows = data["findings"]
    return data["errors"], len(rows) - data["errors"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--children", type=int, nargs="+", default=[10_000, 40_000], help="sizes of the returns")
    parser.add_argument("--year", type=int, default=2025, choices=sorted(YEARS), help="the collection year")
    parser.add_argument("--forms", nargs="+", default=["json", "compact", "text"], help="output forms to measure")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each measurement (the fastest is kept)")
    parser.add_argument("--out", help="keep the returns and outputs in this folder (default: a temporary one)")
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--measure", help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        print(json.dumps(measure(Path(args.file), args.measure, Path(args.output))))
        return 0

    with contextlib.ExitStack() as stack:
        folder = Path(args.out) if args.out else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        folder.mkdir(parents=True, exist_ok=True)
        print(f"Python {sys.version.split()[0]}, lxml {etree.__version__}; collection year {args.year}")
        for count in args.children:
            path = folder / f"cin-{args.year}-{count}.xml"
            start = time.perf_counter()
            write_return(path, args.year, count, args.seed)
            size = path.stat().st_size
            print(f"\n{count:,} children: {size / MB:.1f} MB return, generated in {time.perf_counter() - start:.1f} s")
            print(f"  {'form':8} {'time':>8} {'peak RSS':>10} {'output':>10} {'errors':>8} {'queries':>8}")
            for form in args.forms:
                output = folder / f"cin-{args.year}-{count}.{form}"
                runs = [run_measure(path, form, output) for _ in range(args.repeat)]
                best = min(runs, key=lambda r: r["seconds"])
                peak = max(r["peak_bytes"] for r in runs)
                errors, queries = _findings(output, form)
                found = f"{errors:>8,} {queries:>8,}" if errors >= 0 else f"{'':>8} {'':>8}"
                print(
                    f"  {form:8} {best['seconds']:>7.1f}s {peak / MIB:>7.0f} MiB "
                    f"{best['output_bytes'] / MB:>7.1f} MB {found}"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["ReturnGenerator", "main", "measure", "write_return"]
