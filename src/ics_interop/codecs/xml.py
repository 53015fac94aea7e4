"""The XML codec: messages to and from the standard's XML, driven by the models' shape.

Element names come from `shape_of` (PascalCase, list items named once each, repeated);
every element is in the version's target namespace. Decoding collects each element into
a dict keyed by JSON member names, then lets pydantic validate it, so an error's location
is the same path in XML and in JSON.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from functools import cache
from typing import Any

from lxml import etree
from pydantic import ValidationError

from ..errors import DecodeError, UnusableInputError
from ..findings import Finding, Severity
from ..messages import MESSAGE_CLASSES, Message, MessageType
from ..model._base import IcsModel
from ..shape import FieldShape, field_by_json, field_by_xml, format_path, shape_of
from .safe_xml import MAX_MESSAGE_BYTES, parse_xml

__all__ = [
    "BATCH_ELEMENT",
    "NAMESPACE",
    "batch_to_xml",
    "element_to_message",
    "format_path",
    "from_xml",
    "line_of",
    "locate_element",
    "message_class_for_tag",
    "path_of",
    "pydantic_findings",
    "to_xml",
]

#: The target namespace of v1 of the standard.
NAMESPACE = "urn:ics-interop:schema:v1"
#: The root element of a batch of messages.
BATCH_ELEMENT = "MessageBatch"
_NS = "{" + NAMESPACE + "}"


def _text(value: Any, shape: FieldShape) -> str:
    if shape.kind == "bool":
        return "true" if value else "false"
    if shape.kind == "enum":
        return str(value.value)
    if isinstance(value, dt.datetime):
        # UTC is written 'Z', as the JSON codec writes it, so both forms read the same.
        return value.isoformat().replace("+00:00", "Z")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _encode(obj: IcsModel, parent: etree._Element) -> None:
    for shape in shape_of(type(obj)):
        value = getattr(obj, shape.name)
        if value is None:
            continue
        for item in value if shape.is_list else (value,):
            child = etree.SubElement(parent, _NS + shape.xml)
            if shape.model is not None:
                _encode(item, child)
            else:
                child.text = _text(item, shape)


def message_element(message: Message) -> etree._Element:
    """The message as an lxml element (the root of its document)."""
    root = etree.Element(_NS + message.message_type.value, nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    _encode(message, root)
    return root


def to_xml(message: Message, *, pretty: bool = True) -> bytes:
    """Encode a message as an XML document (UTF-8, with an XML declaration)."""
    return etree.tostring(message_element(message), xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def batch_to_xml(messages: Iterable[Message], *, pretty: bool = True) -> bytes:
    """Encode messages as one `MessageBatch` document."""
    root = etree.Element(_NS + BATCH_ELEMENT, nsmap={None: NAMESPACE})  # type: ignore[dict-item]
    for message in messages:
        root.append(message_element(message))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=pretty)


def line_of(element: etree._Element) -> int | None:
    """The line an element starts on in its document, where the parser recorded it."""
    line = element.sourceline
    return line if isinstance(line, int) else None


def _split(tag: Any) -> tuple[str, str]:
    """(namespace, local name) of a parsed element's tag, without `QName`'s checks.

    libxml2 recovers from some namespace errors (a tag `<:Name>`, for one) and keeps a tag that
    `etree.QName` would refuse: such an element is reported, not a reason to crash.
    """
    text = str(tag)
    if text.startswith("{"):
        namespace, _, local = text[1:].partition("}")
        return namespace, local
    return "", text


def _local(tag: Any) -> str | None:
    if not isinstance(tag, str) or not tag.startswith(_NS):
        return None
    return tag[len(_NS) :]


_BOOLEANS = {"true": True, "1": True, "false": False, "0": False}


def _xml_boolean(text: str) -> Any:
    # xs:boolean: true, false, 1 or 0, surrounding white space collapsed. Anything else is left
    # as text for the model to refuse (a flag of the standard takes no text).
    return _BOOLEANS.get(text.strip(), text)


def _xml_integer(text: str) -> Any:
    stripped = text.strip()
    digits = stripped[1:] if stripped[:1] in ("+", "-") else stripped
    return int(stripped) if digits.isascii() and digits.isdigit() and len(digits) < 20 else text


def _collapsed(text: str) -> str:
    return text.strip()


def _converter(shape: FieldShape) -> Callable[[str], Any] | None:
    """How an element's text becomes the value the model takes: XML Schema's lexical rules for the type.

    Strings are taken as written; dates, timestamps, flags and numbers have their white space
    collapsed (as XML Schema does), and flags and numbers become Python values.
    """
    base = shape.simple.base if shape.simple is not None else None
    if shape.kind == "bool" or base == "boolean":
        return _xml_boolean
    if shape.kind == "int" or base == "integer":
        return _xml_integer
    if shape.kind in ("date", "datetime") or base in ("date", "dateTime"):
        return _collapsed
    return None


@cache
def _decoding_table(
    cls: type[IcsModel],
) -> dict[str, tuple[str, type[IcsModel] | None, bool, Callable[[str], Any] | None, int]]:
    """Namespaced tag -> (JSON name, nested model, is a list, text converter, place in the sequence)."""
    return {
        _NS + shape.xml: (shape.json, shape.model, shape.is_list, _converter(shape), place)
        for place, shape in enumerate(shape_of(cls))
    }


def _out_of_place(child: etree._Element, cls: type[IcsModel], path: str, twice: bool) -> DecodeError:
    name = _split(child.tag)[1]
    order = ", ".join(field_by_xml(cls))
    what = f"element {name!r} appears more than once" if twice else f"element {name!r} is out of order"
    return DecodeError(
        f"the XML is not a valid {cls.__name__}",
        [
            Finding(
                "XML-ELEMENT-ORDER",
                Severity.ERROR,
                f"{what} in {cls.__name__}",
                path=path,
                line=line_of(child),
                hint=f"give each element once (lists excepted), in the schema's order: {order}",
            )
        ],
    )


def _unknown_element(child: etree._Element, cls: type[IcsModel], path: str) -> DecodeError:
    namespace, local = _split(child.tag)
    allowed = ", ".join(field_by_xml(cls))
    return DecodeError(
        f"element {local!r} is not part of {cls.__name__}",
        [
            Finding(
                "XML-UNKNOWN-ELEMENT",
                Severity.ERROR,
                f"element {local!r} (namespace {namespace or 'none'}) is not allowed in {cls.__name__}",
                path=path,
                line=line_of(child),
                hint=f"remove it; {cls.__name__} allows: {allowed} in namespace {NAMESPACE}",
            )
        ],
    )


def _decode(
    element: etree._Element, cls: type[IcsModel], root: etree._Element, root_cls: type[IcsModel]
) -> dict[str, Any]:
    """The element's content as a dict of JSON names, for pydantic; as strict as the schema's sequence.

    The walk keeps no path: where an error is found, its path is worked out from the element
    (`path_of`), so a valid message, the usual case, pays nothing for it.
    """
    table = _decoding_table(cls)
    out: dict[str, Any] = {}
    last = -1
    get = table.get
    for child in element:
        entry = get(child.tag)
        if entry is None:
            if not isinstance(child.tag, str):  # a comment or processing instruction
                continue
            raise _unknown_element(child, cls, path_of(root, element, root_cls))
        json, model, is_list, convert, place = entry
        # The XSD's sequence: each element in its place, once unless it is a list's item.
        if place < last or (place == last and not is_list):
            raise _out_of_place(child, cls, path_of(root, element, root_cls), twice=place == last)
        last = place
        if model is None:
            value: Any = child.text or ""
            if convert is not None:
                value = convert(value)
        else:
            text = child.text
            if text and not text.isspace():  # a complex type holds elements only, never text of its own
                raise _stray_text(child, text, path_of(root, child, root_cls), root_cls)
            value = _decode(child, model, root, root_cls)
        if not is_list:
            out[json] = value
        elif json in out:
            out[json].append(value)
        else:
            out[json] = [value]
    return out


def message_class_for_tag(tag: str) -> type[Message]:
    """The message class whose root element is `tag` (a Clark-notation name)."""
    name = _local(tag)
    try:
        return MESSAGE_CLASSES[MessageType(name or "")]
    except ValueError:
        known = ", ".join(t.value for t in MESSAGE_CLASSES)
        raise UnusableInputError(
            f"root element {tag!r} is not a message of the standard",
            hint=f"the root must be one of {known} (or {BATCH_ELEMENT}) in namespace {NAMESPACE}",
        ) from None


def pydantic_findings(
    error: ValidationError, root: etree._Element | None = None, cls: type[IcsModel] | None = None
) -> list[Finding]:
    """Turn pydantic's errors into findings, with XML lines where a tree is given."""
    findings = []
    for err in error.errors(include_url=False):
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
        line = None
        if root is not None and cls is not None:
            found = locate_element(root, cls, loc)
            line = line_of(found if found is not None else root)
        findings.append(
            Finding(
                f"MODEL-{err['type'].upper().replace('_', '-')}",
                Severity.ERROR,
                err["msg"],
                path=format_path(loc),
                line=line,
                hint=_hint_for(err),
            )
        )
    return findings


def _hint_for(err: Any) -> str:
    kind = err["type"]
    if kind == "missing":
        return "add the missing element or member"
    if kind == "extra_forbidden":
        return "remove it: the standard has no such element or member here"
    if kind == "enum":
        return "use one of the codes listed"
    if kind == "string_pattern_mismatch":
        return "write the value in the form the pattern gives"
    if kind.startswith("date") or kind.startswith("datetime"):
        return "write dates as YYYY-MM-DD and timestamps as YYYY-MM-DDThh:mm:ssZ"
    return "correct the value as the message says"


def locate_element(root: etree._Element, cls: type[IcsModel], loc: Iterable[str | int]) -> etree._Element | None:
    """The element a JSON-style location points at, or the deepest one that exists."""
    element, model, parts = root, cls, list(loc)
    i = 0
    while i < len(parts) and model is not None:
        part = parts[i]
        shape = field_by_json(model).get(str(part))
        if shape is None:
            return element
        index = parts[i + 1] if shape.is_list and i + 1 < len(parts) and isinstance(parts[i + 1], int) else 0
        matches = [c for c in element if c.tag == _NS + shape.xml]
        if not isinstance(index, int) or index >= len(matches):
            return element
        element = matches[index]
        model = shape.model  # type: ignore[assignment]
        i += 2 if shape.is_list and i + 1 < len(parts) and isinstance(parts[i + 1], int) else 1
    return element


_XSI = "http://www.w3.org/2001/XMLSchema-instance"
# What XML Schema refuses and the element walk would not see: an attribute (other than the
# xsi: schema location hints every schema allows), or text beside child elements.
_STRAY = etree.XPath(
    "(descendant-or-self::*/@*[not(namespace-uri() = $xsi and "
    "(local-name() = 'schemaLocation' or local-name() = 'noNamespaceSchemaLocation'))]"
    " | descendant-or-self::*[*]/text()[normalize-space()])[1]"
)


def _stray_content(element: etree._Element, cls: type[IcsModel]) -> DecodeError | None:
    found = _STRAY(element, xsi=_XSI)
    if not isinstance(found, list) or not found:
        return None
    node: Any = found[0]  # an attribute or a text node: lxml's "smart" string, which knows its element
    owner: etree._Element = node.getparent()
    if node.is_attribute:
        what, hint = f"attribute {node.attrname!r}", "remove the attribute: the standard uses no attributes"
    else:
        what, hint = f"text {str(node).strip()[:40]!r}", "remove the text between child elements"
        if node.is_tail:  # text after an element belongs to that element's parent
            parent = owner.getparent()
            owner = parent if parent is not None else element
    return _stray(owner, what, hint, path_of(element, owner, cls), cls)


def _stray_text(element: etree._Element, text: str, path: str, cls: type[IcsModel]) -> DecodeError:
    hint = "remove the text: this element holds elements only"
    return _stray(element, f"text {text.strip()[:40]!r}", hint, path, cls)


def _stray(owner: etree._Element, what: str, hint: str, path: str, cls: type[IcsModel]) -> DecodeError:
    return DecodeError(
        f"the XML is not a valid {cls.__name__}",
        [
            Finding(
                "XML-STRAY-CONTENT",
                Severity.ERROR,
                f"{what} in element {_split(owner.tag)[1]!r} is not part of the standard",
                path=path,
                line=line_of(owner),
                hint=hint,
            )
        ],
    )


def path_of(root: etree._Element, element: etree._Element, cls: type[IcsModel]) -> str:
    """The JSON-style path of an element inside a message element (as far as the model names it)."""
    chain = []
    node: etree._Element | None = element
    while node is not None and node is not root:
        chain.append(node)
        node = node.getparent()
    loc: list[str | int] = []
    model: type[IcsModel] | None = cls
    for node in reversed(chain):
        local = _split(node.tag)[1]
        shape = field_by_xml(model).get(local) if model is not None else None
        if shape is None:
            loc.append(local)
            break
        loc.append(shape.json)
        if shape.is_list:
            parent = node.getparent()
            siblings = [c for c in parent if c.tag == node.tag] if parent is not None else [node]
            loc.append(siblings.index(node))
        model = shape.model
    return format_path(loc)


def element_to_message(element: etree._Element, *, schema_valid: bool = False) -> Message:
    """Decode one message element (the root of a document, or a member of a batch).

    As strict as the XML Schema: an unknown element, an attribute, text beside child elements
    or a value not in its type's lexical form is a `DecodeError`, never silently dropped.
    `schema_valid=True` says the element has just passed the XML Schema (as the validator
    checks it), so the search for attributes and stray text, which the schema has done, is
    skipped.
    """
    cls = message_class_for_tag(element.tag)
    if not schema_valid:
        stray = _stray_content(element, cls)
        if stray is not None:
            raise stray
    data = _decode(element, cls, element, cls)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        findings = pydantic_findings(exc, element, cls)
        raise DecodeError(f"the XML is not a valid {cls.__name__}", findings) from None


def from_xml(source: bytes | etree._ElementTree | etree._Element, *, max_bytes: int = MAX_MESSAGE_BYTES) -> Message:
    """Decode one message from XML bytes (parsed safely) or from an already parsed tree."""
    if isinstance(source, bytes):
        root = parse_xml(source, max_bytes=max_bytes).getroot()
    elif isinstance(source, etree._ElementTree):
        root = source.getroot()
    else:
        root = source
    return element_to_message(root)
