"""`ics-interop serve`: a reference system as a real HTTP service in its own process, secured as a deployment is.

The operator's journey, from the command line only: start the token service, make a key for a
connected system and register it, register the first data manager of a ContactPoint, start
the directory trusting the token service, and use it with real tokens; and the same over HTTPS
with certificates made for the test.
"""

from __future__ import annotations

import json
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import trustme
from ics_interop.adapters.auth import ClientCredentials, load_private_key
from ics_interop.adapters.services import ServiceConfig

from callers import ISSUER
from ics_interop import MessageType, from_xml, to_xml
from ics_interop.cli import main
from ics_interop.examples import example_messages
from ics_interop.messages import Acknowledgement, AcknowledgementStatus

MESSAGE = example_messages()[MessageType.CHILD_IDENTITY_UPDATE]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _wait_for(url: str, process: subprocess.Popen[bytes], **options: object) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the service exited: {process.stdout.read().decode() if process.stdout else ''}")
        try:
            if httpx.get(url, timeout=1, **options).status_code == 200:  # type: ignore[arg-type]
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"the service did not answer at {url}")


@contextmanager
def _running(*arguments: str, health: str, **options: object) -> Iterator[subprocess.Popen[bytes]]:
    """A command running in its own process until the block ends; `health` is its base URL or /health URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ics_interop.cli", *arguments], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(health if health.endswith("/health") else f"{health}/health", process, **options)
        yield process
    finally:
        process.terminate()
        process.wait(timeout=10)


def _cli(*arguments: str) -> None:
    assert main(list(arguments)) == 0, arguments


def _trust_file(tmp_path: Path) -> str:
    jwks = tmp_path / "issuer-jwks.json"
    jwks.write_text(json.dumps(ISSUER.jwks()))
    return f"{ISSUER.issuer}={jwks}"


@pytest.mark.parametrize(
    ("system", "extra"),
    [("contactpoint", []), ("ecaf", []), ("ics", ["--organisation", "LA206-CSC", "--team-telephone", "020 7946 0400"])],
)
def test_serve_answers_the_http_binding_to_trusted_tokens_only(tmp_path: Path, system: str, extra: list[str]) -> None:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    db = tmp_path / f"{system}.db"
    serve = ["serve", system, "--db", str(db), "--port", str(port), "--trust", _trust_file(tmp_path), *extra]
    with _running(*serve, health=f"{base}/health"):
        assert httpx.get(f"{base}/openapi.json", timeout=5).json()["paths"]["/messages"]
        unauthenticated = httpx.post(
            f"{base}/messages", content=to_xml(MESSAGE), headers={"Content-Type": "application/xml"}, timeout=10
        )
        assert unauthenticated.status_code == 401
        assert unauthenticated.headers["www-authenticate"].startswith("Bearer")
        if system == "contactpoint":
            token = ISSUER.system_token(MESSAGE.header.sender, base)
            reply = httpx.post(
                f"{base}/messages",
                content=to_xml(MESSAGE),
                headers={"Content-Type": "application/xml", "Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert reply.status_code == 200
            ack = from_xml(reply.content)
            assert isinstance(ack, Acknowledgement)
            assert ack.status is AcknowledgementStatus.ACCEPTED
            assert ack.acknowledged_message_id == MESSAGE.header.message_id
        assert db.exists()


def test_an_operator_sets_up_a_directory_and_its_token_service_from_the_command_line(tmp_path: Path) -> None:
    auth_port, cp_port = _free_port(), _free_port()
    auth, directory = f"http://127.0.0.1:{auth_port}", f"http://127.0.0.1:{cp_port}"
    auth_db, cp_db = str(tmp_path / "auth.db"), str(tmp_path / "cp.db")
    school = MESSAGE.header.sender
    key, jwks = tmp_path / "school-key.json", tmp_path / "school-jwks.json"
    _cli("auth", "keygen", "--out", str(key), "--jwks-out", str(jwks))
    _cli(
        "auth",
        "register-client",
        "--db",
        auth_db,
        "--issuer",
        auth,
        "school-mis",
        "--organisation",
        school.organisation_id,
        "--system",
        school.system.value,
        "--jwks",
        str(jwks),
        "--may-send",
        "ChildIdentityUpdate",
    )
    _cli(
        "auth",
        "register-user",
        "--db",
        auth_db,
        "--issuer",
        auth,
        "DCSF-DM-1",
        "--organisation",
        "DCSF",
        "--given-names",
        "Dana",
        "--family-name",
        "Marsh",
    )
    _cli(
        "users",
        "add",
        "contactpoint",
        "--db",
        cp_db,
        "DCSF-DM-1",
        "--role",
        "data-manager",
        "--organisation",
        "DCSF",
        "--given-names",
        "Dana",
        "--family-name",
        "Marsh",
    )
    trust = f"{auth}={auth}/jwks.json"
    with (
        _running("serve", "auth", "--db", auth_db, "--port", str(auth_port), health=f"{auth}/health"),
        _running("serve", "contactpoint", "--db", cp_db, "--port", str(cp_port), "--trust", trust, health=directory),
    ):
        # The school's system gets its own token (private_key_jwt) and feeds the directory.
        credentials = ClientCredentials(f"{auth}/token", "school-mis", load_private_key(key))
        token = credentials.system_token(directory)
        reply = httpx.post(
            f"{directory}/messages",
            content=to_xml(MESSAGE),
            headers={"Content-Type": "application/xml", "Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert reply.status_code == 200, reply.text
        # A token for another message type's scope is refused by the token service itself.
        with pytest.raises(Exception, match="invalid_scope"):
            credentials.system_token(directory, ["messages:CafIndicatorUpdate"])
        # The first data manager, with a token the operator issued for testing, reads the audit log.
        token_command = ["auth", "token", "--db", auth_db, "--issuer", auth, "--user", "DCSF-DM-1"]
        issued = subprocess.run(
            [sys.executable, "-m", "ics_interop.cli", *token_command, "--audience", directory],
            capture_output=True,
            text=True,
            check=True,
        )
        audit = httpx.get(
            f"{directory}/audit", headers={"Authorization": f"Bearer {issued.stdout.strip()}"}, timeout=10
        )
        assert audit.status_code == 200, audit.text
        # The operator's registration of the data manager, made in the store itself, through no client.
        assert [(e["action"], e["clientId"]) for e in audit.json()] == [("register-practitioner", "(in-process)")]


def test_serve_listens_on_https_with_its_certificate(tmp_path: Path) -> None:
    authority = trustme.CA()
    certificate = authority.issue_cert("127.0.0.1", "localhost")
    cert, key, ca = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    certificate.cert_chain_pems[0].write_to_path(str(cert))
    certificate.private_key_pem.write_to_path(str(key))
    authority.cert_pem.write_to_path(str(ca))
    port = _free_port()
    base = f"https://127.0.0.1:{port}"
    serve = ["serve", "contactpoint", "--db", str(tmp_path / "cp.db"), "--port", str(port)]
    serve += ["--trust", _trust_file(tmp_path), "--tls-cert", str(cert), "--tls-key", str(key)]
    context = ssl.create_default_context(cafile=str(ca))
    with _running(*serve, health=f"{base}/health", verify=context):
        token = ISSUER.system_token(MESSAGE.header.sender, base)
        reply = httpx.post(
            f"{base}/messages",
            content=to_xml(MESSAGE),
            headers={"Content-Type": "application/xml", "Authorization": f"Bearer {token}"},
            timeout=10,
            verify=context,
        )
        assert reply.status_code == 200, reply.text
        with pytest.raises(httpx.TransportError):  # plain HTTP is not served: the TLS server drops it
            httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)


def test_serving_ics_needs_its_central_team(capsys: pytest.CaptureFixture[str]) -> None:
    command = ["serve", "ics", "--organisation", "LA206-CSC", "--port", str(_free_port()), "--trust", "x=y.json"]
    assert main(command) == 2
    assert "--team-telephone" in capsys.readouterr().err


def test_a_service_without_a_trusted_issuer_does_not_start_nor_make_its_store(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "contactpoint", "--port", str(_free_port())]) == 2
    assert "--trust" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_a_bad_route_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "ecaf", "--route", "contactpoint"]) == 2
    assert "NAME=URL" in capsys.readouterr().err


def test_an_ics_reads_its_la_code_from_its_organisation_or_is_refused_with_the_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    common = ["--team-telephone", "020 7946 0000", "--port", str(_free_port()), "--trust", "x=y.json"]
    monkeypatch.chdir(tmp_path)
    assert main(["serve", "ics", "--organisation", "LA-206", *common]) == 2
    error = capsys.readouterr().err
    assert "--organisation LA-206 gives no LA code" in error
    assert "--la-code 206" in error
    for organisation, la_code, expected in (("LA206-CSC", None, "206"), ("ISLINGTON-CSC", "206", "206")):
        config = ServiceConfig(
            kind="ics",
            db_url=str(tmp_path / f"{organisation}.db"),
            audience="https://ics.test",
            trust=(("urn:test", str(tmp_path / "jwks.json")),),
            organisation=organisation,
            team_telephone="020 7946 0000",
            la_code=la_code,
        )
        (tmp_path / "jwks.json").write_text(json.dumps(ISSUER.jwks()))
        system, _app = config.build()
        try:
            assert system.ctx.la_code == expected
        finally:
            system.store.dispose()


def test_only_a_service_started_with_its_test_clock_takes_maintenance_as_of_a_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    assert main(["serve", "ics", "--test-clock", "--port", str(_free_port()), "--trust", "x=y.json"]) == 2
    assert "--test-clock is for contactpoint and ecaf only" in capsys.readouterr().err
    (tmp_path / "jwks.json").write_text(json.dumps(ISSUER.jwks()))
    for kind in ("contactpoint", "ecaf"):
        for test_clock in (False, True):
            config = ServiceConfig(
                kind=kind,
                db_url=str(tmp_path / f"{kind}-{test_clock}.db"),
                audience=f"https://{kind}.test",
                trust=(("urn:test", str(tmp_path / "jwks.json")),),
                test_clock=test_clock,
            )
            system, app = config.build()
            if kind == "contactpoint":
                system.dispose()
            else:
                system.close()
            parameters = app.openapi()["paths"]["/maintenance"]["post"].get("parameters", [])
            assert [p["name"] for p in parameters] == (["asOf"] if test_clock else []), kind
    assert "test clock on" in caplog.text
    assert "accreditation runs only" in caplog.text


def test_serve_help_lists_the_route_names(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    shown = capsys.readouterr().out
    for route in ("contactpoint", "national-ecaf", "ics:<organisation>", "local-ecaf:<organisation>"):
        assert f"\n  {route} " in shown
    assert "--la-code" in shown
