"""Named scalar types of the standard: free text, names, references, counts, dates, flags.

Each is an `Annotated` type that pydantic enforces and that the schema generators turn
into a named simple type (see `SimpleType`).

Values from the wire are held to the schemas' lexical forms, not to what pydantic would
guess: a date is `YYYY-MM-DD` (not a timestamp, not a number), a flag is JSON `true` or
`false` (the XML codec turns `true`/`false`/`1`/`0` into one), a count is a JSON number (not a
string). So `from_json` and `from_xml` accept what the schemas accept, no more. A `date`
object given from Python is taken as it is.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, Strict, StringConstraints

from ._base import SimpleType

__all__ = [
    "DATE_PATTERN",
    "Boolean",
    "Count",
    "Date",
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
#: A calendar date as the schemas write it: four-digit year (0001 to 9999), month, day.
DATE_PATTERN = r"^(000[1-9]|00[1-9][0-9]|0[1-9][0-9]{2}|[1-9][0-9]{3})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_DATE_TEXT = re.compile(DATE_PATTERN)


def _date_as_written(value: Any) -> Any:
    if isinstance(value, str):
        if _DATE_TEXT.fullmatch(value) is None:
            raise ValueError(f"{value[:40]!r} is not a date written YYYY-MM-DD")
    elif not isinstance(value, dt.date):
        raise ValueError("a date is written as text, YYYY-MM-DD")
    return value


def _number_not_text(value: Any) -> Any:
    if isinstance(value, str | bool):
        raise ValueError("a count is a number, not text or a flag")
    return value


#: A calendar date, `YYYY-MM-DD`, without a time zone.
Date = Annotated[dt.date, BeforeValidator(_date_as_written)]
#: A yes/no flag: `true` or `false` (in XML also `1` or `0`, as XML Schema allows).
Boolean = Annotated[bool, Strict()]

Count = Annotated[
    int,
    Field(ge=0, le=10_000_000),
    BeforeValidator(_number_not_text),  # after the bounds, so pydantic keeps them on the integer
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
