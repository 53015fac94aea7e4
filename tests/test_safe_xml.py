"""Hostile and broken XML is refused at once, with an error that says what to do."""

from __future__ import annotations

from pathlib import Path

import pytest

from ics_interop import HostileInputError, UnusableInputError, from_xml, validate_bytes
from ics_interop.codecs.safe_xml import parse_xml

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE Acknowledgement [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<Acknowledgement xmlns="urn:ics-interop:schema:v1"><Header>&secret;</Header></Acknowledgement>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<MessageBatch xmlns="urn:ics-interop:schema:v1">&lol3;</MessageBatch>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE MessageBatch SYSTEM "http://example.invalid/evil.dtd">
<MessageBatch xmlns="urn:ics-interop:schema:v1"/>"""


@pytest.mark.parametrize("document", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_documents_with_a_dtd_are_refused_before_parsing(document: bytes) -> None:
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document)
    assert "DOCTYPE" in str(caught.value)
    assert caught.value.hint
    assert caught.value.line == 2


@pytest.mark.parametrize("document", [XXE, BILLION_LAUGHS, EXTERNAL_DTD], ids=["xxe", "billion-laughs", "external-dtd"])
def test_the_validator_reports_hostile_documents_as_unusable(document: bytes) -> None:
    report = validate_bytes(document)
    assert report.unusable is not None
    assert "DOCTYPE" in report.unusable
    assert report.records == 0


def test_a_doctype_after_a_comment_is_still_found() -> None:
    document = b'<?xml version="1.0"?>\n<!-- <x> -->\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x/>'
    with pytest.raises(HostileInputError) as caught:
        parse_xml(document)
    assert caught.value.line == 3


def test_a_lowercase_doctype_is_not_xml() -> None:
    with pytest.raises(UnusableInputError, match="not well-formed"):
        parse_xml(b'<?xml version="1.0"?>\n<!doctype x [<!ENTITY a "b">]>\n<x/>')


def test_size_limit() -> None:
    with pytest.raises(UnusableInputError, match="larger than the limit"):
        parse_xml(b"<a>" + b"x" * 2000 + b"</a>", max_bytes=1000)


def test_not_utf8_is_refused_with_a_fix() -> None:
    with pytest.raises(UnusableInputError) as caught:
        parse_xml(b'<?xml version="1.0" encoding="ISO-8859-1"?><a/>')
    assert "UTF-8" in caught.value.hint


def test_malformed_xml_gives_the_line() -> None:
    with pytest.raises(UnusableInputError) as caught:
        from_xml(b"<?xml version='1.0'?>\n<Acknowledgement>\n<Header>\n</Acknowledgement>")
    assert caught.value.line == 4


def test_unknown_root_is_unusable() -> None:
    with pytest.raises(UnusableInputError, match="not a message of the standard"):
        from_xml(b"<Payload xmlns='urn:ics-interop:schema:v1'/>")


def test_deep_nesting_is_refused(tmp_path: Path) -> None:
    # libxml2 refuses documents nested deeper than its limit unless huge_tree is set, which we never set.
    document = b"<a>" * 300_000 + b"</a>" * 300_000
    with pytest.raises(UnusableInputError):
        parse_xml(document)
