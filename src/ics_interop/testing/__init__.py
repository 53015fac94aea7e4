"""Test support for implementers: Hypothesis strategies for the standard's models and messages.

    from hypothesis import given
    from ics_interop.testing import messages

    @given(messages())
    def test_my_system_accepts_every_valid_message(message): ...

The strategies follow the models' shape, so they stay in step with the schemas.
"""

from __future__ import annotations

from .strategies import (
    contactpoint_ids,
    dates,
    emails,
    identifiers,
    la_codes,
    message_ids,
    messages,
    models,
    nhs_numbers,
    postcodes,
    schema_versions,
    sha256_digests,
    simple_values,
    telephones,
    timestamps,
    upns,
    xml_text,
)

__all__ = [
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
