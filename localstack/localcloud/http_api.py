"""A local API Gateway HTTP API: a real HTTP server that routes as the synthesized template says,
verifies JWTs as its JWT authorizer would, and invokes the Lambda integration with a payload-2.0 event.

Routes and authorizers are read from the template (``AWS::ApiGatewayV2::Route`` / ``Authorizer``), so
the local API has exactly the deployed API's routes. A route with a JWT authorizer needs
``Authorization: Bearer <token>``: signature (RS256, the key the issuer's discovery document points
to), issuer, audience, expiry and not-before are checked; any failure is ``401 {"message":
"Unauthorized"}`` and the function is never called, as with API Gateway. The verified claims reach the
function in ``requestContext.authorizer.jwt.claims``. An unknown route is ``404 {"message":"Not Found"}``.
CORS as the API's ``CorsConfiguration`` says (its origins are the page's, given locally): the gateway
answers a preflight itself, without the authorizer, and adds the headers to every answer to an allowed origin.
"""

from __future__ import annotations

import base64
import json
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import jwt

from localcloud.http_api_event import http_api_event, match_route
from localcloud.net import BackgroundHttpServer

Invoke = Callable[[dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class JwtAuthorizer:
    issuer: str
    audiences: tuple[str, ...]


@dataclass(frozen=True)
class HttpRoute:
    method: str
    path: str
    authorizer: JwtAuthorizer | None

    @property
    def route_key(self) -> str:
        return f"{self.method} {self.path}"


@dataclass(frozen=True)
class CorsRule:
    allow_headers: tuple[str, ...]
    allow_methods: tuple[str, ...]
    expose_headers: tuple[str, ...]
    max_age: int | None


def http_api_cors(template: Mapping[str, Any]) -> CorsRule | None:
    """The HTTP API's CORS configuration but its origins (tokens naming the deployed page), if it has one."""
    (api,) = [r for r in template["Resources"].values() if r["Type"] == "AWS::ApiGatewayV2::Api"]
    cors = api["Properties"].get("CorsConfiguration")
    if cors is None:
        return None
    return CorsRule(tuple(cors.get("AllowHeaders", ())), tuple(cors.get("AllowMethods", ())),
                    tuple(cors.get("ExposeHeaders", ())), cors.get("MaxAge"))


def http_api_routes(template: Mapping[str, Any]) -> list[HttpRoute]:
    """The routes of the (one) HTTP API in a synthesized template, with their JWT authorizers."""
    resources: Mapping[str, Any] = template["Resources"]
    authorizers = {
        logical_id: JwtAuthorizer(
            issuer=str(r["Properties"]["JwtConfiguration"]["Issuer"]),
            audiences=tuple(str(a) for a in r["Properties"]["JwtConfiguration"]["Audience"]),
        )
        for logical_id, r in resources.items()
        if r["Type"] == "AWS::ApiGatewayV2::Authorizer" and r["Properties"].get("AuthorizerType") == "JWT"
    }
    routes = []
    for resource in resources.values():
        if resource["Type"] != "AWS::ApiGatewayV2::Route":
            continue
        properties = resource["Properties"]
        method, path = str(properties["RouteKey"]).split(" ", 1)
        authorizer = None
        if properties.get("AuthorizationType", "NONE") == "JWT":
            authorizer = authorizers[properties["AuthorizerId"]["Ref"]]
        routes.append(HttpRoute(method, path, authorizer))
    # API Gateway prefers the most specific route: fewer path parameters first.
    return sorted(routes, key=lambda r: (r.path.count("{"), r.path))


class JwtVerifier:
    """Verifies a bearer token for an authorizer. ``discovery_url``: where the issuer's OpenID
    configuration is (``https://<issuer>/.well-known/openid-configuration`` for a real issuer; the local
    issuer's own URL when it plays the templates' issuer)."""

    def __init__(self, discovery_url: Callable[[str], str]) -> None:
        self._discovery_url = discovery_url
        self._clients: dict[str, jwt.PyJWKClient] = {}

    def claims(self, authorizer: JwtAuthorizer, authorization: str | None) -> dict[str, Any] | None:
        if not authorization:
            return None
        token = authorization.removeprefix("Bearer ").strip()
        try:
            key = self._client(authorizer.issuer).get_signing_key_from_jwt(token)
            claims: dict[str, Any] = jwt.decode(
                token, key.key, algorithms=["RS256"], audience=list(authorizer.audiences), issuer=authorizer.issuer,
                options={"require": ["exp", "iss", "aud"]},
            )
        except (jwt.PyJWTError, OSError, ValueError, KeyError):
            return None
        return claims

    def _client(self, issuer: str) -> jwt.PyJWKClient:
        if issuer not in self._clients:
            with urllib.request.urlopen(self._discovery_url(issuer), timeout=5) as response:
                jwks_uri = json.loads(response.read())["jwks_uri"]
            self._clients[issuer] = jwt.PyJWKClient(jwks_uri, cache_keys=True)
        return self._clients[issuer]


class LocalHttpApi:
    def __init__(self, routes: list[HttpRoute], invoke: Invoke, verifier: JwtVerifier, cors: CorsRule | None = None
                 ) -> None:
        self.routes = routes
        self._invoke = invoke
        self._verifier = verifier
        self.cors = cors
        self.cors_origins: set[str] = set()  # the page's origins (the template names the deployed page's)
        self._http = BackgroundHttpServer()
        self.url = ""

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes | None) -> tuple[
            int, dict[str, str], bytes]:
        lowered = {name.lower(): value for name, value in headers.items()}
        origin = lowered.get("origin")
        allowed = self.cors is not None and origin is not None and origin in self.cors_origins
        if self.cors is not None and method == "OPTIONS" and "access-control-request-method" in lowered:
            return 204, self._preflight(origin) if allowed and origin else {}, b""
        status, answer_headers, payload = self._route(method, target, lowered, body)
        if allowed and self.cors is not None and origin:
            answer_headers = {**answer_headers, "Access-Control-Allow-Origin": origin, "Vary": "Origin"}
            if self.cors.expose_headers:
                answer_headers["Access-Control-Expose-Headers"] = ",".join(self.cors.expose_headers)
        return status, answer_headers, payload

    def _preflight(self, origin: str) -> dict[str, str]:
        assert self.cors is not None
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin",
                   "Access-Control-Allow-Methods": ",".join(self.cors.allow_methods),
                   "Access-Control-Allow-Headers": ",".join(self.cors.allow_headers)}
        if self.cors.max_age is not None:
            headers["Access-Control-Max-Age"] = str(self.cors.max_age)
        return headers

    def _route(self, method: str, target: str, lowered: Mapping[str, str], body: bytes | None) -> tuple[
            int, dict[str, str], bytes]:
        parts = urlsplit(target)
        for route in self.routes:
            parameters = match_route(route.path, parts.path)
            if route.method != method or parameters is None:
                continue
            claims = None
            if route.authorizer is not None:
                claims = self._verifier.claims(route.authorizer, lowered.get("authorization"))
                if claims is None:
                    return 401, {"Content-Type": "application/json", "WWW-Authenticate": "Bearer"}, \
                        b'{"message":"Unauthorized"}'
            event = http_api_event(method, parts.path, route_key=route.route_key, path_parameters=parameters,
                                   query=parts.query, headers=lowered, body=body or None, claims=claims)
            return _response(self._invoke(event))
        return 404, {"Content-Type": "application/json"}, b'{"message":"Not Found"}'

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        api = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                status, headers, payload = api.handle(self.command, self.path, dict(self.headers.items()), body)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _serve

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.url = self._http.serve(Handler, host, port, "http-api")
        return self.url

    def stop(self) -> None:
        self._http.stop()


def _response(result: Mapping[str, Any]) -> tuple[int, dict[str, str], bytes]:
    """The integration's payload-2.0 answer as HTTP (a bare dict without statusCode is a 200 JSON body)."""
    if "statusCode" not in result:
        return 200, {"Content-Type": "application/json"}, json.dumps(result).encode()
    text = result.get("body") or ""
    payload = base64.b64decode(text) if result.get("isBase64Encoded") else str(text).encode()
    headers = {str(k): str(v) for k, v in (result.get("headers") or {}).items()}
    return int(result["statusCode"]), headers, payload


@contextmanager
def running_http_api(
    routes: list[HttpRoute], invoke: Invoke, verifier: JwtVerifier, cors: CorsRule | None = None
) -> Iterator[LocalHttpApi]:
    api = LocalHttpApi(routes, invoke, verifier, cors)
    api.start()
    try:
        yield api
    finally:
        api.stop()
