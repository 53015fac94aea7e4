"""How the reference systems exchange messages: an inbox, an outbox, and a transport.

Receiving. `Receiver.receive` takes the bytes of a message as they arrived (XML or JSON) and
the authenticated client they came from, validates them (schema and rules: the same validator
vendors use), checks that the client may send them (its envelope's sender is the client, SEC-001;
the client's token allows the type, SEC-002), and applies an accepted message in one
transaction together with its inbox entry. A message whose ID is already in
the inbox is not applied again: the stored acknowledgement is returned (a redelivery
changes nothing). A message that fails validation, or whose handler refuses it, is
rejected with the rules it failed, and nothing of it is stored.

Sending. A system writes a message to its outbox in the same transaction as the change that
caused it, so neither can happen without the other. `Outbox.deliver` then sends what is
pending through a transport (in-process or HTTP), with retries and exponential backoff, and
records the acknowledgement. Delivery is at least once; the receiver's inbox makes it apply
exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ics_interop import (
    Envelope,
    Finding,
    Message,
    MessageType,
    Severity,
    SystemRef,
    UnusableInputError,
    from_json,
    from_xml,
    to_json,
    to_xml,
    validate_bytes,
)
from ics_interop.messages import SCHEMA_VERSION, Acknowledgement, AcknowledgementStatus, ReportedFinding
from ics_interop.model.codes import SystemKind

from .auth.principal import Principal
from .storage import Document, Store

__all__ = [
    "SENDER_RULES",
    "Clock",
    "HandlerRefusal",
    "MessagingTables",
    "Outbox",
    "Receiver",
    "Transport",
    "TransportError",
    "acknowledgement_for",
    "decode_acknowledgement",
    "new_header",
    "route_key",
    "sender_refusal",
    "utc_now",
]

log = logging.getLogger(__name__)

Clock = Callable[[], dt.datetime]
Format = Literal["xml", "json"]


def utc_now() -> dt.datetime:
    """The current time in UTC, to the second (the default clock of the systems)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def route_key(system: SystemRef) -> str:
    """The outbox destination of a system: national systems by kind, local ones by kind and organisation."""
    if system.system in (SystemKind.CONTACTPOINT, SystemKind.NATIONAL_ECAF):
        return str(system.system.value)
    return f"{system.system.value}:{system.organisation_id}"


def new_header(
    message_type: MessageType,
    sender: SystemRef,
    recipient: SystemRef,
    created_at: dt.datetime,
    correlation_id: str | None = None,
) -> Envelope:
    """A fresh envelope for a message a system sends."""
    return Envelope(
        message_id=str(uuid.uuid4()),
        message_type=message_type,
        schema_version=SCHEMA_VERSION,
        sender=sender,
        recipient=recipient,
        created_at=created_at,
        correlation_id=correlation_id,
    )


class HandlerRefusal(Exception):
    """Raised by a system's handler to reject a valid message for a reason of its own state."""

    def __init__(self, rule_id: str, message: str, *, path: str = "", hint: str = "") -> None:
        super().__init__(message)
        self.finding = Finding(rule_id, Severity.ERROR, message, path=path, hint=hint)


def acknowledgement_for(
    message_id: str,
    sender: SystemRef,
    recipient: SystemRef,
    findings: list[Finding],
    created_at: dt.datetime,
) -> Acknowledgement:
    """F10: accept (no error findings) or reject (with them) the message `message_id`."""
    rejected = any(f.severity is Severity.ERROR for f in findings)
    return Acknowledgement(
        header=new_header(MessageType.ACKNOWLEDGEMENT, sender, recipient, created_at, correlation_id=message_id),
        acknowledged_message_id=message_id,
        status=AcknowledgementStatus.REJECTED if rejected else AcknowledgementStatus.ACCEPTED,
        findings=[
            ReportedFinding(
                rule_id=f.rule_id,
                severity=f.severity.value,
                path=f.path or None,
                line=f.line,
                message=(f"{f.message} To fix: {f.hint}" if f.hint else f.message)[:4000],
            )
            for f in findings
        ],
    )


class MessagingTables:
    """The inbox and outbox tables of one system, under its prefix."""

    def __init__(self, metadata: MetaData, prefix: str) -> None:
        self.inbox = Table(
            f"{prefix}_inbox",
            metadata,
            Column("message_id", String(36), primary_key=True),
            Column("message_type", String(64), nullable=False),
            Column("sender", String(64), nullable=False),
            Column("client_id", String(200), nullable=False),  # the authenticated client it came through
            Column("digest", String(64), nullable=False),
            Column("received_at", DateTime(timezone=True), nullable=False),
            Column("acknowledgement", Document, nullable=False),
        )
        self.outbox = Table(
            f"{prefix}_outbox",
            metadata,
            Column("seq", Integer, primary_key=True, autoincrement=True),
            Column("message_id", String(36), nullable=False, unique=True),
            Column("message_type", String(64), nullable=False),
            Column("destination", String(64), nullable=False),
            Column("body", Document, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("attempts", Integer, nullable=False, default=0),
            Column("next_attempt_at", DateTime(timezone=True), nullable=False),
            Column("delivered_at", DateTime(timezone=True), nullable=True),
            Column("last_error", String(2000), nullable=True),
            Column("acknowledgement", Document, nullable=True),
        )


class Transport(Protocol):
    """Carries a message's bytes to another system, as its sender, and brings back its acknowledgement's bytes."""

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        """Deliver one message from `sender` (the system its envelope names, authenticating as itself).

        Return the acknowledgement (bytes, content type); raise TransportError on failure.
        """
        ...


class TransportError(Exception):
    """Raised when a message could not be delivered (the receiver is down, or answered with nonsense)."""


def decode_acknowledgement(body: bytes, content_type: str) -> Acknowledgement:
    """Read an acknowledgement that came back over a transport."""
    try:
        message = from_xml(body) if "xml" in content_type else from_json(body)
    except (UnusableInputError, ValueError) as exc:
        raise TransportError(f"the receiver answered with something that is not a message: {exc}") from exc
    if not isinstance(message, Acknowledgement):
        raise TransportError(f"the receiver answered with a {message.message_type.value}, not an Acknowledgement")
    return message


#: Applies a message inside the receiver's transaction. It may return warnings (findings of
#: severity warning) for the acknowledgement; to reject, it raises HandlerRefusal instead.
Handler = Callable[[Connection, Any], Iterable[Finding] | None]


def _digest(message: Message) -> str:
    canonical = json.dumps(message.model_dump(mode="json", by_alias=True, exclude_none=True), sort_keys=True)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


class Receiver:
    """The receiving side of a system: validate, de-duplicate, apply in one transaction, acknowledge."""

    def __init__(
        self,
        store: Store,
        tables: MessagingTables,
        identity: SystemRef,
        handlers: Mapping[MessageType, Handler],
        clock: Clock,
    ) -> None:
        self.store = store
        self.tables = tables
        self.identity = identity
        self.handlers = dict(handlers)
        self.clock = clock

    def receive(self, body: bytes, content_type: str, *, client: Principal) -> tuple[bytes, str]:
        """Handle the bytes of one message from an authenticated client; the acknowledgement, in the same form."""
        reply, reply_type, _ = self.receive_http(body, content_type, client)
        return reply, reply_type

    def receive_http(self, body: bytes, content_type: str, client: Principal | None) -> tuple[bytes, str, int]:
        """As `receive`, with the HTTP binding's status: 200 accepted, 403 refused by a SEC rule, 422 rejected."""
        if client is None:
            raise ValueError("a message is received from an authenticated client: give its principal")
        ack = self.receive_message_bytes(body, client)
        status = _status_of(ack)
        if "json" in content_type:
            return to_json(ack), "application/json", status
        return to_xml(ack), "application/xml", status

    def _reply_to(self, body: bytes) -> tuple[str, SystemRef]:
        """The message ID and sender of a message we could not use, as far as they can be read."""
        try:
            message = from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
            return message.header.message_id, message.header.sender
        except Exception:  # nothing readable: answer with a nil reference
            return "00000000-0000-0000-0000-000000000000", SystemRef(
                system=self.identity.system, organisation_id="UNKNOWN"
            )

    def receive_message_bytes(self, body: bytes, client: Principal) -> Acknowledgement:
        """Validate, de-duplicate and apply a message; the acknowledgement says what happened."""
        now = self.clock()
        report = validate_bytes(body)
        if report.unusable:
            message_id, sender = self._reply_to(body)
            finding = Finding("INPUT-001", Severity.ERROR, report.unusable)
            return acknowledgement_for(message_id, self.identity, sender, [finding], now)
        if report.records != 1:
            message_id, sender = self._reply_to(body)
            finding = Finding(
                "INPUT-001",
                Severity.ERROR,
                f"expected one message, got {report.records}",
                hint="send the messages of a batch one at a time",
            )
            return acknowledgement_for(message_id, self.identity, sender, [finding], now)
        if report.errors:
            message_id, sender = self._reply_to(body)
            return acknowledgement_for(message_id, self.identity, sender, report.findings, now)
        message = from_xml(body) if report.format == "xml" else from_json(body)
        return self.receive_message(message, client, warnings=report.findings)

    def receive_message(
        self, message: Message, client: Principal, *, warnings: list[Finding] | None = None
    ) -> Acknowledgement:
        """Apply a validated message from `client` exactly once (if the client may send it)."""
        now = self.clock()
        header = message.header
        refused = sender_refusal(message, client)
        if refused is not None:
            return acknowledgement_for(header.message_id, self.identity, header.sender, [refused], now)
        handler = self.handlers.get(message.message_type)
        if handler is None:
            finding = Finding(
                "ENV-001",
                Severity.ERROR,
                f"this {self.identity.system.label} does not accept {message.message_type.value}",
                path="header.messageType",
                hint="send it to a system that receives this message type",
            )
            return acknowledgement_for(header.message_id, self.identity, header.sender, [finding], now)
        digest = _digest(message)
        with self.store.reading() as connection:
            seen = connection.execute(
                select(self.tables.inbox.c.digest, self.tables.inbox.c.acknowledgement).where(
                    self.tables.inbox.c.message_id == header.message_id
                )
            ).first()
        if seen is not None:
            return self._redelivery(message, seen.digest, seen.acknowledgement, digest, now)
        findings = list(warnings or [])
        try:
            with self.store.transaction() as connection:
                findings.extend(handler(connection, message) or ())
                ack = acknowledgement_for(header.message_id, self.identity, header.sender, findings, now)
                connection.execute(
                    insert(self.tables.inbox).values(
                        message_id=header.message_id,
                        message_type=message.message_type.value,
                        sender=header.sender.organisation_id,
                        client_id=client.client_id[:200],
                        digest=digest,
                        received_at=now,
                        acknowledgement=ack.model_dump(mode="json", by_alias=True, exclude_none=True),
                    )
                )
        except HandlerRefusal as refusal:
            return acknowledgement_for(header.message_id, self.identity, header.sender, [refusal.finding], now)
        except IntegrityError:
            # The same message arrived twice at once and the other delivery committed first:
            # ours was rolled back whole, so answer as for any redelivery.
            with self.store.reading() as connection:
                seen = connection.execute(
                    select(self.tables.inbox.c.digest, self.tables.inbox.c.acknowledgement).where(
                        self.tables.inbox.c.message_id == header.message_id
                    )
                ).first()
            if seen is None:
                raise
            return self._redelivery(message, seen.digest, seen.acknowledgement, digest, now)
        return ack

    def _redelivery(
        self, message: Message, digest: str, stored: Any, new_digest: str, now: dt.datetime
    ) -> Acknowledgement:
        header = message.header
        if digest != new_digest:
            finding = Finding(
                "ENV-003",
                Severity.ERROR,
                f"message ID {header.message_id} was already used for a different message",
                path="header.messageId",
                hint="give every new message a new ID; keep the ID only when resending the same message",
            )
            return acknowledgement_for(header.message_id, self.identity, header.sender, [finding], now)
        return Acknowledgement.model_validate(stored)


#: The rules a receiver checks on the authenticated client, before anything else of the message.
SENDER_RULES = ("SEC-001", "SEC-002")


def sender_refusal(message: Message, client: Principal) -> Finding | None:
    """SEC-002 (the token allows the type) and SEC-001 (the envelope's sender is the client), or None."""
    sender = message.header.sender
    if not client.may_send(message.message_type):
        return Finding(
            "SEC-002",
            Severity.ERROR,
            f"the client {client.client_id} is not authorised to send {message.message_type.value} "
            f"(its token's scopes: {' '.join(sorted(client.scopes)) or 'none'})",
            path="header.messageType",
            hint=f"register the client for the scope messages:{message.message_type.value} and ask for it",
        )
    if not client.sends_as(sender):
        kind = f", a {client.system.value} system" if client.system is not None else ""
        return Finding(
            "SEC-001",
            Severity.ERROR,
            f"the envelope names the sender {sender.organisation_id} ({sender.system.value}), but the message came "
            f"from the client {client.client_id} of {client.organisation_id}{kind}",
            path="header.sender",
            hint="send only messages from your own system: header.sender is the organisation and kind of system "
            "your client is registered as",
        )
    return None


def _status_of(ack: Acknowledgement) -> int:
    if ack.status is AcknowledgementStatus.ACCEPTED:
        return 200
    if any(f.rule_id in SENDER_RULES for f in ack.findings):
        return 403
    return 422


class Outbox:
    """The sending side of a system: messages written with the change that caused them, then delivered."""

    def __init__(
        self, tables: MessagingTables, clock: Clock, *, max_backoff: dt.timedelta = dt.timedelta(hours=1)
    ) -> None:
        self.tables = tables
        self.clock = clock
        self.max_backoff = max_backoff

    def enqueue(self, connection: Connection, message: Message, destination: str) -> None:
        """Record `message` for delivery to `destination`, inside the caller's transaction."""
        now = self.clock()
        connection.execute(
            insert(self.tables.outbox).values(
                message_id=message.header.message_id,
                message_type=message.message_type.value,
                destination=destination,
                body=message.model_dump(mode="json", by_alias=True, exclude_none=True),
                created_at=now,
                attempts=0,
                next_attempt_at=now,
            )
        )

    def pending(self, store: Store) -> list[dict[str, Any]]:
        """Messages not yet delivered, oldest first."""
        with store.reading() as connection:
            rows = connection.execute(
                select(self.tables.outbox)
                .where(self.tables.outbox.c.delivered_at.is_(None))
                .order_by(self.tables.outbox.c.seq)
            ).mappings()
            return [dict(row) for row in rows]

    def deliver(
        self, store: Store, transports: Mapping[str, Transport], *, wire: Format = "xml"
    ) -> list[Acknowledgement]:
        """Send every pending message whose time has come; return the acknowledgements received."""
        from ics_interop.codecs import from_json_data

        now = self.clock()
        acks = []
        for row in self.pending(store):
            if _aware(row["next_attempt_at"]) > now:
                continue
            transport = transports.get(row["destination"])
            message = from_json_data(row["body"])
            try:
                if transport is None:
                    raise TransportError(
                        f"no route is configured for {row['destination']!r}: give the service "
                        f"--route {row['destination']}=URL (the receiving system's base URL)"
                    )
                body = to_xml(message) if wire == "xml" else to_json(message)
                reply, content_type = transport.send(body, f"application/{wire}", message.header.sender)
                ack = decode_acknowledgement(reply, content_type)
            except TransportError as exc:
                attempts = row["attempts"] + 1
                backoff = min(dt.timedelta(seconds=2 ** min(attempts, 20)), self.max_backoff)
                log.warning(
                    "could not deliver %s %s to the route %r (attempt %d): %s; retrying in %s",
                    row["message_type"],
                    row["message_id"],
                    row["destination"],
                    attempts,
                    exc,
                    backoff,
                    extra={"route": row["destination"], "message_id": row["message_id"]},
                )
                with store.transaction() as connection:
                    connection.execute(
                        update(self.tables.outbox)
                        .where(self.tables.outbox.c.seq == row["seq"])
                        .values(attempts=attempts, next_attempt_at=now + backoff, last_error=str(exc)[:2000])
                    )
                continue
            with store.transaction() as connection:
                connection.execute(
                    update(self.tables.outbox)
                    .where(self.tables.outbox.c.seq == row["seq"])
                    .values(
                        attempts=row["attempts"] + 1,
                        delivered_at=now,
                        last_error=None,
                        acknowledgement=ack.model_dump(mode="json", by_alias=True, exclude_none=True),
                    )
                )
            log.info(
                "delivered %s %s to %r: %s",
                row["message_type"],
                row["message_id"],
                row["destination"],
                ack.status.value,
                extra={"route": row["destination"], "message_id": row["message_id"]},
            )
            acks.append(ack)
        return acks


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything the systems store is UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
