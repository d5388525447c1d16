"""The event API Gateway's HTTP API (payload format 2.0) gives a Lambda integration, built from a
request: the route key that matched, the path parameters, and the verified JWT's claims in
``requestContext.authorizer.jwt.claims`` (every claim value as a string, as API Gateway passes them)."""

from __future__ import annotations

import base64
import re
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

_PARAMETER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")


def match_route(route_path: str, path: str) -> dict[str, str] | None:
    """The path parameters if ``path`` matches ``route_path`` (``/patients/{tenant}/{patient_id}``)."""
    pattern = "".join(
        f"(?P<{part[1:-1]}>[^/]+)" if _PARAMETER.fullmatch(part) else re.escape(part)
        for part in re.split(r"(\{[A-Za-z_][A-Za-z0-9_]*\})", route_path)
    )
    match = re.fullmatch(pattern, path)
    return None if match is None else match.groupdict()


def _claim_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return "[" + " ".join(_claim_text(v) for v in value) + "]"
    return str(value)


def http_api_event(
    method: str,
    path: str,
    *,
    route_key: str,
    path_parameters: Mapping[str, str] | None = None,
    query: str = "",
    headers: Mapping[str, str] | None = None,
    body: bytes | str | None = None,
    claims: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    lowered = {name.lower(): value for name, value in (headers or {}).items()}
    raw_body = body.encode() if isinstance(body, str) else body
    content_type = lowered.get("content-type", "application/json")
    is_text = raw_body is None or content_type.startswith(("application/json", "text/"))
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": path,
        "rawQueryString": query,
        "headers": lowered,
        "requestContext": {
            "accountId": "000000000000",
            "apiId": "local",
            "domainName": "localhost",
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1",
                     "userAgent": lowered.get("user-agent", "")},
            "requestId": uuid.uuid4().hex,
            "routeKey": route_key,
            "stage": "$default",
            "time": time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime()),
            "timeEpoch": int(time.time() * 1000),
        },
        "isBase64Encoded": not is_text,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query, keep_blank_values=True))
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if raw_body is not None:
        event["body"] = raw_body.decode() if is_text else base64.b64encode(raw_body).decode()
    if claims is not None:
        event["requestContext"]["authorizer"] = {
            "jwt": {"claims": {name: _claim_text(value) for name, value in claims.items()}, "scopes": None}
        }
    return event


def query_string(parameters: Mapping[str, str]) -> str:
    return urlencode(dict(parameters))
