"""Delivering a spreadsheet feed: each message to ContactPoint over a transport, or to a folder of files.

Sending is one message at a time, each answered by its F10 acknowledgement (accepted, perhaps
held for a data manager; or rejected with the rules that failed). There is no outbox: the file
is the record of what should be on the directory, so a message that could not be delivered is
sent again by importing the file again, and a re-run duplicates nothing (the directory keys an
involvement by its sender and `involvement_id`, and matches the child on the sender's
`local_id` and the national identifiers).

An ended involvement is sent as an `InvolvementEnded`. When the directory answers that it never
received the start (`CP-INV-UNKNOWN`: the involvement began and ended before the feed began),
the row is sent, as the directory's own fix says, as an `InvolvementStarted` carrying its end
date.
"""

from __future__ import annotations

import enum
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ics_interop import Message, to_json, to_xml
from ics_interop.messages import Acknowledgement, AcknowledgementStatus, ReportedFinding

from .feed import FeedFile, FeedMessage

if TYPE_CHECKING:
    from ...messaging import Transport

__all__ = ["Delivery", "DeliveryStatus", "Wire", "send_feed", "write_feed"]

Wire = Literal["xml", "json"]

#: The directory's answer to the end of an involvement it never received the start of.
_UNKNOWN_INVOLVEMENT = "CP-INV-UNKNOWN"


class DeliveryStatus(enum.StrEnum):
    """What became of one row's message."""

    ACCEPTED = "accepted"
    REJECTED = "rejected"
    #: The transport failed (the directory is down, or answered with something that is not a message).
    NOT_DELIVERED = "not-delivered"
    #: Not tried: an earlier message could not be delivered.
    NOT_SENT = "not-sent"


@attrs.frozen
class Delivery:
    """One row's message, and the directory's answer to it."""

    row: int
    message_type: str
    message_id: str
    status: DeliveryStatus
    findings: tuple[ReportedFinding, ...] = ()
    #: What else happened (the fallback to InvolvementStarted, or the transport's error).
    detail: str = ""

    def describe(self) -> str:
        """One line for people (with a line per finding)."""
        text = f"row {self.row}: {self.message_type} {self.message_id} {self.status.value}"
        if self.detail:
            text += f" ({self.detail})"
        for finding in self.findings:
            text += f"\n    {finding.severity.upper()} {finding.rule_id}: {finding.message}"
        return text

    def to_dict(self) -> dict[str, Any]:
        """The delivery as JSON-ready data."""
        return {
            "row": self.row,
            "messageType": self.message_type,
            "messageId": self.message_id,
            "status": self.status.value,
            "detail": self.detail,
            "findings": [f.model_dump(mode="json", by_alias=True, exclude_none=True) for f in self.findings],
        }


def _body(message: Message, wire: Wire) -> bytes:
    return to_xml(message) if wire == "xml" else to_json(message)


def _send(message: Message, transport: Transport, wire: Wire) -> Acknowledgement:
    # Imported when used: the shared messaging layer brings SQLAlchemy and httpx (see the package docstring).
    from ...messaging import decode_acknowledgement

    reply, content_type = transport.send(_body(message, wire), f"application/{wire}", message.header.sender)
    return decode_acknowledgement(reply, content_type)


def _delivery(row: int, message: Message, ack: Acknowledgement, detail: str = "") -> Delivery:
    status = DeliveryStatus.ACCEPTED if ack.status is AcknowledgementStatus.ACCEPTED else DeliveryStatus.REJECTED
    return Delivery(
        row, message.message_type.value, message.header.message_id, status, tuple(ack.findings), detail=detail
    )


def _needs_the_start(ack: Acknowledgement) -> bool:
    errors = [f for f in ack.findings if f.severity == "error"]
    return (
        ack.status is AcknowledgementStatus.REJECTED
        and bool(errors)
        and all(f.rule_id == _UNKNOWN_INVOLVEMENT for f in errors)
    )


def _send_row(item: FeedMessage, transport: Transport, wire: Wire) -> Delivery:
    ack = _send(item.message, transport, wire)
    if item.fallback is None or not _needs_the_start(ack):
        return _delivery(item.row, item.message, ack)
    started = _send(item.fallback, transport, wire)
    detail = "the directory did not hold the start: sent as InvolvementStarted with its end date"
    return _delivery(item.row, item.fallback, started, detail)


def send_feed(feed: FeedFile, transport: Transport, *, wire: Wire = "xml") -> list[Delivery]:
    """Send the message of every valid row, in row order; stop at the first that cannot be delivered.

    Rows with errors are never sent: check `feed.valid` (or decide to leave them out) first.
    """
    # Imported when used: the shared messaging layer brings SQLAlchemy and httpx (see the package docstring).
    from ...messaging import TransportError

    deliveries: list[Delivery] = []
    failed: str | None = None
    for item in feed.messages:
        if failed is not None:
            deliveries.append(
                Delivery(
                    item.row,
                    item.message.message_type.value,
                    item.message.header.message_id,
                    DeliveryStatus.NOT_SENT,
                    detail="not tried after a delivery failed",
                )
            )
            continue
        try:
            deliveries.append(_send_row(item, transport, wire))
        except TransportError as exc:
            failed = str(exc)
            deliveries.append(
                Delivery(
                    item.row,
                    item.message.message_type.value,
                    item.message.header.message_id,
                    DeliveryStatus.NOT_DELIVERED,
                    detail=failed,
                )
            )
    return deliveries


def write_feed(feed: FeedFile, folder: str | Path, *, wire: Wire = "xml") -> list[Path]:
    """Write the message of every valid row to `folder` (made if need be), one file each, named by row and type.

    An ended involvement is written as its InvolvementEnded only: whoever sends the files on
    sends the start first if the directory never had it.
    """
    target = Path(folder)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for item in feed.messages:
        path = target / f"row-{item.row:05d}-{item.message.message_type.value}.{wire}"
        path.write_bytes(_body(item.message, wire))
        written.append(path)
    return written
