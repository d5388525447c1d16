"""A local OpenID Connect issuer that plays the one the templates name (HelseID in production).

Its RSA key is generated at start (never stored); discovery (``/.well-known/openid-configuration``) and
the key set (``/jwks``) are served over HTTP, as an issuer publishes them, and :meth:`LocalIssuer.mint`
signs tokens (RS256) with the issuer URL of the templates as ``iss``, so the local HTTP API verifies them
exactly as API Gateway's JWT authorizer would verify HelseID's.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

from localcloud.net import BackgroundHttpServer

DEFAULT_LIFETIME_SECONDS = 600  # HelseID access tokens live minutes, not hours


class LocalIssuer:
    def __init__(self, issuer: str, *, clock: Callable[[], float] = time.time) -> None:
        self.issuer = issuer
        self._clock = clock
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.key_id = uuid.uuid4().hex[:16]
        self._http = BackgroundHttpServer()
        self.url = ""

    @property
    def jwks(self) -> dict[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self._key.public_key()))
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    @property
    def discovery(self) -> dict[str, Any]:
        return {"issuer": self.issuer, "jwks_uri": f"{self.url}/jwks",
                "id_token_signing_alg_values_supported": ["RS256"]}

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
        issuer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                documents = {"/.well-known/openid-configuration": issuer.discovery, "/jwks": issuer.jwks}
                document = documents.get(self.path)
                body = json.dumps(document if document is not None else {"error": "not found"}).encode()
                self.send_response(200 if document is not None else 404)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet: the tests and the demo print what matters

        self.url = self._http.serve(Handler, host, port, "oidc-issuer")
        return self.url

    def stop(self) -> None:
        self._http.stop()


@contextmanager
def running_issuer(issuer: str, *, clock: Callable[[], float] = time.time) -> Iterator[LocalIssuer]:
    local = LocalIssuer(issuer, clock=clock)
    local.start()
    try:
        yield local
    finally:
        local.stop()
