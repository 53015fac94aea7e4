"""XML and JSON codecs for every message of the standard, and safe XML parsing."""

from __future__ import annotations

from .json import batch_to_json, from_json, from_json_data, to_json, to_json_data
from .safe_xml import MAX_MESSAGE_BYTES, parse_xml
from .xml import BATCH_ELEMENT, NAMESPACE, batch_to_xml, element_to_message, from_xml, to_xml

__all__ = [
    "BATCH_ELEMENT",
    "MAX_MESSAGE_BYTES",
    "NAMESPACE",
    "batch_to_json",
    "batch_to_xml",
    "element_to_message",
    "from_json",
    "from_json_data",
    "from_xml",
    "parse_xml",
    "to_json",
    "to_json_data",
    "to_xml",
]
