"""The models refuse what the schemas refuse, with messages that say how to fix it."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from ics_interop import MessageType
from ics_interop.examples import example_messages
from ics_interop.messages import ChildIdentityUpdate, Envelope
from ics_interop.model import Child


def _header() -> Envelope:
    return example_messages()[MessageType.CHILD_IDENTITY_UPDATE].header


@pytest.mark.parametrize(
    "offset",
    [dt.timedelta(hours=1, seconds=5), dt.timedelta(hours=14, minutes=1), dt.timedelta(hours=-15)],
)
def test_timestamps_need_an_offset_xml_schema_can_carry(offset: dt.timedelta) -> None:
    data = _header().model_dump()
    data["created_at"] = dt.datetime(2010, 1, 1, 9, tzinfo=dt.timezone(offset))
    with pytest.raises(ValidationError, match="whole minutes between -14:00 and \\+14:00"):
        Envelope.model_validate(data)


def test_timestamps_need_an_offset_at_all() -> None:
    data = _header().model_dump()
    data["created_at"] = dt.datetime(2010, 1, 1, 9)
    with pytest.raises(ValidationError, match="timezone"):
        Envelope.model_validate(data)


def test_a_choice_group_takes_exactly_one() -> None:
    child = example_messages()[MessageType.CHILD_IDENTITY_UPDATE].child  # type: ignore[attr-defined]
    data = child.model_dump()
    data["expected_date_of_birth"] = dt.date(2010, 1, 1)
    with pytest.raises(ValidationError, match=r"exactly one of \[dateOfBirth, expectedDateOfBirth\]"):
        Child.model_validate(data)
    data["date_of_birth"] = data["expected_date_of_birth"] = None
    with pytest.raises(ValidationError, match="found: none"):
        Child.model_validate(data)


def test_unknown_members_are_refused_not_dropped() -> None:
    data = example_messages()[MessageType.CHILD_IDENTITY_UPDATE].model_dump(by_alias=True)
    data["child"]["caseNotes"] = "anything"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ChildIdentityUpdate.model_validate(data)


def test_the_header_must_name_the_message_type() -> None:
    data = example_messages()[MessageType.CHILD_IDENTITY_UPDATE].model_dump()
    data["header"]["message_type"] = MessageType.STEP_DOWN
    with pytest.raises(ValidationError, match="set messageType to 'ChildIdentityUpdate'"):
        ChildIdentityUpdate.model_validate(data)
