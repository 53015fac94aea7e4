"""Plumbing the suite's broken systems share: rewriting what a system receives and what it sends.

A broken system is the reference system with one thing got wrong inside it, as a vendor's own
code would get it wrong, so it is broken the same way through its Python adapter and over HTTP.
A receiver can be wrapped (`ReceiverFilter`: the message is changed, or answered otherwise,
before the system sees it) and a transport too (`RewritingTransport`: what goes out is changed,
or dropped).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ics_interop import Message, batch_to_xml, from_json, from_xml, to_json, to_xml
from ics_interop.messages import SystemRef
from ics_interop.validate import read_messages_from_bytes

__all__ = ["ReceiverFilter", "RewritingTransport", "answer_batch", "decode", "encode_as", "encode_like", "split_batch"]


def decode(body: bytes) -> Message | None:
    """The message in `body`, or None when it is not one."""
    try:
        return from_xml(body) if body.lstrip().startswith(b"<") else from_json(body)
    except Exception:
        return None


def encode_like(message: Message, body: bytes) -> bytes:
    """`message` in the wire form of `body`."""
    return to_xml(message) if body.lstrip().startswith(b"<") else to_json(message)


def split_batch(body: bytes) -> list[Message] | None:
    """The messages of a batch, or None when it cannot be read (the real receiver then answers it)."""
    try:
        return read_messages_from_bytes(body)
    except Exception:
        return None


def encode_as(message: Message, content_type: str) -> bytes:
    """`message` in the wire form `content_type` names."""
    return to_json(message) if "json" in content_type else to_xml(message)


def answer_batch(acks: list[Message], content_type: str) -> tuple[bytes, str, int]:
    """A batch's answer as receive_http gives it: the acknowledgements in the batch's form, 200."""
    if "json" in content_type:
        return b"[" + b",".join(to_json(a, indent=None) for a in acks) + b"]", "application/json", 200
    return batch_to_xml(acks, pretty=False), "application/xml", 200


#: Takes (body, content type, the client's principal, the real receive) and answers as receive_http does.
Intercept = Callable[[bytes, str, Any, Callable[[bytes, str, Any], tuple[bytes, str, int]]], tuple[bytes, str, int]]


class ReceiverFilter:
    """A system's receiver with something in front of it (what the HTTP route and the adapter both call)."""

    def __init__(self, inner: Any, intercept: Intercept | None = None, *, batches: Intercept | None = None) -> None:
        self.inner = inner
        self.handlers = inner.handlers
        self._intercept = intercept
        self._batches = batches

    def receive_http(self, body: bytes, content_type: str, client: Any, batch: bool = False) -> tuple[bytes, str, int]:
        """Receive as the broken system does: `intercept` is in front of one message, `batches` of a batch."""
        receive: Callable[[bytes, str, Any], tuple[bytes, str, int]] = self.inner.receive_http
        if batch:
            receive = functools.partial(self.inner.receive_http, batch=True)
            return (
                receive(body, content_type, client)
                if self._batches is None
                else self._batches(body, content_type, client, receive)
            )
        return (
            receive(body, content_type, client)
            if self._intercept is None
            else self._intercept(body, content_type, client, receive)
        )

    def receive(self, body: bytes, content_type: str, *, client: Any) -> tuple[bytes, str]:
        """Receive as the broken system does, without the HTTP status."""
        reply, kind, _status = self.receive_http(body, content_type, client)
        return reply, kind

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class RewritingTransport:
    """A transport that changes each message on its way out; None drops it, as if it had been delivered."""

    def __init__(self, inner: Any, rewrite: Callable[[Message], Message | None]) -> None:
        self.inner = inner
        self.rewrite = rewrite

    def send(self, body: bytes, content_type: str, sender: SystemRef) -> tuple[bytes, str]:
        """Send the rewritten message (or pretend to), as `sender`."""
        message = decode(body)
        if message is None:
            return tuple(self.inner.send(body, content_type, sender))
        changed = self.rewrite(message)
        if changed is None:
            from ._adapters import acknowledgement_for

            header = message.header
            ack = acknowledgement_for(header.message_id, header.recipient, header.sender, [], header.created_at)
            return (to_json(ack), "application/json") if "json" in content_type else (to_xml(ack), "application/xml")
        return tuple(self.inner.send(encode_like(changed, body), content_type, sender))

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
