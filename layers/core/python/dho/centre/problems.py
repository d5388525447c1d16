"""Problem details (RFC 9457) for the centre API's refusals: what was wrong, never a patient's data; and
their declaration in the OpenAPI document (:func:`documented`), so a client knows every refusal a route
can give and its shape."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools.event_handler.openapi.types import OpenAPIResponse
from pydantic import BaseModel, ConfigDict, Field

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    409: "Conflict",
    412: "Precondition failed",
    413: "Content too large",
    422: "Unprocessable content",
    428: "Precondition required",
    500: "Internal error",
    503: "Service unavailable",
}


def problem_body(status: int, detail: str, **extensions: Any) -> str:
    body: dict[str, Any] = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status,
                            "detail": detail, **extensions}
    return json.dumps(body, default=str, separators=(",", ":"))


def validation_problems(errors: Any) -> list[dict[str, str]]:
    """One entry per invalid field (its location and the rule), never the value that was sent."""
    found: list[dict[str, str]] = []
    for error in errors if isinstance(errors, list | tuple) else []:
        if isinstance(error, Mapping):
            location = "/".join(str(part) for part in error.get("loc", ()))
            found.append({"location": location or "request", "problem": str(error.get("msg", "invalid"))})
    return found


class FieldProblem(BaseModel):
    location: str = Field(description="where in the request, e.g. query/since")
    problem: str = Field(description="the rule it breaks (never the value sent)")


class Problem(BaseModel):
    """An ``application/problem+json`` body (RFC 9457) as the centre API answers it."""

    model_config = ConfigDict(title="Problem")

    type: str = Field(default="about:blank")
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = Field(default=None, description="422: one entry per invalid field")
    current_version: int | None = Field(default=None, description="409: the alert's version now (send it back)")
    current_state: str | None = Field(default=None, description="409: the alert's state now")


class GatewayMessage(BaseModel):
    """API Gateway's own answer when its JWT authorizer refuses a token (the function never runs)."""

    message: str = Field(examples=["Unauthorized"])


# Why a route answers each status (the same reason on every route that can give it).
WHY = {
    400: "The request is well-formed JSON/HTTP but contradicts itself (e.g. an If-Match that is no version, "
         "a period that ends before it starts).",
    401: "No valid token: missing, expired, wrongly signed or for another audience. The gateway's JWT "
         "authorizer answers (application/json); the function answers likewise if no verified claims reach it.",
    403: "The caller has no role that allows this here (tenant, role, HPR number).",
    404: "No such patient or alert in this tenant, or not one the caller may see (not told apart).",
    409: "The alert has moved on since the version sent in If-Match: reload it and decide again.",
    413: "More data than one response may carry: ask for a shorter period.",
    422: "A parameter or the body breaks the route's rules (pydantic validation); nothing changed.",
    428: "If-Match is required: send the alert's version from the worklist.",
    500: "The export failed after reading: nothing is returned.",
    503: "The access could not be recorded in the access log, or the store is busy: nothing is returned "
         "and nothing changed; try again (Retry-After).",
}


# The refusals a route can give besides its own (problem details; 401 also as the gateway's answer).
READ_REFUSALS = (401, 403, 422, 503)
ACT_REFUSALS = (400, 401, 403, 404, 409, 422, 428, 503)
ALERT_ACTED: OpenAPIResponse = {"description": "The alert after the action; ETag: its new version",
                                "headers": {"ETag": {"description": 'the alert\'s version, e.g. "2"',
                                                     "schema": {"type": "string"}}}}


def documented(ok: str, *statuses: int, ok_response: OpenAPIResponse | None = None) -> dict[int, OpenAPIResponse]:
    """The route's OpenAPI responses: 200 (``ok``, the route's return type unless ``ok_response`` says
    otherwise) and a problem+json response for each of ``statuses``."""
    responses: dict[int, OpenAPIResponse] = {200: ok_response or {"description": ok}}
    for status in statuses:
        content: dict[str, Any] = {PROBLEM_JSON: {"model": Problem}}
        if status == 401:
            content = {"application/json": {"model": GatewayMessage}, **content}
        responses[status] = {"description": f"{TITLES[status]}. {WHY[status]}", "content": content}
    return responses
