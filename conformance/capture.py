"""The suite's receiver: it stands in for every system the system under test sends to, and keeps what it sends.

An ICS system feeding ContactPoint, National eCAF referring a child to social care: the
suite cannot watch such a system from outside, so it receives in the place of ContactPoint,
the ICS or the other eCAF, exactly as they would. Each delivery is kept as it came (bytes,
content type, when, which attempt) and answered as a well-behaved receiver answers: the
message is validated with the project's own validator and acknowledged, accepted or
rejected with the rules it failed; a redelivery gets the same acknowledgement, and an ID
reused for different content is rejected (ENV-003). It can also play a receiver that is
down (`refuse_next`), to see that the system retries.

A Python adapter delivers to `Capture.receive` (its `flush_outbox(sink)`); a system under
test over HTTP delivers to the capture's own `POST /messages` (`Capture.serve`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from fastapi import FastAPI, Request, Response

from ics_interop import (
    Finding,
    Message,
    MessageType,
    Severity,
    SystemRef,
    from_json,
    from_xml,
    to_json,
    to_xml,
    validate_bytes,
)
from ics_interop.messages import SCHEMA_VERSION, Acknowledgement, AcknowledgementStatus, Envelope, ReportedFinding
from ics_interop.model.codes import SystemKind

__all__ = ["Capture", "CapturedMessage"]

_NIL_ID = "00000000-0000-0000-0000-000000000000"


@attrs.frozen
class CapturedMessage:
    """One delivery the suite received from the system under test."""

    serial: int
    body: bytes
    content_type: str
    received_at: dt.datetime
    message: Message | None  # None when the bytes are not a valid message
    findings: tuple[Finding, ...]
    accepted: bool
    refused_as_down: bool = False  # the capture played a receiver that is down

    @property
    def message_id(self) -> str | None:
        """The message's ID, when it could be read."""
        return self.message.header.message_id if self.message is not None else None

    @property
    def file_name(self) -> str:
        """A name to keep the delivery under in the evidence."""
        kind = self.message.message_type.value if self.message is not None else "unreadable"
        suffix = "json" if "json" in self.content_type else "xml"
        return f"{self.serial:04d}-{kind}.{suffix}"


def _read(body: bytes) -> Message | None:
    try:
        return from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
    except Exception:  # anything unreadable is kept as bytes, and judged by the static checks
        return None


def _digest(message: Message) -> str:
    return hashlib.sha256(to_json(message)).hexdigest()


class Capture:
    """Receives what the system under test sends, keeps it, and acknowledges it as a real receiver would."""

    def __init__(self, clock: Callable[[], dt.datetime] | None = None) -> None:
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC).replace(microsecond=0))
        self._lock = threading.Lock()
        self._messages: list[CapturedMessage] = []
        self._seen: dict[str, tuple[str, bytes, str]] = {}
        self.refuse_next = 0  # deliveries still to refuse as if this receiver were down
        self.url: str | None = None

    # --- receiving -----------------------------------------------------------------------------

    def receive(self, body: bytes, content_type: str) -> tuple[bytes, str]:
        """The sink a Python adapter delivers to; raises `ConnectionError` while playing a receiver that is down."""
        reply, reply_type, _status = self.deliver(body, content_type)
        if _status == 503:
            raise ConnectionError("the receiver is down (the conformance suite is checking that you retry)")
        return reply, reply_type

    def deliver(self, body: bytes, content_type: str) -> tuple[bytes, str, int]:
        """Keep one delivery and answer it: the acknowledgement, its content type and the HTTP status."""
        with self._lock:
            serial = len(self._messages) + 1
            now = self._clock()
            message = _read(body)
            if self.refuse_next > 0:
                self.refuse_next -= 1
                self._messages.append(
                    CapturedMessage(serial, body, content_type, now, message, (), False, refused_as_down=True)
                )
                return b"the receiver is down", "text/plain", 503
            report = validate_bytes(body)
            findings = list(report.findings)
            if report.unusable:
                findings = [Finding("INPUT-001", Severity.ERROR, report.unusable)]
            reply_json = "json" in content_type
            if message is not None and not report.unusable and report.records == 1:
                digest = _digest(message)
                seen = self._seen.get(message.header.message_id)
                if seen is not None:
                    if seen[0] == digest:
                        accepted = True
                        self._messages.append(
                            CapturedMessage(serial, body, content_type, now, message, tuple(findings), accepted)
                        )
                        return seen[1], seen[2], 200
                    findings = [
                        Finding(
                            "ENV-003",
                            Severity.ERROR,
                            f"message ID {message.header.message_id} was already used for a different message",
                            path="header.messageId",
                        )
                    ]
            accepted = not any(f.severity is Severity.ERROR for f in findings)
            ack = self._acknowledgement(message, findings, accepted, now)
            reply = to_json(ack) if reply_json else to_xml(ack)
            reply_type = "application/json" if reply_json else "application/xml"
            if message is not None and accepted:
                self._seen[message.header.message_id] = (_digest(message), reply, reply_type)
            self._messages.append(CapturedMessage(serial, body, content_type, now, message, tuple(findings), accepted))
            return reply, reply_type, 200 if accepted else 422

    def _acknowledgement(
        self, message: Message | None, findings: list[Finding], accepted: bool, now: dt.datetime
    ) -> Acknowledgement:
        if message is not None:
            answered, sender, me = message.header.message_id, message.header.sender, message.header.recipient
        else:
            answered = _NIL_ID
            sender = SystemRef(system=SystemKind.FEED_SOURCE, organisation_id="UNKNOWN")
            me = SystemRef(system=SystemKind.CONTACTPOINT, organisation_id="CONFORMANCE-SUITE")
        return Acknowledgement(
            header=Envelope(
                message_id=str(uuid.uuid4()),
                message_type=MessageType.ACKNOWLEDGEMENT,
                schema_version=SCHEMA_VERSION,
                sender=me,
                recipient=sender,
                created_at=now,
                correlation_id=answered,
            ),
            acknowledged_message_id=answered,
            status=AcknowledgementStatus.ACCEPTED if accepted else AcknowledgementStatus.REJECTED,
            findings=[
                ReportedFinding(
                    rule_id=f.rule_id,
                    severity=f.severity.value,
                    path=f.path or None,
                    message=(f.message or f.rule_id)[:4000],
                )
                for f in findings
            ],
        )

    # --- reading what was captured ---------------------------------------------------------------

    def messages(self) -> list[CapturedMessage]:
        """Every delivery so far, in order."""
        with self._lock:
            return list(self._messages)

    def delivered(self) -> list[Message]:
        """The readable messages delivered so far (not those refused as if down), in order."""
        return [c.message for c in self.messages() if c.message is not None and not c.refused_as_down]

    # --- over HTTP --------------------------------------------------------------------------------

    def app(self) -> FastAPI:
        """The capture as an HTTP service: POST /messages, as every receiver of the standard."""
        app = FastAPI(title="ics-interop conformance suite: receiver", version=SCHEMA_VERSION)

        @app.post("/messages")
        async def messages(request: Request) -> Response:
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type not in ("application/xml", "application/json"):
                return Response("send application/xml or application/json", status_code=415)
            reply, reply_type, status = self.deliver(await request.body(), content_type)
            return Response(reply, status_code=status, media_type=reply_type)

        @app.get("/health")
        def health() -> dict[str, Any]:
            return {"status": "ok", "captured": len(self.messages())}

        return app

    @contextmanager
    def serve(self, host: str = "127.0.0.1", port: int = 0) -> Iterator[str]:
        """Run the capture as an HTTP service for the length of a block; yields its base URL."""
        from ._adapters import running_server

        with running_server(self.app(), host=host, port=port) as url:
            self.url = url
            try:
                yield url
            finally:
                self.url = None
