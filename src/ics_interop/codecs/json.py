"""The JSON codec: messages to and from the standard's JSON (camelCase members, no nulls)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from pydantic import ValidationError

from ..errors import DecodeError, UnusableInputError
from ..findings import Finding, Severity
from ..messages import MESSAGE_CLASSES, Message, MessageType
from ..shape import format_path
from .safe_json import JsonText, parse_json
from .safe_xml import MAX_MESSAGE_BYTES
from .xml import pydantic_findings

__all__ = ["batch_to_json", "from_json", "from_json_data", "message_class_for_data", "to_json", "to_json_data"]


def to_json_data(message: Message) -> dict[str, Any]:
    """The message as JSON-ready data."""
    data: dict[str, Any] = message.model_dump(mode="json", by_alias=True, exclude_none=True)
    return data


def to_json(message: Message, *, indent: int | None = 2) -> bytes:
    """Encode a message as a JSON document (UTF-8)."""
    return message.model_dump_json(by_alias=True, exclude_none=True, indent=indent).encode("utf-8")


def batch_to_json(messages: Iterable[Message]) -> bytes:
    """Encode messages as a JSON Lines batch: one message a line."""
    return b"".join(m.model_dump_json(by_alias=True, exclude_none=True).encode("utf-8") + b"\n" for m in messages)


def message_class_for_data(data: Any) -> type[Message]:
    """The message class named by `header.messageType` in decoded JSON."""
    try:
        name = data["header"]["messageType"]
        return MESSAGE_CLASSES[MessageType(name)]
    except (TypeError, KeyError, ValueError):
        known = ", ".join(t.value for t in MESSAGE_CLASSES)
        raise UnusableInputError(
            "the JSON is not a message of the standard: header.messageType is missing or unknown",
            hint=f"set header.messageType to one of {known}",
        ) from None


def from_json_data(data: Any) -> Message:
    """Decode a message from already parsed JSON data."""
    cls = message_class_for_data(data)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise DecodeError(f"the JSON is not a valid {cls.__name__}", pydantic_findings(exc)) from None


def _null_members(data: Any, path: list[str | int]) -> Iterator[list[str | int]]:
    if isinstance(data, dict):
        for name, value in data.items():
            if value is None:
                yield [*path, name]
            else:
                yield from _null_members(value, [*path, name])
    elif isinstance(data, list):
        for i, item in enumerate(data):
            yield from _null_members(item, [*path, i])


def null_findings(data: Any) -> list[Finding]:
    """A finding for each member whose value is `null`: the standard omits a member that has no value."""
    return [
        Finding(
            "JSON-type",
            Severity.ERROR,
            "null is not a value of the standard",
            path=format_path(path),
            hint="omit the member when it has no value",
        )
        for path in _null_members(data, [])
    ]


def from_json(source: bytes | str, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
    """Decode one message from a JSON document, exactly as strictly as `validate_bytes` reads it.

    Raises `UnusableInputError` for a document that is not strict JSON (see `parse_json`), and
    `DecodeError` with findings for JSON that is not a valid message.
    """
    raw = source.encode("utf-8", "surrogatepass") if isinstance(source, str) else source
    if len(raw) > max_bytes:
        raise UnusableInputError(
            f"the document is larger than the limit of {max_bytes} bytes",
            hint="send a JSON Lines batch (one message a line), or raise max_bytes",
        )
    seen = JsonText()
    data = parse_json(source, seen=seen)
    cls = message_class_for_data(data)
    if seen.has_null:
        raise DecodeError(f"the JSON is not a valid {cls.__name__}", null_findings(data))
    return from_json_data(data)
