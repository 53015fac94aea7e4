"""Reading one cell of a spreadsheet feed: what spreadsheets do to values, undone, or a precise refusal.

Each parser takes the cell's text and returns the value the models take, or raises
`CellProblem` saying what is wrong and how to write it. They undo what spreadsheets do: spaces
in NHS numbers, lower-case postcodes, UK dates, line breaks typed inside a cell; and they catch
what spreadsheets break: numbers in scientific notation, telephone numbers that lost their 0.
The forms are the standard's own types (checked with pydantic, as the models check them).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import TypeAdapter, ValidationError

from ics_interop.model import CodeSet
from ics_interop.model.identifiers import ContactPointId, LaCode, NhsNumber, Postcode, Upn
from ics_interop.model.scalars import Email, Identifier, Name, ShortText, Telephone

__all__ = [
    "ADDRESS_STATUSES",
    "DATE_FORM",
    "NAME",
    "SHORT_TEXT",
    "CellProblem",
    "Parser",
    "address_status",
    "code",
    "codes",
    "contactpoint_id",
    "date",
    "email",
    "identifier",
    "la_code",
    "nhs_number",
    "normalise_header",
    "postcode",
    "telephone",
    "upn",
    "yes_no",
]


class CellProblem(ValueError):
    """Raised when a cell's value does not have its column's form; `fix` says how to write it."""

    def __init__(self, message: str, fix: str) -> None:
        super().__init__(message)
        self.message = message
        self.fix = fix


Parser = Callable[[str], Any]


def normalise_header(text: str) -> str:
    """A header cell as the layouts name columns: 'Date of birth ' and 'date-of-birth' are both `date_of_birth`."""
    return "_".join(re.split(r"[\s\-]+", text.strip().casefold())).strip("_")


# --- the standard's types ------------------------------------------------------------------

_IDENTIFIER: TypeAdapter[Any] = TypeAdapter(Identifier)
_NHS: TypeAdapter[Any] = TypeAdapter(NhsNumber)
_UPN: TypeAdapter[Any] = TypeAdapter(Upn)
_CPID: TypeAdapter[Any] = TypeAdapter(ContactPointId)
_POSTCODE: TypeAdapter[Any] = TypeAdapter(Postcode)
_LA: TypeAdapter[Any] = TypeAdapter(LaCode)
_TELEPHONE: TypeAdapter[Any] = TypeAdapter(Telephone)
_EMAIL: TypeAdapter[Any] = TypeAdapter(Email)

_AS_TEXT = "format the column as Text in the spreadsheet before typing or pasting the numbers"
_SCIENTIFIC = re.compile(r"[0-9.]+[eE]\+?[0-9]+")


def _typed(adapter: TypeAdapter[Any], value: str, problem: str, fix: str) -> Any:
    try:
        return adapter.validate_python(value)
    except ValidationError:
        raise CellProblem(problem, fix) from None


def _text(annotated: Any, form: str, limit: int) -> Parser:
    adapter: TypeAdapter[Any] = TypeAdapter(annotated)

    def parse(value: str) -> Any:
        text = " ".join(value.split())  # line breaks typed inside a spreadsheet cell become spaces
        return _typed(
            adapter, text, f"{text[:40]!r} is not {form}", f"write at most {limit} characters of ordinary text"
        )

    return parse


#: A person's name (the standard's Name).
NAME = _text(Name, "a name", 100)
#: A short text: a service's, role's or team's name, an address line (the standard's ShortText).
SHORT_TEXT = _text(ShortText, "a short text", 200)


def identifier(value: str) -> Any:
    """An identifier of the sender's (the standard's Identifier)."""
    return _typed(
        _IDENTIFIER,
        value.strip(),
        f"{value.strip()[:70]!r} is not an identifier",
        "use letters, digits and - _ . : only (no spaces), starting with a letter or digit, at most 64 characters",
    )


def nhs_number(value: str) -> Any:
    """Ten digits, spaces or hyphens between them allowed (the check digit is rule ID-001's)."""
    if _SCIENTIFIC.fullmatch(value.strip()):
        raise CellProblem(f"{value.strip()!r} is a number the spreadsheet wrote in scientific notation", _AS_TEXT)
    return _typed(
        _NHS,
        re.sub(r"[\s\-]", "", value),
        f"{value.strip()!r} is not an NHS number",
        "write the ten digits of the NHS number (spaces between the groups are fine)",
    )


def upn(value: str) -> Any:
    """A Unique Pupil Number, in any case (the check letter is rule ID-002's)."""
    return _typed(
        _UPN,
        value.strip().upper(),
        f"{value.strip()!r} is not a Unique Pupil Number",
        "copy the 13 characters of the UPN from the school's record (a letter, 11 digits, a digit or letter)",
    )


def contactpoint_id(value: str) -> Any:
    """A ContactPoint ID, in any case (the check digit is rule ID-004's)."""
    return _typed(
        _CPID,
        value.strip().upper(),
        f"{value.strip()!r} is not a ContactPoint ID",
        "copy the ID from the directory ('CP' and ten digits), or leave the cell empty",
    )


def postcode(value: str) -> Any:
    """A UK postcode in any case and spacing, sent in its canonical form ('n76xp' -> 'N7 6XP')."""
    compact = re.sub(r"\s", "", value).upper()
    canonical = f"{compact[:-3]} {compact[-3:]}" if len(compact) > 3 else compact
    return _typed(
        _POSTCODE, canonical, f"{value.strip()!r} is not a UK postcode", "write the full postcode, for example N7 6XP"
    )


def la_code(value: str) -> Any:
    """A local authority's three-digit DfE code (whether it is on the list is rule ID-003's)."""
    return _typed(_LA, value.strip(), f"{value.strip()!r} is not an LA code", "write the authority's 3-digit DfE code")


def telephone(value: str) -> Any:
    """A UK telephone number, which starts with 0 or +: a spreadsheet that took it for a number dropped the 0."""
    number = value.strip()
    if _SCIENTIFIC.fullmatch(number):
        raise CellProblem(f"{number!r} is a number the spreadsheet wrote in scientific notation", _AS_TEXT)
    if number[:1] not in ("0", "+"):
        raise CellProblem(f"{number!r} does not start with 0 or +44", f"write the whole number; {_AS_TEXT}")
    return _typed(
        _TELEPHONE,
        number,
        f"{number!r} is not a telephone number",
        "write digits and spaces only, with a leading + for an international number, for example 020 7946 0400",
    )


def email(value: str) -> Any:
    """An e-mail address."""
    return _typed(_EMAIL, value.strip(), f"{value.strip()!r} is not an e-mail address", "write it as name@example.org")


# --- dates, yes/no, codes ------------------------------------------------------------------

#: The form of a date, as the documentation states it.
DATE_FORM = "date: YYYY-MM-DD or DD/MM/YYYY"
# A spreadsheet may add midnight to an ISO date; a UK one writes day/month/year (never month first).
_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:[ T]00:00(?::00)?)?")
_UK_DATE = re.compile(r"([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})")


def date(value: str) -> dt.date:
    """A date as YYYY-MM-DD or DD/MM/YYYY; a two-digit year is refused (which century?)."""
    text = value.strip()
    fix = "write the date as YYYY-MM-DD (2016-06-14) or DD/MM/YYYY (14/06/2016)"
    iso, uk = _ISO_DATE.fullmatch(text), _UK_DATE.fullmatch(text)
    if iso is not None:
        year, month, day = (int(part) for part in iso.groups())
    elif uk is not None:
        day, month, year = (int(part) for part in uk.groups())
    else:
        raise CellProblem(f"{text!r} is not a date", fix)
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise CellProblem(f"{text!r} is not a date of the calendar", fix) from None


_YES = {"yes", "y", "true", "1"}
_NO = {"no", "n", "false", "0"}


def yes_no(value: str) -> bool:
    """Yes or no, in the words spreadsheets use."""
    word = value.strip().casefold()
    if word in _YES:
        return True
    if word in _NO:
        return False
    raise CellProblem(f"{value.strip()!r} is not yes or no", "write yes or no")


def codes(code_set: type[CodeSet]) -> str:
    """The codes of a set, for the documentation."""
    return ", ".join(m.value for m in code_set)


def code(code_set: type[CodeSet], aliases: Mapping[str, str] | None = None) -> Parser:
    """A parser of the set's codes, by code, label or alias, whatever the case."""
    known: dict[str, CodeSet] = {}
    for member in code_set:
        known[member.value.casefold()] = member
        known[member.label.casefold()] = member
    for alias, target in (aliases or {}).items():
        known[alias.casefold()] = code_set(target)
    listed = ", ".join(f"{m.value} ({m.label.lower()})" for m in code_set)

    def parse(value: str) -> CodeSet:
        member = known.get(" ".join(value.split()).casefold())
        if member is None:
            raise CellProblem(f"{value.strip()!r} is not a code of this column", f"write one of: {listed}")
        return member

    return parse


#: How the child's location is given (the model's choice of address, last-known address, none, left England).
ADDRESS_STATUSES = ("current", "last-known", "no-known-address", "left-england")


def address_status(value: str) -> str:
    """One of `ADDRESS_STATUSES` ('No known address' and 'none' too)."""
    word = normalise_header(value).replace("_", "-")
    word = {"none": "no-known-address", "no-address": "no-known-address"}.get(word, word)
    if word not in ADDRESS_STATUSES:
        raise CellProblem(f"{value.strip()!r} is not an address status", f"write one of: {', '.join(ADDRESS_STATUSES)}")
    return word
