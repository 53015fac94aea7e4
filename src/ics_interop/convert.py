"""Conversion between the standard's XML and JSON forms, for valid messages only."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from .codecs.json import batch_to_json, to_json
from .codecs.xml import batch_to_xml, to_xml
from .errors import DecodeError
from .findings import Severity
from .validate import read_messages, validate_path

__all__ = ["convert_path"]


def convert_path(path: str | Path, to: Literal["xml", "json"]) -> bytes:
    """Convert a file holding one message or a batch into the other form.

    The file is validated first (schema and rules); a file with any error is not converted
    and `DecodeError` lists the findings. A batch becomes a `MessageBatch` document in XML
    and JSON Lines in JSON.
    """
    report = validate_path(path)
    if report.unusable:
        raise DecodeError(f"{path} cannot be converted: {report.unusable}", [])
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if errors:
        raise DecodeError(
            f"{path} has {len(errors)} error(s) and is not converted",
            errors,
            hint="run `ics-interop validate` on it and fix what it reports",
        )
    messages, batch = read_messages(path)
    if to == "xml":
        return batch_to_xml(messages) if batch else to_xml(messages[0])
    return batch_to_json(messages) if batch else to_json(messages[0]) + b"\n"
