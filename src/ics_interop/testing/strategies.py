"""Hypothesis strategies for the standard's models and messages.

The generic strategy is derived from each model's shape (`ics_interop.shape.shape_of`):
field kinds, lists and their bounds, named simple types, code sets, nested models and
choice groups. When a model changes, the strategies change with it; no model has a
hand-written strategy.

What is generated is valid against the schemas (pydantic, the XML Schema and the JSON
Schemas), not necessarily against the business rules: dates need not be in order, a lead
professional need not be a TAC member, and so on. The identifier strategies do produce
correct check digits and known local authority codes.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from collections.abc import Callable, Mapping
from functools import cache
from typing import Any, TypeVar, cast

from hypothesis import strategies as st

from ..messages import MESSAGE_CLASSES, SCHEMA_VERSION, Envelope, Message, MessageType
from ..model._base import IcsModel, SimpleType
from ..model.identifiers import (
    contactpoint_id_check_digit,
    known_la_codes,
    nhs_number_check_digit,
    upn_check_letter,
)
from ..shape import FieldShape, shape_of

__all__ = [
    "MAX_DATE",
    "MAX_LIST_SIZE",
    "MAX_TEXT_SIZE",
    "MIN_DATE",
    "contactpoint_ids",
    "dates",
    "emails",
    "identifiers",
    "la_codes",
    "message_ids",
    "messages",
    "models",
    "nhs_numbers",
    "postcodes",
    "schema_versions",
    "sha256_digests",
    "simple_values",
    "telephones",
    "timestamps",
    "upns",
    "xml_text",
]

M = TypeVar("M", bound=IcsModel)

#: The longest list the generic strategy builds (a field's own bounds still apply).
MAX_LIST_SIZE = 3
#: The longest free text the generic strategy builds (a type's own maximum still applies).
MAX_TEXT_SIZE = 30
#: The range of generated dates (and of the dates of generated timestamps).
MIN_DATE = dt.date(1990, 1, 1)
MAX_DATE = dt.date(2030, 12, 31)

_UPN_LETTERS = "ABCDEFGHJKLMNPQRTUVWXYZ"  # the DfE alphabet: no I, O or S
_POSTCODE = (
    r"([A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
    r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}"
)


def _digits(count: int) -> st.SearchStrategy[str]:
    return st.text(string.digits, min_size=count, max_size=count)


# --- identifiers ------------------------------------------------------------------------------


def _nhs_number(first_nine: str) -> str | None:
    check = nhs_number_check_digit(first_nine)
    return None if check is None else first_nine + check


def nhs_numbers() -> st.SearchStrategy[str]:
    """NHS numbers with a correct modulus-11 check digit (prefixes with no valid check digit are skipped)."""
    return _digits(9).map(_nhs_number).filter(lambda v: v is not None).map(lambda v: cast(str, v))


def la_codes() -> st.SearchStrategy[str]:
    """Local authority codes from the published list the standard ships (`known_la_codes`)."""
    return st.sampled_from(sorted(known_la_codes()))


def _upn(la: str, rest: str, last: str) -> str:
    tail = la + rest + last
    return upn_check_letter(tail) + tail


def upns() -> st.SearchStrategy[str]:
    """Unique Pupil Numbers: a correct check letter, a known LA code; permanent or temporary (final letter)."""
    last = st.one_of(st.sampled_from(string.digits), st.sampled_from(_UPN_LETTERS))
    return st.builds(_upn, la_codes(), _digits(8), last)


def postcodes() -> st.SearchStrategy[str]:
    """UK postcodes in canonical form (outward code, one space, inward code)."""
    return st.from_regex(_POSTCODE, fullmatch=True)


def _contactpoint_id(nine: str) -> str:
    return "CP" + nine + contactpoint_id_check_digit(nine)


def contactpoint_ids() -> st.SearchStrategy[str]:
    """ContactPoint IDs: 'CP', nine digits and a Luhn check digit."""
    return _digits(9).map(_contactpoint_id)


def message_ids() -> st.SearchStrategy[str]:
    """Message identifiers: version 4 UUIDs in canonical lower-case form."""
    return st.uuids(version=4).map(str)


def identifiers(max_size: int = 16) -> st.SearchStrategy[str]:
    """Record identifiers: a letter or digit, then letters, digits, '.', '_', ':' or '-'."""
    first = st.sampled_from(string.ascii_letters + string.digits)
    rest = st.text(string.ascii_letters + string.digits + "._:-", max_size=max(0, max_size - 1))
    return st.builds(str.__add__, first, rest)


def _telephone(plus: bool, first: str, middle: str, last: str) -> str:
    return ("+" if plus else "") + first + middle + last


def telephones() -> st.SearchStrategy[str]:
    """UK-style telephone numbers: an optional '+', digits and spaces, a digit at each end, at most 20 characters."""
    digit = st.sampled_from(string.digits)
    return st.booleans().flatmap(
        lambda plus: st.builds(
            _telephone,
            st.just(plus),
            digit,
            st.text(string.digits + " ", min_size=5, max_size=17 if plus else 18),
            digit,
        )
    )


def emails() -> st.SearchStrategy[str]:
    """Short e-mail addresses of the form the `Email` type allows."""
    label = st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=10)
    local = st.text(string.ascii_letters + string.digits + "._%+-", min_size=1, max_size=12)
    return st.builds(
        lambda lp, first, more: f"{lp}@{first}." + ".".join(more),
        local,
        label,
        st.lists(label, min_size=1, max_size=3),
    )


def sha256_digests() -> st.SearchStrategy[str]:
    """SHA-256 digests as 64 lower-case hexadecimal characters."""
    return st.binary(min_size=32, max_size=32).map(bytes.hex)


def schema_versions() -> st.SearchStrategy[str]:
    """Versions of the standard, major.minor within 1.x (mostly the current one)."""
    return st.one_of(st.just(SCHEMA_VERSION), st.integers(0, 99).map(lambda n: f"1.{n}"))


# --- text, dates and times ----------------------------------------------------------------------

# Characters XML 1.0 carries and a parser gives back unchanged: no surrogates, no control
# characters but tab and line feed (a carriage return comes back as a line feed), no U+FFFE/U+FFFF.
_XML_CHARACTERS = st.characters(
    exclude_categories=("Cs", "Cc"),
    include_characters="\n\t",
    exclude_characters="\r\ufffe\uffff",
)


# Characters that markup, whitespace handling or quoting could get wrong; drawn on their own, since
# among all of Unicode they would hardly ever come up.
_AWKWARD = " \n\t<>&'\"];:\u00a0\u2028\u200b\U0001f600" + string.ascii_letters + string.digits


def _joined(parts: tuple[str, str]) -> str:
    return parts[0] + parts[1]


def xml_text(min_size: int = 0, max_size: int = MAX_TEXT_SIZE) -> st.SearchStrategy[str]:
    """Free text made only of characters that survive an XML round trip (markup and whitespace included)."""
    awkward = st.text(_AWKWARD, min_size=min_size, max_size=max_size)
    anything = st.text(_XML_CHARACTERS, min_size=min_size, max_size=max_size)
    if max_size < 2 * min_size:
        return st.one_of(awkward, anything)
    half = max_size // 2
    mixed = st.tuples(
        st.text(_AWKWARD, max_size=half), st.text(_XML_CHARACTERS, min_size=min_size, max_size=max_size - half)
    ).map(_joined)
    return st.one_of(awkward, anything, mixed)


def dates() -> st.SearchStrategy[dt.date]:
    """Dates from `MIN_DATE` to `MAX_DATE`."""
    return st.dates(MIN_DATE, MAX_DATE)


# XML Schema allows offsets from -14:00 to +14:00, in whole minutes.
_OFFSETS: st.SearchStrategy[dt.tzinfo] = st.one_of(
    st.just(dt.UTC),
    st.integers(-14 * 60, 14 * 60).map(lambda minutes: dt.timezone(dt.timedelta(minutes=minutes))),
)


def timestamps() -> st.SearchStrategy[dt.datetime]:
    """Timezone-aware date-times (UTC or a fixed offset of whole minutes), microseconds allowed."""
    return st.datetimes(
        min_value=dt.datetime.combine(MIN_DATE, dt.time.min),
        max_value=dt.datetime.combine(MAX_DATE, dt.time.max),
        timezones=_OFFSETS,
    )


# --- simple types -------------------------------------------------------------------------------

_NAMED: dict[str, Callable[[SimpleType], st.SearchStrategy[Any]]] = {
    "NhsNumber": lambda _: nhs_numbers(),
    "Upn": lambda _: upns(),
    "LaCode": lambda _: la_codes(),
    "Postcode": lambda _: postcodes(),
    "ContactPointId": lambda _: contactpoint_ids(),
    "MessageId": lambda _: message_ids(),
    "Identifier": lambda s: identifiers(min(s.max_length or 16, 16)),
    "Telephone": lambda _: telephones(),
    "Email": lambda _: emails(),
    "Sha256": lambda _: sha256_digests(),
    "SchemaVersion": lambda _: schema_versions(),
    "Timestamp": lambda _: timestamps(),
}


def _within_length(simple: SimpleType) -> Callable[[str], bool]:
    def check(value: str) -> bool:
        return (simple.min_length is None or len(value) >= simple.min_length) and (
            simple.max_length is None or len(value) <= simple.max_length
        )

    return check


@cache
def simple_values(simple: SimpleType) -> st.SearchStrategy[Any]:
    """Values of a named simple type that pydantic and both schemas accept."""
    named = _NAMED.get(simple.name)
    if named is not None:
        return named(simple)
    if simple.base == "integer":
        return st.integers(simple.min_value, simple.max_value)
    if simple.base == "dateTime":
        return timestamps()
    if simple.base == "date":
        return dates()
    if simple.base == "boolean":
        return st.booleans()
    if simple.xml_chars_only or simple.pattern is None:
        low = simple.min_length or 0
        return xml_text(low, max(low, min(simple.max_length or MAX_TEXT_SIZE, MAX_TEXT_SIZE)))
    pattern = simple.pattern.removeprefix("^").removesuffix("$")
    return st.from_regex(re.compile(pattern), fullmatch=True).filter(_within_length(simple))


# --- models and messages ------------------------------------------------------------------------


def _scalar(shape: FieldShape) -> st.SearchStrategy[Any]:
    if shape.kind == "model":
        assert shape.model is not None
        return _model_strategy(shape.model)
    if shape.kind == "enum":
        assert shape.enum is not None
        return st.sampled_from(list(shape.enum))
    if shape.kind == "simple":
        assert shape.simple is not None
        return simple_values(shape.simple)
    if shape.kind == "date":
        return dates()
    if shape.kind == "datetime":
        return timestamps()
    if shape.kind == "bool":
        return st.booleans()
    if shape.kind == "int":
        return st.integers(-(2**31), 2**31 - 1)
    return xml_text()


def _field(shape: FieldShape) -> st.SearchStrategy[Any]:
    item = _scalar(shape)
    if not shape.is_list:
        return item
    upper = MAX_LIST_SIZE if shape.max_items is None else min(shape.max_items, MAX_LIST_SIZE)
    return st.lists(item, min_size=shape.min_items, max_size=max(shape.min_items, upper))


def _keyed(shape: FieldShape) -> st.SearchStrategy[dict[str, Any]]:
    name = shape.name
    return _field(shape).map(lambda value: {name: value})


def _one_of_group(members: list[FieldShape]) -> st.SearchStrategy[dict[str, Any]]:
    """Exactly one member of a choice group is set; the others keep their default (None)."""
    return st.one_of([_keyed(m) for m in members])


def _merge(parts: tuple[dict[str, Any], ...]) -> dict[str, Any]:
    merged: dict[str, Any] = {}
    for part in parts:
        merged.update(part)
    return merged


def _fields(cls: type[IcsModel], overrides: Mapping[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for `cls`: every required field, some optional ones, one member of each choice group."""
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    groups: dict[int, list[FieldShape]] = {}
    for shape in shape_of(cls):
        if shape.name in overrides:
            required[shape.name] = overrides[shape.name]
        elif shape.choice_group is not None:
            groups.setdefault(shape.choice_group, []).append(shape)
        elif shape.required or shape.is_list:  # an absent list is an empty one: let the list's size decide
            required[shape.name] = _field(shape)
        else:
            optional[shape.name] = _field(shape)
    base = st.fixed_dictionaries(required, optional=optional)
    if not groups:
        return base
    return st.tuples(base, *(_one_of_group(groups[i]) for i in sorted(groups))).map(_merge)


def _build(cls: type[M]) -> Callable[[dict[str, Any]], M]:
    def build(kwargs: dict[str, Any]) -> M:
        return cls.model_validate(kwargs)

    build.__name__ = cls.__name__
    return build


@cache
def _model_strategy(cls: type[IcsModel]) -> st.SearchStrategy[IcsModel]:
    overrides: dict[str, st.SearchStrategy[Any]] = {}
    if issubclass(cls, Message):
        message_type = getattr(cls, "message_type", None)
        if not isinstance(message_type, MessageType):
            raise TypeError(f"{cls.__name__} is not a concrete message type")
        envelope = _fields(Envelope, {"message_type": st.just(message_type)}).map(_build(Envelope))
        overrides["header"] = envelope
    return _fields(cls, overrides).map(_build(cls))


def models(cls: type[M]) -> st.SearchStrategy[M]:
    """Instances of any model (or message) class of the standard, valid against its schemas.

    For a message class the envelope's message type is the class's own.
    """
    return cast(st.SearchStrategy[M], _model_strategy(cls))


def messages(message_type: MessageType | type[Message] | None = None) -> st.SearchStrategy[Message]:
    """Valid messages of the given type (a `MessageType` or a message class), or of any type."""
    if message_type is None:
        return st.one_of([models(cls) for cls in MESSAGE_CLASSES.values()])
    if isinstance(message_type, MessageType):
        return models(MESSAGE_CLASSES[message_type])
    if isinstance(message_type, type) and issubclass(message_type, Message):
        return cast(st.SearchStrategy[Message], models(message_type))
    raise TypeError(f"not a message type: {message_type!r}")
