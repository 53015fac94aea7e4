"""The guides' "try it" sections run as written: `ics-interop up`, then the conformance suite against each system.

The blocks marked `<!-- try-it: up -->` and `<!-- try-it: runs -->` in docs/guides/testers.md, and
`<!-- try-it: vendors-adapter -->` and `<!-- try-it: vendors-http -->` in docs/guides/vendors.md, are
taken from the pages and run by a shell, in a fresh folder, with only the ports changed (to free
ones, so the test never collides with anything else on the machine). So the testers' and the
vendors' journeys cannot drift from the pages that describe them.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
TESTERS = ROOT / "docs" / "guides" / "testers.md"
VENDORS = ROOT / "docs" / "guides" / "vendors.md"
#: The ports the guide uses: the suite's receiver, then `up`'s token service, ContactPoint, eCAF and ICS.
GUIDE_PORTS = (8099, 8100, 8101, 8102, 8103)


def _block(text: str, marker: str) -> str:
    found = re.search(rf"<!-- try-it: {marker} -->\s*```shell\n(.*?)```", text, re.S)
    assert found, f"the guide has no try-it block {marker!r}"
    return found.group(1)


def _free_ports(count: int) -> list[int]:
    """`count` free ports, the last consecutive, and one more after them free (up listens on first_port to
    first_port + 4: the token service, the three systems and the data teams' page)."""
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            receiver = probe.getsockname()[1]
        base = 20000 + (receiver % 20000)
        ports = [receiver, *range(base, base + count - 1)]
        if all(_free(p) for p in [*ports, base + count - 1]):
            return ports


def _free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _localise(command: str, ports: list[int]) -> str:
    for guide_port, port in zip(GUIDE_PORTS, ports, strict=True):
        command = command.replace(f":{guide_port}", f":{port}").replace(f"-port {guide_port}", f"-port {port}")
    return command


@pytest.mark.slow
def test_the_testers_and_vendors_guides_run_as_written_against_ics_interop_up(tmp_path: Path) -> None:
    testers = TESTERS.read_text(encoding="utf-8")
    vendors = VENDORS.read_text(encoding="utf-8")
    ports = _free_ports(len(GUIDE_PORTS))
    up = _localise(_block(testers, "up"), ports).strip() + f" --port {ports[1]}"
    runs = _localise(_block(testers, "runs"), ports)
    vendor_runs = _block(vendors, "vendors-adapter") + _localise(_block(vendors, "vendors-http"), ports)
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    started = subprocess.Popen(
        ["bash", "-c", up], cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{ports[4]}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if started.poll() is not None or time.monotonic() > deadline:
                output = started.stdout.read().decode() if started.stdout else ""
                pytest.fail(f"`{up}` did not start: {output[-2000:]}")
            time.sleep(0.3)
        # The data teams' page comes up beside the systems, on the port after the ICS, at the address
        # with its key that up prints (once everything is up); without the key it knows no one.
        printed = b""
        while b"data teams' page" not in printed and started.stdout is not None:
            line = started.stdout.readline()
            assert line, f"up ended before it printed the page's address: {printed.decode()}"
            printed += line
        address = re.search(rb"data teams' page\s+(\S+)", printed)
        assert address is not None, printed.decode()
        assert httpx.get(f"http://127.0.0.1:{ports[4] + 1}/", timeout=10).status_code == 401
        page = httpx.get(address.group(1).decode(), timeout=10, follow_redirects=True)
        assert page.status_code == 200
        assert "Check a file" in page.text
        ran = subprocess.run(
            ["bash", "-e", "-c", runs], cwd=tmp_path, env=environment, capture_output=True, text=True, timeout=900
        )
        assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
        assert ran.stdout.count("PASSED") == 3, ran.stdout[-4000:]
        for profile in ("contactpoint", "ecaf", "ics"):
            assert (tmp_path / "reports" / profile / "evidence.zip").is_file()
        assert "signature: good" in ran.stdout, ran.stdout[-4000:]
        ran = subprocess.run(
            ["bash", "-e", "-c", vendor_runs], cwd=tmp_path, env=environment, capture_output=True, text=True,
            timeout=900,
        )  # fmt: skip
        assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
        assert ran.stdout.count("PASSED") == 2, ran.stdout[-4000:]
        for report in ("adapter", "http"):
            assert (tmp_path / "reports" / report / "report.json").is_file()
    finally:
        os.killpg(started.pid, signal.SIGINT)
        try:
            started.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(started.pid, signal.SIGKILL)
            started.wait()
