"""The OpenAPI document of a service, made from the same source as the standard's JSON Schemas.

FastAPI describes a route's models from pydantic's own JSON Schema, which has no choice groups
(a `Child` with both a date of birth and an expected one looks valid) and types `POST /messages`
as a bare object. Here the document FastAPI makes is corrected:

- every component that is a model of the standard (`IcsModel`: `Child`, `ConsentRecord`, a
  route's request body) is replaced by the definition the published JSON Schemas use
  (`schemagen.json_schema_components`): choice groups as `oneOf`, code lists with their
  meanings, the patterns and bounds the library enforces;
- `POST /messages` takes, as JSON, `oneOf` the message types the service receives, each a
  component of its own, and answers with the `Acknowledgement`;
- every authenticated operation states its security (`systemToken` with its scopes, or
  `userToken`) and its 401, 403 and 413 answers with the error body.

So a client generated from the document builds only bodies the service can accept, and a
tester's generator (schemathesis) makes the same requests a vendor's would.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, get_args

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from ics_interop.messages import MESSAGE_CLASSES, MessageType
from ics_interop.model import IcsModel
from ics_interop.schemagen.jsonschema import json_schema_components
from ics_interop.shape import walk_models

from .guard import PUBLIC_PATHS
from .responses import ErrorBody

__all__ = ["document_binding"]

_PREFIX = "#/components/schemas/"


def _models(app: FastAPI) -> dict[str, type[IcsModel]]:
    """The models of the standard the app's routes take and answer with, and those they hold, by name.

    Read from the app's own routes (not from every model loaded in the process, which depends on
    what else was imported, and where two rooms may each have a model of the same name).
    """
    roots: list[type[IcsModel]] = []
    for route in app.routes:
        if not isinstance(route, APIRoute):
            continue
        annotations = [route.response_model] + [
            p.field_info.annotation for p in route.dependant.body_params if p.field_info is not None
        ]
        for annotation in annotations:
            for candidate in (annotation, *get_args(annotation)):
                if isinstance(candidate, type) and issubclass(candidate, IcsModel) and _describable(candidate):
                    roots.append(candidate)
    return {model.__name__: model for model in walk_models(roots)}


def _describable(model: type[IcsModel]) -> bool:
    """Whether the standard's schema generator can describe a model (a route's own view may use other types)."""
    try:
        json_schema_components([model], prefix=_PREFIX)
    except TypeError:
        return False
    return True


def document_binding(app: FastAPI, message_types: Sequence[MessageType]) -> None:
    """Make the app's OpenAPI document the binding's: the standard's definitions, security, and refusals."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        models = _models(app)
        messages = [MESSAGE_CLASSES[t] for t in message_types]
        acknowledgement = MESSAGE_CLASSES[MessageType.ACKNOWLEDGEMENT]
        roots = [models[name] for name in schemas if name in models] + messages + [acknowledgement]
        ours = json_schema_components(roots, prefix=_PREFIX)
        schemas.update(ours)
        if "ErrorBody" not in schemas:
            error = ErrorBody.model_json_schema(ref_template=_PREFIX + "{model}")
            schemas.update(error.pop("$defs", {}))
            schemas["ErrorBody"] = error
        _message_bodies(document, [m.__name__ for m in messages])
        _security_and_refusals(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]


def _message_bodies(document: dict[str, Any], names: list[str]) -> None:
    operation = document.get("paths", {}).get("/messages", {}).get("post")
    if operation is None or not names:
        return
    json_body = operation["requestBody"]["content"]["application/json"]
    one = [{"$ref": _PREFIX + name} for name in names]
    batch = {"type": "array", "items": {"oneOf": one}, "description": "A batch of messages (with ?batch=true)"}
    json_body["schema"] = {"oneOf": [*one, batch]}
    acknowledgement = {"$ref": _PREFIX + "Acknowledgement"}
    for status in ("200", "403", "422"):
        answer = operation["responses"].get(status)
        if answer is not None:
            # A batch (?batch=true) is answered 200 with one acknowledgement per message, in order.
            schema: dict[str, Any] = (
                {"oneOf": [acknowledgement, {"type": "array", "items": acknowledgement}]}
                if status == "200"
                else acknowledgement
            )
            xml = "An Acknowledgement element" + (" (for a batch, a MessageBatch of them)" if status == "200" else "")
            answer["content"] = {
                "application/json": {"schema": schema},
                "application/xml": {"schema": {"type": "string", "description": xml}},
            }


def _security_and_refusals(document: dict[str, Any]) -> None:
    error = {"application/json": {"schema": {"$ref": _PREFIX + "ErrorBody"}}}
    for path, operations in document.get("paths", {}).items():
        if path in PUBLIC_PATHS:
            continue
        for operation in operations.values():
            # A route that takes either kind of caller (and checks which itself) declares both.
            operation.setdefault("security", [{"userToken": []}, {"systemToken": []}])
            responses = operation.setdefault("responses", {})
            responses.setdefault(
                "401", {"description": "No access token, or one this service cannot trust.", "content": error}
            )
            responses.setdefault(
                "403",
                {
                    "description": "The caller may not do this (the wrong kind of token, role or scope).",
                    "content": error,
                },
            )
            responses.setdefault("413", {"description": "The body is larger than the route accepts.", "content": error})
