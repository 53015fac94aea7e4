"""The HTTP binding's OpenAPI documents are published with the schemas, and kept current."""

from __future__ import annotations

import json

from ics_interop.conformance.openapi import openapi_documents, write_openapi

from ics_interop.schemas_path import schemas_root


def test_the_published_openapi_documents_are_current() -> None:
    folder = schemas_root() / "v1" / "openapi"
    assert write_openapi(folder, check=True) == [], "run: ics-interop conformance openapi --out schemas/v1/openapi"


def test_every_service_publishes_the_message_endpoint() -> None:
    documents = openapi_documents()
    assert set(documents) == {"contactpoint", "ecaf", "ics"}
    for name, document in documents.items():
        post = document["paths"]["/messages"]["post"]
        assert set(post["requestBody"]["content"]) == {"application/xml", "application/json"}, name
        assert {"200", "422", "415"} <= set(post["responses"]), name
        json.dumps(document)  # serialisable as published
