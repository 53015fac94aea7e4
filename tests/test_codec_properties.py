"""Properties of the codecs over generated messages of every type.

Every valid message survives a round trip through XML and through JSON, both encodings
decode to the same model, and what the codecs write is valid against the schemas the
models generate (the XSD with xmlschema and with lxml, the JSON Schemas with jsonschema).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from functools import cache
from typing import Any

import pytest
import xmlschema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from ics_interop.codecs import from_json, from_xml, to_json, to_xml
from ics_interop.codecs.safe_xml import parse_xml
from ics_interop.codecs.xml import BATCH_ELEMENT, NAMESPACE, batch_to_xml, element_to_message
from ics_interop.messages import MESSAGE_CLASSES, Message
from ics_interop.schemagen import generate_json_schema, generate_xsd
from ics_interop.testing import messages

PROPERTY = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
MESSAGE_TYPES = pytest.mark.parametrize("cls", list(MESSAGE_CLASSES.values()), ids=lambda c: c.__name__)


@cache
def xsd_for_xmlschema() -> xmlschema.XMLSchema:
    """The XML Schema the models generate, loaded once per process."""
    return xmlschema.XMLSchema(io.BytesIO(generate_xsd()))


@cache
def xsd_for_lxml() -> etree.XMLSchema:
    return etree.XMLSchema(etree.fromstring(generate_xsd()))


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})",
    re.IGNORECASE,
)


def _is_rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    return _RFC3339.fullmatch(value) is not None and dt.datetime.fromisoformat(value).tzinfo is not None


def format_checker() -> FormatChecker:
    """Draft 2020-12's format checker; 'date-time' added when jsonschema lacks its optional checker for it."""
    checker = FormatChecker(formats=())
    checker.checkers.update(Draft202012Validator.FORMAT_CHECKER.checkers)
    if "date-time" not in checker.checkers:
        checker.checks("date-time", raises=ValueError)(_is_rfc3339)
    return checker


@cache
def json_validator(cls: type[Message]) -> Draft202012Validator:
    from referencing import Registry, Resource

    from ics_interop.schemagen import COMMON_SCHEMA, generate_common_schema

    common = Resource.from_contents(generate_common_schema())
    return Draft202012Validator(
        generate_json_schema(cls),
        registry=Registry().with_resource(COMMON_SCHEMA, common),
        format_checker=format_checker(),
    )


def draw(cls: type[Message], data: st.DataObject) -> Message:
    message = data.draw(messages(cls), label="message")
    assert type(message) is cls
    return message


@MESSAGE_TYPES
@PROPERTY
@given(data=st.data())
def test_xml_round_trip(cls: type[Message], data: st.DataObject) -> None:
    message = draw(cls, data)
    assert from_xml(to_xml(message)) == message
    assert from_xml(to_xml(message, pretty=False)) == message


@MESSAGE_TYPES
@PROPERTY
@given(data=st.data())
def test_json_round_trip(cls: type[Message], data: st.DataObject) -> None:
    message = draw(cls, data)
    assert from_json(to_json(message)) == message
    assert from_json(to_json(message, indent=None)) == message


@MESSAGE_TYPES
@PROPERTY
@given(data=st.data())
def test_xml_and_json_decode_to_the_same_model(cls: type[Message], data: st.DataObject) -> None:
    message = draw(cls, data)
    from_xml_side = from_xml(to_xml(message))
    from_json_side = from_json(to_json(message))
    assert from_xml_side == from_json_side
    assert to_json(from_xml_side) == to_json(from_json_side)


@MESSAGE_TYPES
@PROPERTY
@given(data=st.data())
def test_xml_is_valid_against_the_xsd(cls: type[Message], data: st.DataObject) -> None:
    message = draw(cls, data)
    document = to_xml(message)
    errors = [str(e) for e in xsd_for_xmlschema().iter_errors(io.BytesIO(document))]
    assert not errors, document.decode("utf-8") + "\n" + "\n".join(errors)


@MESSAGE_TYPES
@PROPERTY
@given(data=st.data())
def test_json_is_valid_against_the_json_schema(cls: type[Message], data: st.DataObject) -> None:
    message = draw(cls, data)
    document = to_json(message)
    instance: Any = json.loads(document)
    errors = [f"{e.json_path}: {e.message}" for e in json_validator(cls).iter_errors(instance)]
    assert not errors, document.decode("utf-8") + "\n" + "\n".join(errors)


@settings(PROPERTY, max_examples=40)
@given(batch=st.lists(messages(), min_size=1, max_size=4))
def test_batch_is_valid_and_every_member_decodes(batch: list[Message]) -> None:
    document = batch_to_xml(batch)
    root = parse_xml(document).getroot()
    assert root.tag == f"{{{NAMESPACE}}}{BATCH_ELEMENT}"
    schema = xsd_for_lxml()
    assert schema.validate(root), str(schema.error_log)
    assert [element_to_message(element) for element in root] == batch


def test_the_json_format_checker_checks_dates_and_timestamps() -> None:
    checker = format_checker()
    assert checker.conforms("2010-03-01", "date")
    assert not checker.conforms("2010-13-01", "date")
    assert checker.conforms("2010-03-01T09:30:00.5+05:30", "date-time")
    assert not checker.conforms("2010-03-01T09:30:00", "date-time")
    assert not checker.conforms("2010-03-01 nonsense", "date-time")
