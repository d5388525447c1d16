"""The nurses' page on the local cloud: build/web served over HTTP with the response headers the template's
CloudFront policy sets (``AWS::CloudFront::ResponseHeadersPolicy``), and ``/config.json`` generated for the
local API and issuer, as ``infra.publish_web`` writes it for a deployment.

The headers are read from the template, so the local page runs under the deployed Content-Security-Policy:
only the API and issuer addresses in it are swapped for the local ones (the local issuer plays the
template's, as it does for the API's JWT authorizer). Only GET and HEAD of files under the build directory.
"""

from __future__ import annotations

import json
import mimetypes
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from localcloud.net import BackgroundHttpServer

LOCAL_CLIENT_ID = "dho-centre-web"
LOCAL_SCOPE = "openid profile"
LOCAL_POLL_SECONDS = 3  # the demo's worklist fills while the simulator publishes (deployed: 15 s)
# The CSP names the region's API Gateway endpoints (infra.constructs.centre_web): locally, the local API.
_API_GATEWAY = re.compile(r"https://\*\.execute-api\.[a-z0-9-]+\.amazonaws\.com")
_NO_CACHE = {"/index.html", "/config.json"}  # what a new deployment changes under the same name


def template_headers(template: Mapping[str, Any]) -> dict[str, str]:
    """The response headers of the (one) CloudFront response headers policy in a template."""
    (policy,) = [r["Properties"]["ResponseHeadersPolicyConfig"] for r in template["Resources"].values()
                 if r["Type"] == "AWS::CloudFront::ResponseHeadersPolicy"]
    security = policy.get("SecurityHeadersConfig", {})
    headers: dict[str, str] = {}
    if "ContentSecurityPolicy" in security:
        headers["Content-Security-Policy"] = str(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    if "StrictTransportSecurity" in security:
        hsts = security["StrictTransportSecurity"]
        headers["Strict-Transport-Security"] = "; ".join(
            [f"max-age={hsts['AccessControlMaxAgeSec']}"] + (["includeSubDomains"] if hsts.get("IncludeSubdomains")
                                                             else []) + (["preload"] if hsts.get("Preload") else []))
    if "ContentTypeOptions" in security:
        headers["X-Content-Type-Options"] = "nosniff"
    if "FrameOptions" in security:
        headers["X-Frame-Options"] = str(security["FrameOptions"]["FrameOption"])
    if "ReferrerPolicy" in security:
        headers["Referrer-Policy"] = str(security["ReferrerPolicy"]["ReferrerPolicy"])
    for item in policy.get("CustomHeadersConfig", {}).get("Items", []):
        headers[str(item["Header"])] = str(item["Value"])
    return headers


def local_headers(headers: Mapping[str, str], *, api_url: str, issuer: str, local_issuer_url: str) -> dict[str, str]:
    """The template's headers with the local API's and issuer's addresses in the CSP."""
    result = dict(headers)
    if "Content-Security-Policy" in result:
        policy = _API_GATEWAY.sub(_origin(api_url), result["Content-Security-Policy"])
        result["Content-Security-Policy"] = policy.replace(issuer, _origin(local_issuer_url))
    return result


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@dataclass
class LocalWebHost:
    root: Path
    headers: dict[str, str]
    config: dict[str, Any]

    def __post_init__(self) -> None:
        self._http = BackgroundHttpServer()
        self.url = ""

    def answer(self, target: str) -> tuple[int, str, bytes]:
        path = urlsplit(target).path
        path = "/index.html" if path == "/" else path
        if path == "/config.json":
            return 200, "application/json", json.dumps(self.config).encode()
        file = (self.root / path.lstrip("/")).resolve()
        if not file.is_relative_to(self.root.resolve()) or not file.is_file():
            return 404, "text/plain; charset=utf-8", b"not found"
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return 200, f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith("javascript") else kind, \
            file.read_bytes()

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self._serve(head=False)

            def do_HEAD(self) -> None:
                self._serve(head=True)

            def _serve(self, *, head: bool) -> None:
                status, content_type, body = site.answer(self.path)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                cache = "no-cache" if urlsplit(self.path).path in (*_NO_CACHE, "/") else "max-age=300"
                self.send_header("Cache-Control", cache)
                for name, value in site.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                if not head:
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.url = self._http.serve(Handler, host, port, "web-host")
        return self.url

    def stop(self) -> None:
        self._http.stop()


@contextmanager
def running_web_host(root: Path, headers: dict[str, str], config: dict[str, Any]) -> Iterator[LocalWebHost]:
    host = LocalWebHost(root, headers, config)
    host.start()
    try:
        yield host
    finally:
        host.stop()
