"""A smoke run of `benchmarks/directory_scale.py`: a few hundred children, so the benchmark keeps working.

The benchmark's figures are not judged here (speed is measured by the benchmark itself, on a
quiet machine): only that it loads, searches and views through the public API, and ends with
its one-line summary in the exact form the issue gives.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "directory_scale.py"
LAST_LINE = re.compile(
    r"^directory: (\d+) children; ingest (\d+) msg/s; cost growth 10k->(\S+) (\d+\.\d\d); search p99 (\d+\.\d) ms$"
)


@pytest.mark.slow
def test_the_directory_benchmark_runs_in_process_and_ends_with_its_summary(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--sizes", "200,400", "--window", "150", "--lookups", "25", "--batch", "20"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    match = LAST_LINE.match(lines[-1])
    assert match, lines[-1]
    assert match.group(1) == "400"
    assert match.group(3) == "400"
    assert any("held" in line for line in lines), "some children are held for a data manager"
    assert "search by name and postcode" in done.stdout
