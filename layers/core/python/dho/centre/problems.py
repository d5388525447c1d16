"""Problem details (RFC 9457) for the centre API's refusals: what was wrong, never a patient's data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

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
