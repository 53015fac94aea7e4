"""What kind of file a data officer has chosen: recognised from its content, never from its name.

- a Children in Need census return: XML whose root is `Message` in no namespace;
- messages of the standard: XML in the standard's namespace (one message or a `MessageBatch`),
  or JSON (one message, an array, or JSON Lines);
- a spreadsheet feed in the documented CSV layout: children or involvements, from its header row.

Anything else is named as what it seems to be (a workbook, a PDF, UTF-16 text...) with what to
do instead. The XML is looked at with the library's safe parser rules: a DTD or an entity
declaration is refused before anything is parsed.
"""

from __future__ import annotations

import enum
import io

import attrs
from lxml import etree

from ics_interop.codecs.safe_xml import check_document_start
from ics_interop.codecs.xml import NAMESPACE
from ics_interop.errors import UnusableInputError

from ..formats.csvfeed import FeedKind, feed_kind

__all__ = ["FileKind", "Recognised", "recognise"]


class FileKind(enum.Enum):
    """The kinds of file the page checks."""

    CENSUS = "census"
    FEED = "feed"
    MESSAGES = "messages"


@attrs.frozen
class Recognised:
    """A file's kind, and for a feed its layout."""

    kind: FileKind
    feed: FeedKind | None = None

    @property
    def label(self) -> str:
        """The kind for people."""
        if self.kind is FileKind.CENSUS:
            return "Children in Need census return"
        if self.kind is FileKind.FEED:
            return f"spreadsheet feed ({self.feed.value if self.feed else '?'} layout)"
        return "messages of the standard"


_NOT_THESE = (
    (b"PK\x03\x04", "a zip file or an Excel workbook", "save the sheet as 'CSV UTF-8' and choose that file"),
    (b"%PDF", "a PDF document", "choose the census return (XML), the feed (CSV) or the messages (XML or JSON)"),
    (b"\xd0\xcf\x11\xe0", "an old Office document (.xls or .doc)", "save the sheet as 'CSV UTF-8' and choose that"),
    (b"\xff\xfe", "UTF-16 text", "save the file as UTF-8 (for a spreadsheet: 'CSV UTF-8')"),
    (b"\xfe\xff", "UTF-16 text", "save the file as UTF-8 (for a spreadsheet: 'CSV UTF-8')"),
)


def _xml_root(data: bytes) -> etree.QName:
    """The root element's name, found by parsing no further than its start tag (a DTD is refused)."""
    return etree.QName(check_document_start(io.BytesIO(data).read))


def recognise(data: bytes) -> Recognised:
    """The kind of file `data` holds; `UnusableInputError` (or `HostileInputError`) saying why when none."""
    for magic, what, fix in _NOT_THESE:
        if data.startswith(magic):
            raise UnusableInputError(f"this is {what}, not a file the page can check", hint=fix)
    text = data.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise UnusableInputError("the file is empty", hint="choose the file again: it may not have been saved")
    if text.startswith(b"<"):
        root = _xml_root(data)
        if root.namespace is None and root.localname == "Message":
            return Recognised(FileKind.CENSUS)
        if root.namespace == NAMESPACE:
            return Recognised(FileKind.MESSAGES)
        where = f" in namespace {root.namespace}" if root.namespace else ""
        raise UnusableInputError(
            f"the XML's root element is {root.localname!r}{where}: neither a census return (<Message>) "
            "nor a message of the standard",
            hint=f"choose a Children in Need census return, or messages in the namespace {NAMESPACE}",
        )
    if text.startswith((b"{", b"[")):
        return Recognised(FileKind.MESSAGES)
    if b"\x00" in data[:4096]:
        raise UnusableInputError(
            "the file holds NUL bytes: it is not text", hint="choose a census return, a CSV feed or messages"
        )
    layout = feed_kind(data)
    if layout is None:
        raise UnusableInputError(
            "the file is not XML or JSON, and its first row names no column of the feed layouts",
            hint="for a spreadsheet feed, put the layout's column headers in row 1 (`ics-interop csv template`)",
        )
    return Recognised(FileKind.FEED, layout)
