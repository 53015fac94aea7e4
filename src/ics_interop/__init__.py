"""ics-interop: the interoperability standard for children's services systems.

Typed models and messages (pydantic), the XML and JSON codecs, the generated schemas,
the business rules and the validator. The reference systems are in
`ics_interop.adapters`, the conformance suite in `ics_interop.conformance`, and shared
Hypothesis strategies in `ics_interop.testing.strategies`.
"""

from __future__ import annotations

from .codecs import batch_to_json, batch_to_xml, from_json, from_xml, to_json, to_xml
from .convert import convert_path
from .errors import DecodeError, HostileInputError, IcsInteropError, UnusableInputError
from .findings import Finding, Severity
from .messages import MESSAGE_CLASSES, SCHEMA_VERSION, Envelope, Message, MessageType, SystemRef
from .rules import catalogue, run_rules
from .validate import FileReport, read_messages, validate_bytes, validate_message, validate_path

__version__ = "1.0.0.dev0"

__all__ = [
    "MESSAGE_CLASSES",
    "SCHEMA_VERSION",
    "DecodeError",
    "Envelope",
    "FileReport",
    "Finding",
    "HostileInputError",
    "IcsInteropError",
    "Message",
    "MessageType",
    "Severity",
    "SystemRef",
    "UnusableInputError",
    "__version__",
    "batch_to_json",
    "batch_to_xml",
    "catalogue",
    "convert_path",
    "from_json",
    "from_xml",
    "read_messages",
    "run_rules",
    "to_json",
    "to_xml",
    "validate_bytes",
    "validate_message",
    "validate_path",
]
