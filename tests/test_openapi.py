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


def test_every_operation_declares_its_security_and_its_refusals() -> None:
    for name, document in openapi_documents().items():
        schemes = document["components"]["securitySchemes"]
        assert schemes["systemToken"]["flows"]["clientCredentials"]["scopes"], name
        assert schemes["userToken"]["scheme"] == "bearer", name
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                where = f"{name} {method.upper()} {path}"
                if path == "/health":
                    assert "security" not in operation, where
                    continue
                assert operation["security"], where
                # /messages answers its own 403 with an acknowledgement naming the SEC rule (its description says so).
                for status in ("401",) if path == "/messages" else ("401", "403"):
                    body = operation["responses"][status]["content"]["application/json"]["schema"]
                    assert body == {"$ref": "#/components/schemas/ErrorBody"}, where
        messages = document["paths"]["/messages"]["post"]
        [requirement] = messages["security"]
        assert requirement["systemToken"], f"{name}: /messages names the message scopes it takes"
