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
import itertools
import json
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal, Protocol

from sqlalchemy import (
    Column,
    DateTime,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from ics_interop import (
    Envelope,
    Finding,
    IcsInteropError,
    Message,
    MessageType,
    Severity,
    SystemRef,
    UnusableInputError,
    from_json,
    from_xml,
    to_json,
    to_xml,
)
from ics_interop.codecs import batch_to_xml
from ics_interop.messages import SCHEMA_VERSION, Acknowledgement, AcknowledgementStatus, ReportedFinding
from ics_interop.model.codes import SystemKind
from ics_interop.validate import CheckedMessage, FileReport, check_messages

from .auth.principal import Principal
from .storage import Document, Statements, Store

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
    "decode_acknowledgements",
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
            # What is still to deliver, without reading every message ever sent.
            Index(
                f"{prefix}_outbox_pending",
                "seq",
                sqlite_where=text("delivered_at IS NULL"),
                postgresql_where=text("delivered_at IS NULL"),
            ),
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
    """The receiving side of a system: validate, de-duplicate, apply in one transaction, acknowledge.

    A document holds one message or a batch (an XML `MessageBatch`, a JSON array or JSON Lines).
    A batch is applied in chunks of `chunk` messages, one transaction a chunk, each message
    still validated, de-duplicated, applied (in a savepoint of its own) and acknowledged on its
    own: a rejected message stores nothing and does not stop the others, a redelivered one
    changes nothing, and a process killed in the middle leaves each chunk applied whole or not
    at all (a resend then applies what was lost and answers the rest from the inbox).
    """

    #: Messages of a batch applied in one transaction.
    chunk = 200

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
        self.sql = Statements(tables)

    def receive(self, body: bytes, content_type: str, *, client: Principal, batch: bool = False) -> tuple[bytes, str]:
        """Handle the bytes of one message from an authenticated client; its acknowledgement, in the same form.

        With `batch`, the bytes are a batch (or one message, as a batch of one) and the answer is
        one acknowledgement per message, in order: a `MessageBatch` of them, or a JSON array.
        """
        reply, reply_type, _ = self.receive_http(body, content_type, client, batch)
        return reply, reply_type

    def receive_http(
        self, body: bytes, content_type: str, client: Principal | None, batch: bool = False
    ) -> tuple[bytes, str, int]:
        """As `receive`, with the HTTP binding's status: 200 accepted, 403 refused by a SEC rule, 422 rejected.

        A batch (`batch`) is answered 200 with one acknowledgement per message, each saying
        whether its message was accepted.
        """
        if client is None:
            raise ValueError("a message is received from an authenticated client: give its principal")
        acks, batched = self.receive_document(body, client, batch=batch)
        as_json = "json" in content_type
        if batched:
            reply = _json_array(acks) if as_json else batch_to_xml(acks, pretty=False)
            return reply, "application/json" if as_json else "application/xml", 200
        (ack,) = acks
        status = _status_of(ack)
        if as_json:
            return to_json(ack), "application/json", status
        return to_xml(ack), "application/xml", status

    def _reply_to(self, body: bytes) -> tuple[str, SystemRef]:
        """The message ID and sender of a message we could not use, as far as they can be read."""
        try:
            message = from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
            return message.header.message_id, message.header.sender
        except Exception:  # nothing readable: answer with a nil reference
            return _NIL_ID, SystemRef(system=self.identity.system, organisation_id="UNKNOWN")

    def receive_document(self, body: bytes, client: Principal, *, batch: bool) -> tuple[list[Acknowledgement], bool]:
        """The messages of a document, checked and applied: their acknowledgements, and whether they are a batch's.

        Without `batch` the document must be one message: a batch is rejected whole (INPUT-001)
        and nothing of it applied, as a delivery that is not one message always was.
        """
        report = FileReport(source="<message>")
        acks: list[Acknowledgement] = []
        try:
            checked = check_messages(body, report)
            first = next(checked, None)
            if report.batch and not batch:
                message_id, sender = self._reply_to(body)
                finding = Finding(
                    "INPUT-001",
                    Severity.ERROR,
                    "expected one message, got a batch",
                    hint="send the messages of a batch one at a time, or the whole batch to the batch form "
                    "(POST /messages?batch=true)",
                )
                return [acknowledgement_for(message_id, self.identity, sender, [finding], self.clock())], False
            if first is not None:
                checked = itertools.chain([first], checked)
            while chunk := list(itertools.islice(checked, self.chunk)):
                acks += self._apply_chunk(chunk, client)
        except IcsInteropError as exc:
            message_id, sender = self._reply_to(body)
            finding = Finding("INPUT-001", Severity.ERROR, str(exc))
            if batch and acks:
                # A batch that breaks off (a line too deep to read): what came before it stands.
                return [*acks, acknowledgement_for(_NIL_ID, self.identity, sender, [finding], self.clock())], True
            return [acknowledgement_for(message_id, self.identity, sender, [finding], self.clock())], False
        return acks, batch

    def receive_message(
        self, message: Message, client: Principal, *, warnings: list[Finding] | None = None
    ) -> Acknowledgement:
        """Apply a validated message from `client` exactly once (if the client may send it)."""
        (ack,) = self._apply_chunk([CheckedMessage(None, list(warnings or []), message)], client)
        return ack

    # --- how each message is judged and applied ---------------------------------------------------

    def accept(self, checked: CheckedMessage) -> tuple[Message | None, list[Finding]]:
        """The message to apply and its warnings; or None and the findings that reject it."""
        if checked.message is None or checked.errors:
            return None, checked.findings
        return checked.message, checked.findings

    def prepare(self, message: Message) -> list[Finding]:
        """Warnings to add to a message's acknowledgement, worked out just before it is applied (none here)."""
        return []

    def finished(self, message: Message) -> None:
        """Called once a message has been handled, whatever the outcome."""

    def _refusal(self, message: Message, client: Principal) -> Finding | None:
        refused = sender_refusal(message, client)
        if refused is not None or message.message_type in self.handlers:
            return refused
        return Finding(
            "ENV-001",
            Severity.ERROR,
            f"this {self.identity.system.label} does not accept {message.message_type.value}",
            path="header.messageType",
            hint="send it to a system that receives this message type",
        )

    def _apply_chunk(self, chunk: list[CheckedMessage], client: Principal) -> list[Acknowledgement]:
        """Acknowledge each checked message, applying those accepted in one transaction (each in a savepoint)."""
        now = self.clock()
        acks: list[Acknowledgement | None] = [None] * len(chunk)
        todo: list[tuple[int, Message, list[Finding]]] = []
        for i, checked in enumerate(chunk):
            message, findings = self.accept(checked)
            if message is None:
                found = checked.message.header if checked.message is not None else None
                message_id, sender = (
                    (found.message_id, found.sender) if found else checked.reply_to or self._nil_reply()
                )
                acks[i] = acknowledgement_for(message_id, self.identity, sender, findings, now)
                continue
            refused = self._refusal(message, client)
            if refused is not None:
                acks[i] = acknowledgement_for(
                    message.header.message_id, self.identity, message.header.sender, [refused], now
                )
                continue
            todo.append((i, message, findings))
        if len(todo) == 1:
            # One message: its transaction is its own, and a refusal rolls the whole of it back.
            ((i, message, findings),) = todo
            try:
                with self.store.transaction() as connection:
                    acks[i] = self._apply_one(connection, message, client, findings, now, alone=True)
            except HandlerRefusal as refusal:
                acks[i] = acknowledgement_for(
                    message.header.message_id, self.identity, message.header.sender, [refusal.finding], now
                )
            except IntegrityError:
                with self.store.reading() as connection:
                    acks[i] = self._after_a_race(connection, message, now)
                if acks[i] is None:
                    raise
            finally:
                self.finished(message)
        elif todo:
            with self.store.transaction() as connection:
                for i, message, findings in todo:
                    try:
                        acks[i] = self._apply_one(connection, message, client, findings, now, alone=False)
                    finally:
                        self.finished(message)
        return [ack for ack in acks if ack is not None]

    def _after_a_race(self, connection: Connection, message: Message, now: dt.datetime) -> Acknowledgement | None:
        """The same message arrived twice at once and the other delivery committed first: ours was rolled
        back, so answer as for any redelivery (None: no other delivery, the constraint broken is another)."""
        seen = self._seen(connection, message.header.message_id)
        if seen is None:
            return None
        return self._redelivery(message, seen.digest, seen.acknowledgement, _digest(message), now)

    def _nil_reply(self) -> tuple[str, SystemRef]:
        return _NIL_ID, SystemRef(system=self.identity.system, organisation_id="UNKNOWN")

    def _seen(self, connection: Connection, message_id: str) -> Any:
        return connection.execute(
            self.sql(
                lambda t: select(t.inbox.c.digest, t.inbox.c.acknowledgement).where(
                    t.inbox.c.message_id == bindparam("message_id")
                )
            ),
            {"message_id": message_id},
        ).first()

    def _apply_one(
        self,
        connection: Connection,
        message: Message,
        client: Principal,
        warnings: list[Finding],
        now: dt.datetime,
        *,
        alone: bool,
    ) -> Acknowledgement:
        """Apply one message exactly once: in a savepoint of the chunk's transaction, unless it is `alone` in it
        (then a refusal, or a constraint broken by a simultaneous delivery, is raised to roll back the whole)."""
        header = message.header
        digest = _digest(message)
        seen = self._seen(connection, header.message_id)
        if seen is not None:
            return self._redelivery(message, seen.digest, seen.acknowledgement, digest, now)
        handler = self.handlers[message.message_type]
        findings = [*warnings, *self.prepare(message)]
        if alone:
            findings.extend(handler(connection, message) or ())
            return self._record(connection, message, client, findings, digest, now)
        try:
            with self.store.savepoint(connection):
                findings.extend(handler(connection, message) or ())
                ack = self._record(connection, message, client, findings, digest, now)
        except HandlerRefusal as refusal:
            return acknowledgement_for(header.message_id, self.identity, header.sender, [refusal.finding], now)
        except IntegrityError:
            # Rolled back to its savepoint; the other delivery's entry is there to answer from.
            answered = self._after_a_race(connection, message, now)
            if answered is None:
                raise
            return answered
        return ack

    def _record(
        self,
        connection: Connection,
        message: Message,
        client: Principal,
        findings: list[Finding],
        digest: str,
        now: dt.datetime,
    ) -> Acknowledgement:
        """The message's acknowledgement, kept in the inbox (in the same transaction as its effects)."""
        header = message.header
        ack = acknowledgement_for(header.message_id, self.identity, header.sender, findings, now)
        connection.execute(
            self.sql(lambda t: insert(t.inbox)),
            {
                "message_id": header.message_id,
                "message_type": message.message_type.value,
                "sender": header.sender.organisation_id,
                "client_id": client.client_id[:200],
                "digest": digest,
                "received_at": now,
                "acknowledgement": ack.model_dump(mode="json", by_alias=True, exclude_none=True),
            },
        )
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


_NIL_ID = "00000000-0000-0000-0000-000000000000"


def _json_array(messages: list[Acknowledgement]) -> bytes:
    return b"[" + b",".join(m.model_dump_json(by_alias=True, exclude_none=True).encode() for m in messages) + b"]"


def decode_acknowledgements(body: bytes, content_type: str) -> list[Acknowledgement]:
    """Read the acknowledgements of a batch that came back over a transport, in the batch's order."""
    from ics_interop.validate import read_messages_from_bytes

    try:
        messages = read_messages_from_bytes(body)
    except (UnusableInputError, ValueError) as exc:  # the answer is not a batch
        raise TransportError(f"the receiver answered with something that is not a batch of messages: {exc}") from exc
    acks = [m for m in messages if isinstance(m, Acknowledgement)]
    if len(acks) != len(messages):
        raise TransportError("the receiver answered a batch with something other than acknowledgements")
    return acks


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
