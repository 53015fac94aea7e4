"""Broken messaging: the binding's batch form got wrong (MSG-R15), and what is sent (MSG-R10).

Each batch receiver is a reference system whose batch form (POST /messages?batch=true) is a
vendor's own loop over its one-message receiver, wrong in one way, while one message at a time
it is right. The fault is inside the system (its receiver, its transport), so it is met through
the adapter and over HTTP alike. `broken` lists them with the requirements they break.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from ics_interop import Finding, Severity, SystemRef, to_json
from ics_interop.messages import Acknowledgement

from ._adapters import ContactPointDirectory, IcsSystem, NationalEcaf, acknowledgement_for
from .broken_plumbing import ReceiverFilter, answer_batch, decode, encode_as, split_batch

__all__ = [
    "BatchAcksAcceptedFirst",
    "BatchJsonLinesReadAsOne",
    "BatchRejectedWhole",
    "BatchSkipsTheInbox",
    "BatchStopsAtFirstRejection",
    "JsonSentAsXml",
]

#: Receives one message as receive_http does: (body, content type, the client's principal).
ReceiveOne = Callable[[bytes, str, Any], tuple[bytes, str, int]]
#: A vendor's batch loop: (the batch's messages, its content type, the client, receive one) -> the acknowledgements.
BatchLoop = Callable[[list[Any], str, Any, ReceiveOne], list[Acknowledgement]]


def _one(receive: ReceiveOne, message: Any, content_type: str, client: Any) -> Acknowledgement:
    reply, _kind, _status = receive(encode_as(message, content_type), content_type, client)
    ack = decode(reply)
    assert isinstance(ack, Acknowledgement), reply[:200]
    return ack


def _looping(system: Any, loop: BatchLoop) -> None:
    """Give the system a batch form of its own: `loop` over the messages, each through the one-message receiver."""
    receive_one: ReceiveOne = system.receiver.receive_http

    def batches(body: bytes, content_type: str, client: Any, receive_batch: Callable[..., Any]) -> Any:
        messages = split_batch(body)
        if not messages:
            return receive_batch(body, content_type, client)
        return answer_batch(list(loop(messages, content_type, client, receive_one)), content_type)

    system.receiver = ReceiverFilter(system.receiver, batches=batches)


def _refused(message: Any, identity: Any, why: str) -> Acknowledgement:
    finding = Finding("INPUT-001", Severity.ERROR, why)
    return acknowledgement_for(
        message.header.message_id, identity, message.header.sender, [finding], message.header.created_at
    )


class BatchStopsAtFirstRejection(ContactPointDirectory):
    """Stops a batch at its first rejected message: the rest are answered 'rejected, not processed', unapplied."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def loop(messages: list[Any], content_type: str, client: Any, receive: ReceiveOne) -> list[Acknowledgement]:
            acks: list[Acknowledgement] = []
            for message in messages:
                if any(a.status.value == "rejected" for a in acks):
                    acks.append(_refused(message, self.identity, "not processed: an earlier message was rejected"))
                else:
                    acks.append(_one(receive, message, content_type, client))
            return acks

        _looping(self, loop)


class BatchJsonLinesReadAsOne(ContactPointDirectory):
    """Reads a JSON Lines batch as if its first line were the whole batch (JSON arrays and XML are right)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        inner = self.receiver

        def batches(body: bytes, content_type: str, client: Any, receive_batch: Callable[..., Any]) -> Any:
            text = body.strip()
            if "json" in content_type and not text.startswith(b"[") and b"\n" in text:
                body = text.split(b"\n", 1)[0]
            return receive_batch(body, content_type, client)

        self.receiver = ReceiverFilter(inner, batches=batches)  # type: ignore[assignment]


class BatchRejectedWhole(NationalEcaf):
    """Checks a batch before applying it and, if any message breaks a rule, rejects every message of it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from ics_interop import validate_message

        def loop(messages: list[Any], content_type: str, client: Any, receive: ReceiveOne) -> list[Acknowledgement]:
            if any(f.severity is Severity.ERROR for m in messages for f in validate_message(m)):
                return [_refused(m, self.identity, "the batch holds a message that breaks a rule") for m in messages]
            return [_one(receive, m, content_type, client) for m in messages]

        _looping(self, loop)


class BatchAcksAcceptedFirst(IcsSystem):
    """Answers a batch with the acknowledgements of the accepted messages first, then those rejected."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def loop(messages: list[Any], content_type: str, client: Any, receive: ReceiveOne) -> list[Acknowledgement]:
            acks = [_one(receive, m, content_type, client) for m in messages]
            return sorted(acks, key=lambda a: a.status.value != "accepted")

        _looping(self, loop)


class BatchSkipsTheInbox(NationalEcaf):
    """Applies each message of a batch without looking its ID up: one reusing an ID for other content is applied."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)

        def loop(messages: list[Any], content_type: str, client: Any, receive: ReceiveOne) -> list[Acknowledgement]:
            acks = []
            for message in messages:
                original = message.header.message_id
                fresh = message.model_copy(
                    update={"header": message.header.model_copy(update={"message_id": str(uuid.uuid4())})}
                )
                ack = _one(receive, fresh, content_type, client)
                header = ack.header.model_copy(update={"correlation_id": original})
                acks.append(ack.model_copy(update={"acknowledged_message_id": original, "header": header}))
            return acks

        _looping(self, loop)


# --- what is sent ----------------------------------------------------------------------------------------


class _JsonUnderAnyLabel:
    """A transport that writes every message in JSON, whatever Content-Type it sends it under."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        message = decode(body)
        written = body if message is None else to_json(message)
        reply, kind = self.inner.send(written, content_type, sender)
        return reply, kind


class JsonSentAsXml(NationalEcaf):
    """Writes what it sends in JSON but labels it application/xml, as its outbox was configured."""

    def connect(self, route: str, transport: Any) -> None:
        super().connect(route, _JsonUnderAnyLabel(transport))
