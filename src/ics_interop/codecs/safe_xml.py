"""Parsing XML safely: no DTD, no entities, no network, bounded size and depth.

A message of the standard never needs a document type declaration, so any document that
has one is refused before the parser sees it: that closes external entities (XXE),
entity expansion ("billion laughs") and DTD retrieval in one step. The parser is also
configured never to resolve entities or touch the network, in case a declaration slips
through a path this check does not see.
"""

from __future__ import annotations

import re
from typing import IO

from lxml import etree

from ..errors import HostileInputError, UnusableInputError

__all__ = ["MAX_MESSAGE_BYTES", "check_prolog", "parse_xml", "safe_parser"]

#: The largest single XML document `parse_xml` accepts (a streamed batch is bounded per message).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

_PROLOG_HAZARDS = re.compile(rb"<!(DOCTYPE|ENTITY|ELEMENT|ATTLIST)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding\s*=\s*["']([A-Za-z0-9._\-]+)["']""")


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


def check_prolog(head: bytes) -> None:
    """Refuse a document whose prolog declares a DTD or entities, or is not UTF-8.

    `head` is the start of the document: everything up to (at least) its root element.
    """
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
    root = re.search(rb"<[A-Za-z_]", start)
    prolog = start if root is None else start[: root.start()]
    hazard = _PROLOG_HAZARDS.search(prolog)
    if hazard:
        line = prolog[: hazard.start()].count(b"\n") + 1
        raise HostileInputError(
            f"the document has a <!{hazard.group(1).decode('ascii').upper()} declaration; "
            "DTDs and entities are refused, because they can read files or expand without bound",
            hint="remove the DOCTYPE and any entity declarations; messages of the standard never need them",
            line=line,
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
    check_prolog(data[:65536])
    try:
        tree = etree.fromstring(data, safe_parser(remove_blank_text=remove_blank_text)).getroottree()
    except etree.XMLSyntaxError as exc:
        raise UnusableInputError(
            f"not well-formed XML: {exc.msg}", hint="fix the XML syntax at the line given", line=exc.lineno
        ) from exc
    if tree.docinfo.internalDTD is not None or tree.docinfo.doctype:
        raise HostileInputError("the document has a DTD", hint="remove the DOCTYPE declaration")
    return tree
