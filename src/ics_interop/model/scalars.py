"""Named scalar types of the standard: free text, names, references, counts.

Each is an `Annotated` type that pydantic enforces and that the schema generators turn
into a named simple type (see `SimpleType`).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, StringConstraints

from ._base import SimpleType

__all__ = [
    "Count",
    "Email",
    "Identifier",
    "MessageId",
    "Name",
    "SchemaVersion",
    "Sha256",
    "ShortText",
    "Telephone",
    "Text",
    "simple_str",
]

# Characters XML 1.0 cannot carry; a carriage return is excluded too, because an XML
# parser turns it into a line feed and a round trip would change the text.
XML_CHARS = "^[^\\x00-\\x08\\x0b\\x0c\\x0d\\x0e-\\x1f\\ufffe\\uffff]*$"


def simple_str(
    name: str,
    *,
    doc: str,
    pattern: str | None = None,
    min_length: int | None = 1,
    max_length: int | None = None,
) -> Any:
    """Build an annotated `str` type that is also a named simple type of the schemas."""
    xml_chars_only = pattern is None
    effective = XML_CHARS if pattern is None else pattern
    return Annotated[
        str,
        StringConstraints(pattern=effective, min_length=min_length, max_length=max_length),
        SimpleType(
            name,
            doc=doc,
            pattern=effective,
            min_length=min_length,
            max_length=max_length,
            xml_chars_only=xml_chars_only,
        ),
    ]


Text = simple_str("Text", doc="Free text, for example a summary or a need.", max_length=4000)
ShortText = simple_str("ShortText", doc="A short label, such as a role or a service name.", max_length=200)
Name = simple_str("Name", doc="A person's given or family name.", max_length=100)
Identifier = simple_str(
    "Identifier",
    doc="A record identifier assigned by the system that owns the record: letters, digits, '-', '_', '.', ':'.",
    pattern=r"^[A-Za-z0-9][A-Za-z0-9._:\-]*$",
    max_length=64,
)
Telephone = simple_str(
    "Telephone",
    doc="A UK telephone number: digits, spaces and an optional leading '+'.",
    pattern=r"^\+?[0-9][0-9 ]{5,18}[0-9]$",
    max_length=20,
)
Email = simple_str(
    "Email",
    doc="An e-mail address.",
    pattern=r"^[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+$",
    max_length=254,
)
Count = Annotated[
    int,
    Field(ge=0, le=10_000_000),
    SimpleType("Count", base="integer", doc="A number of items, zero or more.", min_value=0, max_value=10_000_000),
]

MessageId = simple_str(
    "MessageId",
    doc="A message identifier: a UUID in its canonical lower-case form.",
    pattern=r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    min_length=36,
    max_length=36,
)
SchemaVersion = simple_str(
    "SchemaVersion",
    doc="The version of the standard a message follows: major.minor.",
    pattern=r"^1\.[0-9]+$",
    max_length=10,
)
Sha256 = simple_str(
    "Sha256",
    doc="A SHA-256 digest as 64 lower-case hexadecimal characters.",
    pattern=r"^[0-9a-f]{64}$",
    min_length=64,
    max_length=64,
)
