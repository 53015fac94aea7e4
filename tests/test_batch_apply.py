"""Batch apply: a feed in bulk, applied in chunks, each message still judged and acknowledged on its own.

A batch (an XML `MessageBatch`, a JSON array) sent to a receiver is applied a chunk at a time,
one transaction a chunk. Each message is validated, de-duplicated and acknowledged on its own:
a rejected one stores nothing and stops nothing else, a redelivered batch changes nothing, and
a process killed in the middle leaves every chunk applied whole or not at all.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ics_interop.adapters.auth import Principal
from ics_interop.adapters.contactpoint import CONTACTPOINT_IDENTITY, ContactPointDirectory
from ics_interop.adapters.messaging import decode_acknowledgements

from callers import service, system_headers
from ics_interop import Message, batch_to_xml
from ics_interop.messages import AcknowledgementStatus
from test_contactpoint_story import (
    GP_SURGERY,
    ISLINGTON_ICS,
    FakeClock,
    count,
    identity_update,
    make_child,
    moment,
    nhs_number,
    open_directory,
)

BORN = dt.date(2004, 6, 1)
_XML = {"Content-Type": "application/xml"}


def children(n: int, start: int = 0) -> list[Message]:
    """Identity updates of `n` distinct children from Islington's ICS."""
    return [
        identity_update(
            make_child(f"Child{chr(65 + i % 26)}", f"Family{i}", BORN, nhs=nhs_number(start + i), local_id=f"ICS-{i}"),
            sender=ISLINGTON_ICS,
        )
        for i in range(start, start + n)
    ]


def statuses(acks: list[object]) -> list[str]:
    return [ack.status.value for ack in acks]  # type: ignore[attr-defined]


def test_a_batch_is_acknowledged_message_by_message_and_a_resend_changes_nothing(store_url: str) -> None:
    directory = open_directory(store_url, FakeClock(moment(2010, 2, 1)))
    try:
        directory.receiver.chunk = 2  # three chunks of the five messages
        good = children(3)
        future = make_child("Zed", "Future", dt.date(2030, 1, 1), nhs=nhs_number(90), local_id="ICS-90")
        rejected = identity_update(future, sender=ISLINGTON_ICS)  # born after the message: a rule refuses it
        batch = [good[0], rejected, good[1], good[0], good[2]]  # the first sent twice in the same batch
        body = batch_to_xml(batch, pretty=False)
        client = Principal.for_system(ISLINGTON_ICS)
        reply, content_type = directory.receiver.receive(body, "application/xml", client=client, batch=True)
        acks = decode_acknowledgements(reply, content_type)
        assert [a.acknowledged_message_id for a in acks] == [m.header.message_id for m in batch]
        assert statuses(acks) == ["accepted", "rejected", "accepted", "accepted", "accepted"]
        assert acks[3] == acks[0], "the repeat is answered from the inbox"
        assert {f.rule_id for f in acks[1].findings} == {"CHILD-002"}
        assert count(directory, directory.tables.child) == 3
        assert count(directory, directory.tables.messaging.inbox) == 3, "nothing of the rejected message is stored"
        reply, _ = directory.receiver.receive(body, "application/xml", client=client, batch=True)
        again = decode_acknowledgements(reply, content_type)
        assert [again[i] for i in (0, 2, 3, 4)] == [acks[i] for i in (0, 2, 3, 4)], "answered from the inbox"
        assert again[1].findings == acks[1].findings, "a rejection is judged again, alike"
        assert count(directory, directory.tables.child) == 3
        assert count(directory, directory.tables.messaging.inbox) == 3
    finally:
        directory.dispose()


def test_a_batch_from_another_sender_is_refused_message_by_message(tmp_path: Path) -> None:
    directory = open_directory(f"sqlite:///{tmp_path / 'cp.db'}", FakeClock(moment(2010, 2, 1)))
    try:
        mine = children(1)[0]
        theirs = identity_update(make_child("Ava", "Brown", BORN, nhs=nhs_number(7)), sender=GP_SURGERY)
        client = Principal.for_system(ISLINGTON_ICS)
        reply, content_type = directory.receiver.receive(
            batch_to_xml([mine, theirs]), "application/xml", client=client, batch=True
        )
        acks = decode_acknowledgements(reply, content_type)
        assert statuses(acks) == ["accepted", "rejected"]
        assert acks[1].findings[0].rule_id == "SEC-001"
    finally:
        directory.dispose()


def test_the_http_binding_takes_a_batch_and_answers_with_an_acknowledgement_per_message(tmp_path: Path) -> None:
    directory = open_directory(f"sqlite:///{tmp_path / 'cp.db'}", FakeClock(moment(2010, 2, 1)))
    try:
        client = TestClient(service("contactpoint", directory))
        headers = system_headers(ISLINGTON_ICS, "contactpoint")
        batch = children(4)
        response = client.post("/messages", content=batch_to_xml(batch), headers=headers | _XML)
        assert response.status_code == 422, "without ?batch=true a batch is one delivery that is not one message"
        assert count(directory, directory.tables.child) == 0
        response = client.post(
            "/messages?batch=true",
            content=batch_to_xml(batch),
            headers={**headers, "Content-Type": "application/xml"},
        )
        assert response.status_code == 200
        acks = decode_acknowledgements(response.content, response.headers["content-type"])
        assert statuses(acks) == ["accepted"] * 4
        as_json = b"[" + b",".join(m.model_dump_json(by_alias=True, exclude_none=True).encode() for m in batch) + b"]"
        response = client.post(
            "/messages?batch=true", content=as_json, headers={**headers, "Content-Type": "application/json"}
        )
        assert response.status_code == 200
        assert isinstance(response.json(), list)
        assert decode_acknowledgements(response.content, "application/json") == acks, "a redelivery, answered alike"
        broken = batch_to_xml(children(2, start=10))[:-40]
        response = client.post("/messages?batch=true", content=broken, headers=headers | _XML)
        assert response.status_code == 422, "a batch that is not well-formed is refused whole"
        assert count(directory, directory.tables.child) == 4
    finally:
        directory.dispose()


_LOADER = """
import sys
from pathlib import Path
from ics_interop.adapters.auth import Principal
from ics_interop.adapters.contactpoint import CONTACTPOINT_IDENTITY, ContactPointDirectory
from ics_interop.messages import SystemRef
from ics_interop.model.codes import SystemKind

directory = ContactPointDirectory(sys.argv[1], identity=CONTACTPOINT_IDENTITY)
directory.receiver.chunk = int(sys.argv[3])
client = Principal.for_system(SystemRef(system=SystemKind.ICS, organisation_id="LA206-CSC"))
directory.receiver.receive(Path(sys.argv[2]).read_bytes(), "application/xml", client=client, batch=True)
"""


def _inbox(db: Path) -> int:
    with sqlite3.connect(db) as connection:
        try:
            return int(connection.execute("SELECT count(*) FROM cp_inbox").fetchone()[0])
        except sqlite3.OperationalError:
            return 0  # the tables are not made yet


@pytest.mark.slow
def test_a_process_killed_in_the_middle_of_a_batch_leaves_whole_chunks_and_a_resend_completes_it(
    tmp_path: Path,
) -> None:
    db = tmp_path / "cp.db"
    batch = children(400)
    body = tmp_path / "batch.xml"
    body.write_bytes(batch_to_xml(batch, pretty=False))
    chunk = 25
    loader = subprocess.Popen([sys.executable, "-c", _LOADER, f"sqlite:///{db}", str(body), str(chunk)])
    deadline = time.monotonic() + 120
    while _inbox(db) < 2 * chunk and loader.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    os.kill(loader.pid, signal.SIGKILL)
    loader.wait()
    assert loader.returncode == -signal.SIGKILL, "the loader was killed before it finished (make the batch longer)"

    applied = _inbox(db)
    assert 0 < applied < len(batch)
    assert applied % chunk == 0, "a chunk is applied whole or not at all"
    directory = ContactPointDirectory(f"sqlite:///{db}", identity=CONTACTPOINT_IDENTITY)
    try:
        # Every message in the inbox has its record, with its names and identifiers; no record without its message.
        assert count(directory, directory.tables.child) == applied
        assert count(directory, directory.tables.name) == applied
        assert count(directory, directory.tables.identifier) == 2 * applied  # the NHS number and the local ID
        client = Principal.for_system(ISLINGTON_ICS)
        reply, content_type = directory.receiver.receive(
            body.read_bytes(), "application/xml", client=client, batch=True
        )
        acks = decode_acknowledgements(reply, content_type)
        assert [a for a in acks if a.status is not AcknowledgementStatus.ACCEPTED] == []
        assert count(directory, directory.tables.child) == len(batch)
        assert count(directory, directory.tables.messaging.inbox) == len(batch)
    finally:
        directory.dispose()
