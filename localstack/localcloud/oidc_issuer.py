"""A local OpenID Connect issuer that plays the one the templates name (HelseID in production).

Its RSA key is generated at start (never stored); discovery (``/.well-known/openid-configuration``) and
the key set (``/jwks``) are served over HTTP, as an issuer publishes them, and :meth:`LocalIssuer.mint`
signs tokens (RS256) with the issuer URL of the templates as ``iss``, so the local HTTP API verifies them
exactly as API Gateway's JWT authorizer would verify HelseID's. A browser client registered with
:meth:`LocalIssuer.register_client` logs in by the authorization code flow with PKCE
(``localcloud.oidc_code_flow``: ``/authorize`` is a demo login page, ``/token`` the code exchange); the
discovery document, key set and token endpoint answer CORS for the registered clients' origins.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from localcloud.net import BackgroundHttpServer
from localcloud.oidc_code_flow import CodeFlow, FlowError, LoginClient, login_page, login_page_csp

DEFAULT_LIFETIME_SECONDS = 600  # HelseID access tokens live minutes, not hours


class LocalIssuer:
    def __init__(self, issuer: str, *, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self._clock = clock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex[:16]
        self._http = BackgroundHttpServer()
        self.url = ""
        self.code_flow = CodeFlow(clock)
        self.token_lifetime: float = DEFAULT_LIFETIME_SECONDS  # of the tokens the code flow issues

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    @property
    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": f"{self.url}/jwks",
                "authorization_endpoint": f"{self.url}/authorize", "token_endpoint": f"{self.url}/token",
                "end_session_endpoint": f"{self.url}/logout",
                "response_types_supported": ["code"], "grant_types_supported": ["authorization_code"],
                "code_challenge_methods_supported": ["S256"], "subject_types_supported": ["public"],
                "token_endpoint_auth_methods_supported": ["none"], "scopes_supported": ["openid", "profile"],
                "id_token_signing_alg_values_supported": ["RS256"]}

    def register_client(
        self, client_id: str, redirect_uri: str, users: Mapping[str, Mapping[str, Any]], audience: str
    ) -> None:
        """Let a browser client log in its demo ``users`` (name -> claims) for the API's ``audience``."""
        self.code_flow.register(LoginClient(client_id, redirect_uri, users, audience))

    def exchange(self, form: Mapping[str, str]) -> dict[str, Any]:
        """The token response for an authorization code (FlowError if the exchange is refused)."""
        client, user, nonce, scope = self.code_flow.redeem(form)
        claims = {**client.users[user], "name": f"Demo {user}"}
        id_claims = {**claims, **({"nonce": nonce} if nonce else {})}
        return {
            "access_token": self.mint(claims, audience=client.audience, lifetime=self.token_lifetime),
            "id_token": self.mint(id_claims, audience=client.client_id, lifetime=self.token_lifetime),
            "token_type": "Bearer", "expires_in": int(self.token_lifetime), "scope": scope,
        }

    def mint(
        self, claims: Mapping[str, Any], *, audience: str, lifetime: float = DEFAULT_LIFETIME_SECONDS,
        issued_at: float | None = None,
    ) -> str:
        """A signed access token for ``claims`` (``sub``, the HPR claim …), valid for ``lifetime`` seconds."""
        now = self._clock() if issued_at is None else issued_at
        payload = {"iss": self.issuer, "aud": audience, "iat": int(now), "nbf": int(now),
                   "exp": int(now + lifetime), "jti": uuid.uuid4().hex, **claims}
        return jwt.encode(payload, self._key, algorithm="RS256", headers={"kid": self.key_id})

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.url = self._http.serve(_issuer_handler(self), host, port, "oidc-issuer")
        return self.url

    def stop(self) -> None:
        self._http.stop()


def _issuer_handler(issuer: LocalIssuer) -> type[BaseHTTPRequestHandler]:
    flow = issuer.code_flow

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = dict(parse_qsl(parts.query))
            documents = {"/.well-known/openid-configuration": issuer.discovery, "/jwks": issuer.jwks}
            if parts.path in documents:
                self._json(200, documents[parts.path])
            elif parts.path == "/authorize":
                try:
                    client = flow.check_request(query)
                except FlowError as error:
                    self._send(400, "text/plain; charset=utf-8", f"{error.code}: {error}".encode())
                    return
                self._send(200, "text/html; charset=utf-8", login_page(query, client).encode(),
                           {"Content-Security-Policy": login_page_csp(client)})
            elif parts.path == "/logout":
                back = query.get("post_logout_redirect_uri", "")
                known = f"{urlsplit(back).scheme}://{urlsplit(back).netloc}" in flow.allowed_origins()
                self._send(302 if known else 400, "text/plain", b"", {"Location": back} if known else {})
            else:
                self._json(404, {"error": "not found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = dict(parse_qsl(self.rfile.read(length).decode()))
            path = urlsplit(self.path).path
            try:
                if path == "/authorize":  # the demo login page's choice
                    user = form.pop("demo_user", "")
                    self._send(302, "text/plain", b"", {"Location": flow.grant(form, user)})
                elif path == "/token":
                    self._json(200, issuer.exchange(form), {"Cache-Control": "no-store"})
                else:
                    self._json(404, {"error": "not found"})
            except FlowError as error:
                self._json(400, {"error": error.code, "error_description": str(error)})

        def do_OPTIONS(self) -> None:  # CORS preflight of the token endpoint
            self._send(204, "text/plain", b"", {"Access-Control-Allow-Methods": "GET, POST",
                                                "Access-Control-Allow-Headers": "Content-Type",
                                                "Access-Control-Max-Age": "600"})

        def _json(self, status: int, document: Any, headers: Mapping[str, str] | None = None) -> None:
            self._send(status, "application/json", json.dumps(document).encode(), headers)

        def _send(self, status: int, content_type: str, body: bytes, headers: Mapping[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            origin = self.headers.get("Origin")
            if origin and origin in flow.allowed_origins():  # a registered page may read the answer
                self.send_header("Access-Control-Allow-Origin", origin)
                self.send_header("Vary", "Origin")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the tests and the demo print what matters

    return Handler


@contextmanager
def running_issuer(issuer: str, *, clock: Callable[[], float] = time.time) -> Iterator[LocalIssuer]:
    local = LocalIssuer(issuer, clock=clock)
    local.start()
    try:
        yield local
    finally:
        local.stop()
