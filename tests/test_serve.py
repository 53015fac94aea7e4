"""`ics-interop serve`: a reference system as a real HTTP service in its own process."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ics_interop import MessageType, from_xml, to_xml
from ics_interop.cli import main
from ics_interop.examples import example_messages
from ics_interop.messages import Acknowledgement, AcknowledgementStatus


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"the service did not answer at {url}")


@pytest.mark.parametrize(
    ("system", "extra"),
    [("contactpoint", []), ("ecaf", []), ("ics", ["--organisation", "LA206-CSC", "--team-telephone", "020 7946 0400"])],
)
def test_serve_answers_the_http_binding(tmp_path: Path, system: str, extra: list[str]) -> None:
    port = _free_port()
    db = tmp_path / f"{system}.db"
    process = subprocess.Popen(
        [sys.executable, "-m", "ics_interop.cli", "serve", system, "--db", str(db), "--port", str(port), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/health", process)
        assert httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"]["/messages"]
        if system == "contactpoint":
            message = example_messages()[MessageType.CHILD_IDENTITY_UPDATE]
            reply = httpx.post(
                f"{base}/messages", content=to_xml(message), headers={"Content-Type": "application/xml"}, timeout=10
            )
            assert reply.status_code == 200
            ack = from_xml(reply.content)
            assert isinstance(ack, Acknowledgement)
            assert ack.status is AcknowledgementStatus.ACCEPTED
            assert ack.acknowledged_message_id == message.header.message_id
        assert db.exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serving_ics_needs_its_central_team(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "ics", "--organisation", "LA206-CSC", "--port", str(_free_port())]) == 2
    assert "--team-telephone" in capsys.readouterr().err


def test_a_bad_route_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "ecaf", "--route", "contactpoint"]) == 2
    assert "NAME=URL" in capsys.readouterr().err
