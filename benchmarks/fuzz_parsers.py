#!/usr/bin/env python
"""A coverage-guided fuzzing campaign (atheris, libFuzzer) against every parser of the standard.

Each input goes to `validate_bytes`, `from_xml` and `from_json` through
`ics_interop.testing.hostile.judge_input`, which fails on any exception other than the
library's own errors and on any disagreement between the validator and a decoder. The
campaign is seeded with the shipped examples (`schemas/v1/examples`) and the hostile corpus,
and the library's own modules are instrumented so libFuzzer steers towards new code paths.

Run: ``python benchmarks/fuzz_parsers.py --runs 1000000 [--corpus DIR] [--max-len N]``.
Prints the inputs tried, the rate, the coverage reached and any finding (a crash is written
to ``crash-*`` in the current folder by libFuzzer, and the script exits non-zero).
Needs ``pip install atheris`` (not a dependency of the library).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def _seed(corpus: Path) -> int:
    from ics_interop.schemagen import EXAMPLES_FOLDER, version_folder
    from ics_interop.schemas_path import schemas_root
    from ics_interop.testing.hostile import hostile_cases

    corpus.mkdir(parents=True, exist_ok=True)
    count = 0
    for path in sorted((schemas_root() / version_folder() / EXAMPLES_FOLDER).iterdir()):
        if path.suffix in (".xml", ".json"):
            (corpus / f"example-{path.name}").write_bytes(path.read_bytes())
            count += 1
    for case in hostile_cases():
        if len(case.data) <= 65536:
            (corpus / f"hostile-{case.format}-{case.name}").write_bytes(case.data)
            count += 1
    return count


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=100_000, help="inputs to try (default 100000)")
    parser.add_argument("--corpus", type=Path, help="corpus folder, kept and grown (default: a temporary one)")
    parser.add_argument("--max-len", type=int, default=32768, help="largest input libFuzzer makes (default 32768)")
    parser.add_argument("--seed", type=int, default=2010, help="libFuzzer's random seed")
    args, rest = parser.parse_known_args()

    import atheris

    with atheris.instrument_imports(include=["ics_interop"]):
        from ics_interop.testing.hostile import judge_input

    def one_input(data: bytes) -> None:
        judge_input(data)

    corpus = args.corpus or Path(tempfile.mkdtemp(prefix="ics-fuzz-"))
    seeds = _seed(corpus)
    print(f"corpus {corpus}: {seeds} seeds; {args.runs:,} runs; max_len {args.max_len}", flush=True)
    started = time.monotonic()
    libfuzzer_args: list[Any] = [
        sys.argv[0],
        f"-runs={args.runs}",
        f"-max_len={args.max_len}",
        f"-seed={args.seed}",
        "-print_final_stats=1",
        "-rss_limit_mb=4096",
        "-timeout=30",
        *rest,
        str(corpus),
    ]
    atheris.Setup(libfuzzer_args, one_input)
    try:
        atheris.Fuzz()  # exits the process when the runs are done, printing libFuzzer's final stats
    finally:
        elapsed = time.monotonic() - started
        print(f"elapsed {elapsed:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
