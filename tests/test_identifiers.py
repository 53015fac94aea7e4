"""Identifier checks agree with what real systems check."""

from __future__ import annotations

import pytest

from anchors import ANCHORS, needs_anchor
from ics_interop.model.identifiers import (
    contactpoint_id_check_digit,
    is_known_la_code,
    is_valid_contactpoint_id,
    is_valid_nhs_number,
    is_valid_upn,
    known_la_codes,
    nhs_number_check_digit,
    upn_check_letter,
)


@pytest.mark.parametrize(
    ("number", "valid"),
    [("9434765919", True), ("9434765918", False), ("4010232137", True), ("401023213", False), ("401023213X", False)],
)
def test_nhs_number(number: str, valid: bool) -> None:
    assert is_valid_nhs_number(number) is valid


def test_nhs_check_digit_completes_the_number() -> None:
    assert nhs_number_check_digit("943476591") == "9"
    # a remainder of 10 means no check digit can make the number valid
    assert any(nhs_number_check_digit(f"{n:09d}") is None for n in range(100))


def test_upn_check_letter_uses_the_dfe_alphabet() -> None:
    body = "201000000001"
    upn = upn_check_letter(body) + body
    assert is_valid_upn(upn)
    wrong = ("A" if upn[0] != "A" else "B") + body
    assert not is_valid_upn(wrong)
    assert not is_valid_upn("I" + body)  # I, O and S are never check letters
    assert not is_valid_upn(upn[:12])


def test_temporary_upn_ending_in_a_letter() -> None:
    body = "20100000000A"
    assert is_valid_upn(upn_check_letter(body) + body)


def test_la_codes_match_the_anchor_list() -> None:
    anchor = ANCHORS / "dfe-la-codes.txt"
    needs_anchor(anchor)
    expected = {line.strip() for line in anchor.read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert known_la_codes() == expected
    assert is_known_la_code("202")
    assert not is_known_la_code("999")


def test_contactpoint_id_luhn() -> None:
    nine = "123456789"
    good = "CP" + nine + contactpoint_id_check_digit(nine)
    assert is_valid_contactpoint_id(good)
    assert not is_valid_contactpoint_id(good[:-1] + str((int(good[-1]) + 1) % 10))
    assert not is_valid_contactpoint_id("XX" + good[2:])
