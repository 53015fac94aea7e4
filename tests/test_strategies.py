"""The shared Hypothesis strategies produce what they promise."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, find, given, settings
from hypothesis import strategies as st

from ics_interop.messages import MESSAGE_CLASSES, Message, MessageType
from ics_interop.model._base import IcsModel, SimpleType
from ics_interop.model.identifiers import (
    is_known_la_code,
    is_valid_contactpoint_id,
    is_valid_nhs_number,
    is_valid_upn,
)
from ics_interop.shape import shape_of, walk_models
from ics_interop.testing import (
    contactpoint_ids,
    la_codes,
    messages,
    models,
    nhs_numbers,
    postcodes,
    simple_values,
    timestamps,
    upns,
    xml_text,
)

FAST = settings(max_examples=200, deadline=None)
MODELS = walk_models(MESSAGE_CLASSES.values())
SIMPLE_TYPES: dict[str, SimpleType] = {
    s.simple.name: s.simple for m in MODELS for s in shape_of(m) if s.kind == "simple" and s.simple is not None
}


@FAST
@given(nhs_numbers())
def test_nhs_numbers_pass_the_modulus_11_check(value: str) -> None:
    assert is_valid_nhs_number(value)


@FAST
@given(upns())
def test_upns_have_the_right_check_letter_and_a_known_la_code(value: str) -> None:
    assert is_valid_upn(value)
    assert is_known_la_code(value[1:4])
    assert re.fullmatch(SIMPLE_TYPES["Upn"].pattern or "", value)


def test_upns_include_temporary_ones() -> None:
    assert find(upns(), lambda v: v[-1].isalpha())[-1].isalpha()


@FAST
@given(la_codes())
def test_la_codes_are_known(value: str) -> None:
    assert is_known_la_code(value)


@FAST
@given(contactpoint_ids())
def test_contactpoint_ids_pass_the_luhn_check(value: str) -> None:
    assert is_valid_contactpoint_id(value)


@FAST
@given(postcodes())
def test_postcodes_are_canonical(value: str) -> None:
    assert re.fullmatch(SIMPLE_TYPES["Postcode"].pattern or "", value)


@FAST
@given(xml_text())
def test_xml_text_has_only_characters_that_survive_xml(value: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]", value)


@FAST
@given(timestamps())
def test_timestamps_are_aware_and_within_xsd_offsets(value: dt.datetime) -> None:
    offset = value.utcoffset()
    assert offset is not None
    assert abs(offset) <= dt.timedelta(hours=14)
    assert offset % dt.timedelta(minutes=1) == dt.timedelta(0)


def _check_simple(simple: SimpleType, value: Any) -> None:
    if simple.base == "integer":
        assert isinstance(value, int)
        assert simple.min_value is None or value >= simple.min_value
        assert simple.max_value is None or value <= simple.max_value
        return
    text = value.isoformat() if isinstance(value, dt.datetime) else value
    assert isinstance(text, str)
    if simple.pattern:
        assert re.fullmatch(simple.pattern.removeprefix("^").removesuffix("$"), text, re.DOTALL), text
    if simple.base == "string":
        assert simple.min_length is None or len(text) >= simple.min_length
        assert simple.max_length is None or len(text) <= simple.max_length


@pytest.mark.parametrize("name", sorted(SIMPLE_TYPES))
@settings(max_examples=100, deadline=None)
@given(data=st.data())
def test_simple_values_match_their_type(name: str, data: st.DataObject) -> None:
    simple = SIMPLE_TYPES[name]
    _check_simple(simple, data.draw(simple_values(simple)))


@pytest.mark.parametrize("cls", MODELS, ids=lambda c: c.__name__)
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_models_are_valid_and_set_exactly_one_of_each_choice(cls: type[IcsModel], data: st.DataObject) -> None:
    model = data.draw(models(cls))
    assert type(model) is cls
    assert cls.model_validate(model.model_dump()) == model
    for group in cls.choice_groups:
        assert sum(getattr(model, name) is not None for name in group) == 1


def _of_type(message_type: MessageType) -> Callable[[Message], bool]:
    return lambda message: message.message_type is message_type


def test_messages_can_produce_every_type() -> None:
    seen: dict[MessageType, type[Message]] = {}

    @settings(max_examples=150, derandomize=True, database=None, deadline=None, suppress_health_check=list(HealthCheck))
    @given(messages())
    def record(message: Message) -> None:
        assert message.header.message_type is message.message_type
        seen[message.message_type] = type(message)

    record()
    for message_type in set(MESSAGE_CLASSES) - set(seen):  # Hypothesis does not draw the branches evenly
        found = find(
            messages(),
            _of_type(message_type),
            settings=settings(
                max_examples=2000, database=None, phases=[Phase.generate], suppress_health_check=list(HealthCheck)
            ),
        )
        seen[found.message_type] = type(found)
    assert seen == MESSAGE_CLASSES


@pytest.mark.parametrize("cls", list(MESSAGE_CLASSES.values()), ids=lambda c: c.__name__)
@settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_messages_of_a_given_type(cls: type[Message], data: st.DataObject) -> None:
    by_class = data.draw(messages(cls))
    by_type = data.draw(messages(cls.message_type))
    for message in (by_class, by_type):
        assert type(message) is cls
        assert message.header.message_type is cls.message_type


def test_messages_refuses_what_is_not_a_message_type() -> None:
    with pytest.raises(TypeError):
        messages(IcsModel)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        messages("ChildIdentityUpdate")  # type: ignore[arg-type]
