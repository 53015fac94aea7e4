"""The error body every route of every reference service answers with, and how each failure becomes one.

A refusal is always ``{"error": {"id", "where", "message", "hint"}}`` with the status of its
kind (`adapters.errors`): the rule or constraint that refused the request, where, what is
wrong and how to put it right. Malformed parameters and bodies are reported with the same
constraint IDs as malformed messages (``MODEL-MISSING``, ``MODEL-ENUM``...), and FastAPI's and
Starlette's own errors (404 for an unknown path, 405 with its ``Allow`` header) are rewritten
into the same body, so a client parses one shape whatever went wrong.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ics_interop.shape import format_path

from ..errors import ServiceError

__all__ = [
    "ErrorBody",
    "ErrorDetail",
    "error_json",
    "error_responses",
    "malformed_request",
    "service_error_response",
]


class ErrorDetail(BaseModel):
    """What was refused, where, and how to put it right."""

    id: str = Field(
        description="The rule or constraint that refused the request, for example CAF-002 or MODEL-MISSING."
    )
    where: str = Field(description="Where in the request: a JSON-style path in the body, a parameter or a header.")
    message: str = Field(description="What is wrong.")
    hint: str = Field(description="How to fix it.")


class ErrorBody(BaseModel):
    """The body of every 4xx answer of the reference services."""

    error: ErrorDetail


_DESCRIPTIONS = {
    400: "The request cannot be read at all (not UTF-8, not JSON where JSON is required).",
    401: "No access token, or one the service cannot trust (expired, for another audience, an unknown key).",
    403: "The authenticated caller may not do this: the wrong role, organisation or scope.",
    404: "No such record.",
    405: "The path does not take this method (the Allow header lists those it takes).",
    408: "The request's body arrived too slowly.",
    409: "The request contradicts what the system holds.",
    413: "The body is larger than the service accepts.",
    415: "The body is not in a form the route accepts.",
    422: "A value, or a rule of the standard, the request breaks; nothing was stored.",
}


def error_responses(*statuses: int, **described: str) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for the given error statuses, each with the error body; `described` overrides texts."""
    out: dict[int | str, dict[str, Any]] = {}
    for status in statuses:
        out[status] = {"model": ErrorBody, "description": described.get(f"s{status}", _DESCRIPTIONS[status])}
    return out


def error_json(
    status: int,
    rule_id: str,
    message: str,
    *,
    where: str = "",
    hint: str = "",
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """An error answer in the one body every route uses."""
    body = {"error": {"id": rule_id, "where": where, "message": message, "hint": hint}}
    return JSONResponse(body, status_code=status, headers=dict(headers or {}))


def service_error_response(error: ServiceError, headers: Mapping[str, str] | None = None) -> JSONResponse:
    """The answer to a refusal a system raised."""
    return JSONResponse(error.to_dict(), status_code=error.status, headers=dict(headers or {}))


_HINTS = {
    "missing": "add the missing member or parameter",
    "extra_forbidden": "remove it: the standard has no such member here",
    "enum": "use one of the codes listed in the OpenAPI document",
    "literal_error": "use one of the values listed in the OpenAPI document",
    "string_pattern_mismatch": "write the value in the form the pattern gives",
    "json_invalid": "send a well-formed JSON document, encoded as UTF-8",
}


def malformed_request(errors: Sequence[Mapping[str, Any]]) -> JSONResponse:
    """The answer to a request whose parameters or body do not fit the route (FastAPI's validation errors).

    Reported with the first problem's constraint ID (as message findings are: ``MODEL-MISSING``...), its
    place in the request (`body.` is left out; `query.`, `path.` and `header.` are kept) and the count of
    any others.
    """
    if not errors:
        return error_json(422, "MODEL-INVALID", "the request could not be read", hint="see the OpenAPI document")
    first = errors[0]
    kind = str(first.get("type", "value_error"))
    loc: list[str | int] = [p for p in first.get("loc", ()) if isinstance(p, str | int)]
    if loc and loc[0] == "body":
        loc = loc[1:]
    more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
    status = 400 if kind == "json_invalid" else 422
    return error_json(
        status,
        f"MODEL-{kind.upper().replace('_', '-')}",
        f"{first.get('msg', 'invalid value')}{more}",
        where=format_path(loc),
        hint=_HINTS.get(kind, "correct the value as the message says; the OpenAPI document gives each member's form"),
    )
