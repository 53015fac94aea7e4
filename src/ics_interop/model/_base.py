"""The one mechanism every model of the standard is built on.

A model of the standard is a pydantic model (`IcsModel`) whose fields carry enough
information to be written as XML, as JSON, and as both schemas, without a second
description anywhere:

- a field's JSON name is its Python name in camelCase; its XML name is the same in
  PascalCase, unless `XmlName` says otherwise (a list field's XML name names one item);
- a named scalar type (`SimpleType`) becomes a named XSD simple type with the same
  constraints pydantic enforces;
- a code set (`CodeSet`) is an enum whose members carry a code and a label;
- a choice group (`ChoiceModel.choice_groups`) names fields of which exactly one is present:
  an `xs:choice` in XML Schema, a `oneOf` in JSON Schema, a validator in Python.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, model_validator
from pydantic.alias_generators import to_camel, to_pascal

__all__ = ["ChoiceModel", "CodeSet", "IcsModel", "SimpleType", "XmlName", "json_name", "xml_name"]


@dataclass(frozen=True)
class SimpleType:
    """Marks an annotated scalar as a named simple type of the standard.

    The constraints are repeated here (pydantic has its own copy in the same
    `Annotated`) so the schema generators read one plain record, not pydantic internals.
    """

    name: str
    base: str = "string"  # string | integer | date | dateTime | boolean
    doc: str = ""
    pattern: str | None = None  # anchored with ^...$; the XSD copy drops the anchors
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | None = None
    max_value: int | None = None
    xml_chars_only: bool = False  # the pattern only excludes what XML cannot carry


@dataclass(frozen=True)
class XmlName:
    """Overrides the XML element name of a field (for a list: the name of one item)."""

    name: str


def json_name(field_name: str) -> str:
    """The JSON member name of a Python field name."""
    return to_camel(field_name)


def xml_name(field_name: str, metadata: list[Any] | tuple[Any, ...] = ()) -> str:
    """The XML element name of a Python field name, honouring an `XmlName` override."""
    for item in metadata:
        if isinstance(item, XmlName):
            return item.name
    return to_pascal(field_name)


class CodeSet(str, enum.Enum):
    """A code list of the standard: each member is a code with a human label.

    Members are declared as ``NAME = "code", "label"``; the member's value is the code,
    which is what travels on the wire in both XML and JSON.
    """

    label: str

    def __new__(cls, code: str, label: str = "") -> CodeSet:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def codes(cls) -> list[str]:
        """The codes of the set, in declaration order."""
        return [m.value for m in cls]


class IcsModel(BaseModel):
    """Base of every model and message of the standard.

    Unknown members are rejected (`extra="forbid"`): a message bound for ContactPoint
    has no place for case information, so an element it does not define is an error,
    never silently dropped.
    """

    model_config = ConfigDict(
        extra="forbid",
        alias_generator=to_camel,
        populate_by_name=True,
        use_enum_values=False,
        validate_default=False,
        ser_json_timedelta="iso8601",
    )

    #: Groups of fields of which exactly one must be present (only on a `ChoiceModel`).
    choice_groups: ClassVar[tuple[tuple[str, ...], ...]] = ()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if cls.choice_groups and not issubclass(cls, ChoiceModel):
            raise TypeError(f"{cls.__name__} has choice groups: make it a ChoiceModel so they are enforced")


class ChoiceModel(IcsModel):
    """A model with choice groups, which pydantic enforces on every instance.

    Kept apart from `IcsModel` so the many models without choices pay nothing for the check
    when a large batch is decoded.
    """

    @model_validator(mode="after")
    def _exactly_one_of_each_choice(self) -> ChoiceModel:
        for group in self.choice_groups:
            present = [name for name in group if getattr(self, name) is not None]
            if len(present) != 1:
                names = ", ".join(json_name(n) for n in group)
                found = ", ".join(json_name(n) for n in present) or "none"
                raise ValueError(
                    f"exactly one of [{names}] must be given (found: {found}); "
                    "keep the one that is true for this record and remove the others"
                )
        return self
