"""Parsing XML safely: no DTD, no entities, no network, bounded size and depth.

A message of the standard never needs a document type declaration, so any document that
has one is refused. The decision is the parser's, not a text search: before a document is
parsed for real, `check_document_start` runs libxml2 over its prolog with a target that
listens for the DOCTYPE, and stops at the root element's start tag. A DOCTYPE after a
comment, a processing instruction or megabytes of comment is seen exactly as one at the
top, and nothing of the internal subset has been used by then. That closes external
entities (XXE), entity expansion ("billion laughs", quadratic blowup) and DTD retrieval in
one step. The parser is also configured never to resolve entities or touch the network, and
a parsed tree's `docinfo` is checked again, in case a declaration reaches a path that did
not pass through the first check.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import IO, Any

from lxml import etree

from ..errors import HostileInputError, UnusableInputError

__all__ = ["MAX_MESSAGE_BYTES", "check_document_start", "parse_xml", "refuse_dtd", "safe_parser"]

#: The largest single XML document `parse_xml` accepts (a streamed batch is bounded per message).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")
_CHUNK = 64 * 1024
_SEEN = 1024 * 1024
_DTD_HINT = "remove the DOCTYPE and any entity declarations; messages of the standard never need them"


def safe_parser(*, remove_blank_text: bool = False) -> etree.XMLParser:
    """An lxml parser that resolves nothing, loads nothing and refuses huge trees.

    `remove_blank_text` drops whitespace between elements (a large indented document's tree
    is about half whitespace nodes).
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        remove_blank_text=remove_blank_text,
    )


class _RootSeen(Exception):
    """Raised by the prolog listener at the root's start tag: the prolog is over."""

    def __init__(self, tag: str) -> None:
        super().__init__(tag)
        self.tag = tag


class _DoctypeSeen(Exception):
    """Raised by the prolog listener when the parser reports a document type declaration."""

    def __init__(self, name: str, system_url: str | None) -> None:
        super().__init__(name)
        self.name, self.system_url = name, system_url


class _PrologListener:
    """A parser target that reports the DOCTYPE or the root element, whichever comes first."""

    def doctype(self, name: Any, pubid: Any, system: Any) -> None:
        raise _DoctypeSeen(str(name), str(system) if system else None)

    def start(self, tag: Any, attrib: Any, nsmap: Any = None) -> None:
        raise _RootSeen(str(tag))

    def end(self, tag: Any) -> None:
        pass

    def data(self, data: Any) -> None:
        pass

    def comment(self, text: Any) -> None:
        pass

    def pi(self, target: Any, data: Any = None) -> None:
        pass

    def close(self) -> None:
        return None


def _check_encoding(head: bytes) -> None:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise UnusableInputError(
            "the document is UTF-16; the standard's messages are UTF-8", hint="re-save the file as UTF-8"
        )
    start = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    match = _ENCODING.match(start)
    if match and match.group(1).upper().replace(b"_", b"-") not in (b"UTF-8", b"UTF8"):
        raise UnusableInputError(
            f"the document declares encoding {match.group(1).decode('ascii')}; messages are UTF-8",
            hint="re-encode the file as UTF-8 and change the XML declaration",
        )


def _hostile(name: str, system_url: str | None, seen: bytes) -> HostileInputError:
    # The parser decided; the text only says where, as well as it can.
    at = seen.rfind(b"<!DOCTYPE")
    line = seen[:at].count(b"\n") + 1 if at >= 0 else None
    external = f" naming the external DTD {system_url!r}" if system_url else ""
    return HostileInputError(
        f"the document has a <!DOCTYPE {name}> declaration{external}; DTDs and entities are refused, "
        "because they can read files, reach the network or expand without bound",
        hint=_DTD_HINT,
        line=line,
    )


def check_document_start(read: Callable[[int], bytes]) -> str:
    """Check the start of a document and return its root element's tag (Clark notation).

    `read(n)` gives the next bytes of the document (a file's `read`, for example); it is
    called until the root's start tag has been parsed, so a caller that wants to parse the
    document afterwards must rewind it. Raises `HostileInputError` when the parser reports a
    document type declaration, `UnusableInputError` when the document is not UTF-8 or not
    well-formed before its root.
    """
    parser = etree.XMLParser(
        target=_PrologListener(), resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False
    )
    seen = b""  # the first MiB fed, to say on which line a DOCTYPE is
    fed = 0
    try:
        while True:
            chunk = read(_CHUNK)
            if not fed:
                _check_encoding(chunk)
            fed += len(chunk)
            if len(seen) < _SEEN:
                seen += chunk
            if not chunk:
                parser.close()
                raise UnusableInputError("the document has no root element", hint="give an XML message or batch")
            parser.feed(chunk)
    except _RootSeen as root:
        return root.tag
    except _DoctypeSeen as doctype:
        raise _hostile(doctype.name, doctype.system_url, seen if fed <= _SEEN else b"") from None
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(
            f"not well-formed XML: {exc.msg}", hint="fix the XML syntax at the line given", line=exc.lineno
        ) from None


def refuse_dtd(tree: etree._ElementTree) -> None:
    """Raise `HostileInputError` if the parser that built `tree` saw a document type declaration."""
    info = tree.docinfo
    if info.internalDTD is not None or info.externalDTD is not None or info.system_url or info.public_id:
        raise HostileInputError(
            f"the document has a <!DOCTYPE {info.root_name}> declaration; DTDs and entities are refused",
            hint=_DTD_HINT,
        )


def parse_xml(
    source: bytes | IO[bytes], *, max_bytes: int = MAX_MESSAGE_BYTES, remove_blank_text: bool = False
) -> etree._ElementTree:
    """Parse one XML document safely, or raise `HostileInputError` / `UnusableInputError`."""
    data = source if isinstance(source, bytes) else source.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise UnusableInputError(
            f"the document is larger than the limit of {max_bytes} bytes",
            hint="split it into a MessageBatch and validate that (batches are streamed), or raise max_bytes",
        )
    offset = 0

    def read(size: int) -> bytes:
        nonlocal offset
        chunk = data[offset : offset + size]
        offset += len(chunk)
        return chunk

    check_document_start(read)
    try:
        tree = etree.fromstring(data, safe_parser(remove_blank_text=remove_blank_text)).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(
            f"not well-formed XML: {exc.msg}", hint="fix the XML syntax at the line given", line=exc.lineno
        ) from exc
    refuse_dtd(tree)
    return tree
