"""XML Schema generation from the models: one schema document per version of the standard.

Every message is a global element (so any one can be a document's root, or validated on
its own inside a batch); `MessageBatch` holds any number of messages. Every model is a
named complex type with a sequence of its fields; a choice group is an `xs:choice`;
every named scalar is a simple type with the same constraints pydantic enforces. There is
no `xs:any` anywhere: an element the standard does not define is an error.
"""

from __future__ import annotations

from lxml import etree

from ..codecs.xml import BATCH_ELEMENT, NAMESPACE
from ..messages import MESSAGE_CLASSES, SCHEMA_VERSION
from ..model._base import CodeSet, IcsModel, SimpleType
from ..shape import FieldShape, shape_of, walk_models

__all__ = ["generate_xsd"]

XS = "http://www.w3.org/2001/XMLSchema"
_XS = "{" + XS + "}"

_DATE_PATTERN = "[0-9]{4}-[0-9]{2}-[0-9]{2}"


def _doc(parent: etree._Element, text: str) -> None:
    if text:
        annotation = etree.SubElement(parent, _XS + "annotation")
        etree.SubElement(annotation, _XS + "documentation").text = text


def _xsd_pattern(pattern: str) -> str:
    # XSD patterns are anchored by definition; the Python/JSON copies carry ^...$.
    return pattern.removeprefix("^").removesuffix("$")


def _simple_type(schema: etree._Element, simple: SimpleType) -> None:
    node = etree.SubElement(schema, _XS + "simpleType", name=simple.name)
    _doc(node, simple.doc)
    base = {"string": "xs:string", "integer": "xs:integer", "dateTime": "xs:dateTime"}[simple.base]
    restriction = etree.SubElement(node, _XS + "restriction", base=base)
    if simple.min_length is not None:
        etree.SubElement(restriction, _XS + "minLength", value=str(simple.min_length))
    if simple.max_length is not None:
        etree.SubElement(restriction, _XS + "maxLength", value=str(simple.max_length))
    if simple.min_value is not None:
        etree.SubElement(restriction, _XS + "minInclusive", value=str(simple.min_value))
    if simple.max_value is not None:
        etree.SubElement(restriction, _XS + "maxInclusive", value=str(simple.max_value))
    # XML itself cannot carry the characters the xml_chars_only pattern excludes, except a
    # carriage return written as &#13;, which the model refuses (a parser would turn a literal
    # one into a line feed): the schema refuses it too.
    if simple.xml_chars_only:
        etree.SubElement(restriction, _XS + "pattern", value="[^\\r]*")
    elif simple.pattern:
        etree.SubElement(restriction, _XS + "pattern", value=_xsd_pattern(simple.pattern))


def _enum_type(schema: etree._Element, code_set: type[CodeSet]) -> None:
    node = etree.SubElement(schema, _XS + "simpleType", name=code_set.__name__)
    _doc(node, (code_set.__doc__ or "").strip().splitlines()[0])
    restriction = etree.SubElement(node, _XS + "restriction", base="xs:string")
    for member in code_set:
        value = etree.SubElement(restriction, _XS + "enumeration", value=member.value)
        _doc(value, member.label)


def _type_ref(shape: FieldShape) -> str:
    if shape.kind == "bool":
        return "xs:boolean"
    return shape.type_name


def _element(parent: etree._Element, shape: FieldShape, *, in_choice: bool = False) -> None:
    attrs = {"name": shape.xml, "type": _type_ref(shape)}
    if shape.is_list:
        attrs["minOccurs"] = str(shape.min_items)
        attrs["maxOccurs"] = "unbounded" if shape.max_items is None else str(shape.max_items)
    elif not shape.required and not in_choice:
        attrs["minOccurs"] = "0"
    node = etree.SubElement(parent, _XS + "element", attrs)
    _doc(node, shape.description)


def _complex_type(schema: etree._Element, model: type[IcsModel]) -> None:
    node = etree.SubElement(schema, _XS + "complexType", name=model.__name__)
    _doc(node, (model.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "))
    sequence = etree.SubElement(node, _XS + "sequence")
    open_choice: tuple[int, etree._Element] | None = None
    for shape in shape_of(model):
        if shape.choice_group is None:
            open_choice = None
            _element(sequence, shape)
            continue
        if open_choice is None or open_choice[0] != shape.choice_group:
            open_choice = (shape.choice_group, etree.SubElement(sequence, _XS + "choice"))
        _element(open_choice[1], shape, in_choice=True)


def generate_xsd() -> bytes:
    """The XML Schema of this version of the standard, as bytes (deterministic)."""
    schema = etree.Element(
        _XS + "schema",
        {
            "targetNamespace": NAMESPACE,
            "elementFormDefault": "qualified",
            "version": SCHEMA_VERSION,
        },
        nsmap={"xs": XS, None: NAMESPACE},  # type: ignore[dict-item]
    )
    _doc(
        schema,
        f"ics-interop v{SCHEMA_VERSION}: children's services interoperability messages. "
        "Generated from the models by `ics-interop schema generate`; do not edit by hand.",
    )
    messages = list(MESSAGE_CLASSES.values())
    for cls in messages:
        node = etree.SubElement(schema, _XS + "element", name=cls.message_type.value, type=cls.__name__)
        _doc(node, cls.message_type.label)
    batch = etree.SubElement(schema, _XS + "element", name=BATCH_ELEMENT)
    _doc(batch, "Any number of messages, validated and processed one at a time.")
    choice = etree.SubElement(
        etree.SubElement(batch, _XS + "complexType"), _XS + "choice", minOccurs="0", maxOccurs="unbounded"
    )
    for cls in messages:
        etree.SubElement(choice, _XS + "element", ref=cls.message_type.value)

    models = walk_models(messages)
    simples: dict[str, SimpleType] = {}
    enums: dict[str, type[CodeSet]] = {}
    for model in models:
        _complex_type(schema, model)
        for shape in shape_of(model):
            if shape.simple is not None and shape.kind == "simple":
                known = simples.setdefault(shape.simple.name, shape.simple)
                if known != shape.simple:
                    raise TypeError(f"two different simple types are named {shape.simple.name}")
            if shape.enum is not None:
                enums[shape.enum.__name__] = shape.enum
    date = etree.SubElement(schema, _XS + "simpleType", name="Date")
    _doc(date, "A calendar date, YYYY-MM-DD, without a time zone.")
    etree.SubElement(etree.SubElement(date, _XS + "restriction", base="xs:date"), _XS + "pattern", value=_DATE_PATTERN)
    for name in sorted(simples):
        _simple_type(schema, simples[name])
    for name in sorted(enums):
        _enum_type(schema, enums[name])
    etree.indent(schema, space="  ")
    return etree.tostring(schema, xml_declaration=True, encoding="UTF-8", pretty_print=True)
