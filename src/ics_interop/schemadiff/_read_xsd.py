"""Reading an XML Schema of the standard into the comparison model."""

from __future__ import annotations

import attrs
from lxml import etree

from ._model import Field, ObjectType, Scalar, SchemaSet, TypeRef

__all__ = ["read_xsd"]

_XS = "{http://www.w3.org/2001/XMLSchema}"
_BASES = {
    "xs:string": "string",
    "xs:integer": "integer",
    "xs:boolean": "boolean",
    "xs:date": "date",
    "xs:dateTime": "dateTime",
}


def _occurs(node: etree._Element, name: str, default: int) -> int | None:
    value = node.get(name)
    if value is None:
        return default
    return None if value == "unbounded" else int(value)


def _scalar(node: etree._Element) -> Scalar:
    restriction = node.find(_XS + "restriction")
    if restriction is None:
        raise ValueError(f"simple type {node.get('name')} is not a restriction")
    base = _BASES.get(restriction.get("base", ""), restriction.get("base", ""))

    def facet(name: str) -> int | None:
        found = restriction.find(_XS + name)
        return int(found.get("value", "0")) if found is not None else None

    enumerations = restriction.findall(_XS + "enumeration")
    codes = tuple((e.get("value", ""), "".join(str(t) for t in e.itertext()).strip()) for e in enumerations) or None
    return Scalar(
        base=base,
        name=node.get("name", ""),
        codes=codes,
        patterns=tuple(p.get("value", "") for p in restriction.findall(_XS + "pattern")),
        min_length=facet("minLength"),
        max_length=facet("maxLength"),
        minimum=facet("minInclusive"),
        maximum=facet("maxInclusive"),
    )


def _fields(particle: etree._Element, types: dict[str, Scalar | None], choices: list[frozenset[str]]) -> list[Field]:
    fields: list[Field] = []
    for child in particle:
        if child.tag == _XS + "element":
            name = child.get("name") or child.get("ref") or ""
            type_name = child.get("type") or child.get("ref") or ""
            scalar: Scalar | None = Scalar(base=_BASES[type_name]) if type_name in _BASES else types.get(type_name)
            ref: TypeRef = type_name if scalar is None else scalar
            fields.append(
                Field(
                    name=name,
                    type=ref,
                    min_occurs=_occurs(child, "minOccurs", 1) or 0,
                    max_occurs=_occurs(child, "maxOccurs", 1),
                    is_list=_occurs(child, "maxOccurs", 1) != 1,
                )
            )
        elif child.tag == _XS + "choice":
            index = len(choices)
            members = _fields(child, types, choices)
            repeated = _occurs(child, "maxOccurs", 1) != 1
            choices.append(frozenset(f.name for f in members))
            for f in members:
                if repeated:  # a repeated choice (the batch): each member is a list of its own
                    fields.append(attrs.evolve(f, is_list=True, min_occurs=0, max_occurs=None))
                else:
                    fields.append(attrs.evolve(f, choice=index))
        elif child.tag == _XS + "sequence":
            fields.extend(_fields(child, types, choices))
    return fields


def _object(name: str, node: etree._Element, types: dict[str, Scalar | None]) -> ObjectType:
    choices: list[frozenset[str]] = []
    fields: list[Field] = []
    for particle in node:
        if particle.tag in (_XS + "sequence", _XS + "choice"):
            wrapper = etree.Element(_XS + "sequence")
            wrapper.append(_copy(particle))
            fields.extend(_fields(wrapper, types, choices))
    return ObjectType(name=name, fields=tuple(fields), choices=tuple(choices))


def _copy(node: etree._Element) -> etree._Element:
    return etree.fromstring(etree.tostring(node))


def read_xsd(data: bytes) -> SchemaSet:
    """Read the standard's XML Schema (one document, every type named)."""
    root = etree.fromstring(data, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    scalars: dict[str, Scalar | None] = {
        node.get("name", ""): _scalar(node) for node in root.findall(_XS + "simpleType")
    }
    objects = {
        node.get("name", ""): _object(node.get("name", ""), node, scalars) for node in root.findall(_XS + "complexType")
    }
    roots: dict[str, TypeRef] = {}
    for element in root.findall(_XS + "element"):
        name = element.get("name", "")
        anonymous = element.find(_XS + "complexType")
        if anonymous is not None:
            objects[name] = _object(name, anonymous, scalars)
            roots[name] = name
        else:
            roots[name] = element.get("type", "")
    return SchemaSet(family="xsd", roots=roots, objects=objects, ordered=True)
