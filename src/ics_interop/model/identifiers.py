"""Identifiers real systems carry, and the checks real systems make on them.

The types below constrain the *form* of an identifier (what XML Schema and JSON Schema
can say: ten digits, thirteen characters); the check digits, which no schema can express,
are checked by the functions here and reported by the business rules `ID-001`..`ID-004`,
so a bad check digit gets a finding with a rule ID, a path and a fix rather than a parse
error.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from stdnum import luhn
from stdnum.gb import nhs, upn

from .scalars import simple_str

__all__ = [
    "ContactPointId",
    "LaCode",
    "NhsNumber",
    "Postcode",
    "Upn",
    "contactpoint_id_check_digit",
    "is_known_la_code",
    "is_valid_contactpoint_id",
    "is_valid_nhs_number",
    "is_valid_upn",
    "known_la_codes",
    "nhs_number_check_digit",
    "upn_check_letter",
]

NhsNumber = simple_str(
    "NhsNumber",
    doc="NHS number: ten digits, the last a modulus-11 check digit (written without spaces).",
    pattern=r"^[0-9]{10}$",
    min_length=10,
    max_length=10,
)
Upn = simple_str(
    "Upn",
    doc=(
        "Unique Pupil Number (DfE): a check letter, a 3-digit LA code, 4-digit establishment number, "
        "2-digit year and 3-digit serial; a temporary UPN ends with a letter."
    ),
    pattern=r"^[A-HJ-NP-RT-Z][0-9]{11}[0-9A-HJ-NP-RT-Z]$",
    min_length=13,
    max_length=13,
)
LaCode = simple_str(
    "LaCode",
    doc="Local authority code (DfE): three digits from the published list.",
    pattern=r"^[0-9]{3}$",
    min_length=3,
    max_length=3,
)
Postcode = simple_str(
    "Postcode",
    doc="UK postcode in its canonical form: outward code, one space, inward code, capitals.",
    pattern=(
        r"^([A-PR-UWYZ][0-9]{1,2}|[A-PR-UWYZ][A-HK-Y][0-9]{1,2}|[A-PR-UWYZ][0-9][A-HJKPSTUW]"
        r"|[A-PR-UWYZ][A-HK-Y][0-9][ABEHMNPRVWXY]) [0-9][ABD-HJLNP-UW-Z]{2}$"
    ),
    min_length=6,
    max_length=8,
)
ContactPointId = simple_str(
    "ContactPointId",
    doc="The directory's own ID for a child: 'CP' and ten digits, the last a Luhn check digit.",
    pattern=r"^CP[0-9]{10}$",
    min_length=12,
    max_length=12,
)


def is_valid_nhs_number(value: str) -> bool:
    """True when `value` is ten digits whose last is the right modulus-11 check digit."""
    # The form is checked here, so only the library's modulus-11 sum is needed (it is on the hot path).
    return len(value) == 10 and value.isdigit() and nhs.checksum(value) == 0


def nhs_number_check_digit(first_nine: str) -> str | None:
    """The check digit that completes nine digits, or None where no digit can (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    check = 11 - total % 11
    if check == 10:
        return None
    return "0" if check == 11 else str(check)


def upn_check_letter(last_twelve: str) -> str:
    """The DfE check letter for characters 2 to 13 of a UPN."""
    return upn.calc_check_digit(last_twelve)


def is_valid_upn(value: str) -> bool:
    """True when `value` has a UPN's form and its first letter is the right check letter.

    The LA code inside it is checked separately (`is_known_la_code`), as the census does.
    """
    if len(value) != 13 or not value[1:12].isdigit():
        return False
    try:
        return upn_check_letter(value[1:]) == value[0]
    except ValueError:  # a character outside the UPN alphabet (I, O, S)
        return False


@cache
def known_la_codes() -> frozenset[str]:
    """The local authority codes the standard accepts (shipped as data with the library)."""
    text = resources.files("ics_interop.model").joinpath("data/la_codes.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def is_known_la_code(value: str) -> bool:
    """True when `value` is on the published list of local authority codes."""
    return value in known_la_codes()


def contactpoint_id_check_digit(ten_digits_less_one: str) -> str:
    """The Luhn check digit that completes the nine digits of a ContactPoint ID."""
    return str(luhn.calc_check_digit(ten_digits_less_one))


def is_valid_contactpoint_id(value: str) -> bool:
    """True when `value` is 'CP' and ten digits passing the Luhn check."""
    return len(value) == 12 and value.startswith("CP") and value[2:].isdigit() and luhn.is_valid(value[2:])
