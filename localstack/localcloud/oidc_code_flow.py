"""The authorization code flow with PKCE for the local issuer (``localcloud.oidc_issuer``), as a browser
client uses it with HelseID: ``/authorize`` shows a demo login page (pick a demo user; local only, never
deployed), redirects back with a one-time code, and ``/token`` exchanges the code and the PKCE verifier
for an access token (for the API's audience) and an ID token (for the client).

Only registered clients and their exact redirect URIs are served; codes expire after a minute and work
once; the challenge must be S256 (RFC 7636), as HelseID requires.
"""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

CODE_LIFETIME_SECONDS = 60.0


class FlowError(Exception):
    """An OAuth error (RFC 6749 section 5.2): ``code`` is the error code the client gets."""

    def __init__(self, code: str, description: str) -> None:
        super().__init__(description)
        self.code = code


@dataclass(frozen=True)
class LoginClient:
    """A browser client allowed to log in here: its redirect URI, who can log in and the API's audience."""

    client_id: str
    redirect_uri: str
    users: Mapping[str, Mapping[str, Any]]  # demo user name -> the claims of their tokens
    audience: str

    @property
    def origin(self) -> str:
        parts = urlsplit(self.redirect_uri)
        return f"{parts.scheme}://{parts.netloc}"


@dataclass(frozen=True)
class _Grant:
    client: LoginClient
    user: str
    code_challenge: str
    nonce: str | None
    scope: str
    expires_at: float


@dataclass
class CodeFlow:
    clock: Callable[[], float] = time.time
    clients: dict[str, LoginClient] = field(default_factory=dict)
    _grants: dict[str, _Grant] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def register(self, client: LoginClient) -> None:
        self.clients[client.client_id] = client

    def allowed_origins(self) -> set[str]:
        return {client.origin for client in self.clients.values()}

    def check_request(self, query: Mapping[str, str]) -> LoginClient:
        """The client of an authorization request, or FlowError (shown on the page, never redirected:
        an unregistered redirect URI must not receive anything)."""
        client = self.clients.get(query.get("client_id", ""))
        if client is None or query.get("redirect_uri") != client.redirect_uri:
            raise FlowError("invalid_request", "unknown client or redirect URI")
        if query.get("response_type") != "code":
            raise FlowError("unsupported_response_type", "only the authorization code flow")
        if query.get("code_challenge_method") != "S256" or not query.get("code_challenge"):
            raise FlowError("invalid_request", "PKCE with S256 is required")
        return client

    def grant(self, query: Mapping[str, str], user: str) -> str:
        """The redirect to the client with a fresh code for ``user``."""
        client = self.check_request(query)
        if user not in client.users:
            raise FlowError("access_denied", "no such demo user")
        code = secrets.token_urlsafe(32)
        with self._lock:
            self._grants[code] = _Grant(client, user, query["code_challenge"], query.get("nonce"),
                                        query.get("scope", "openid"), self.clock() + CODE_LIFETIME_SECONDS)
        answer = {"code": code, **({"state": query["state"]} if "state" in query else {})}
        return f"{client.redirect_uri}?{urlencode(answer)}"

    def redeem(self, form: Mapping[str, str]) -> tuple[LoginClient, str, str | None, str]:
        """The client, user, nonce and scope of a code exchange (the code is spent either way)."""
        if form.get("grant_type") != "authorization_code":
            raise FlowError("unsupported_grant_type", "only authorization_code")
        with self._lock:
            grant = self._grants.pop(form.get("code", ""), None)
        if grant is None or grant.expires_at < self.clock():
            raise FlowError("invalid_grant", "unknown, used or expired code")
        if form.get("client_id") != grant.client.client_id or form.get("redirect_uri") != grant.client.redirect_uri:
            raise FlowError("invalid_grant", "the code was issued to another client or redirect URI")
        if not _verifier_matches(form.get("code_verifier", ""), grant.code_challenge):
            raise FlowError("invalid_grant", "the PKCE verifier does not match the challenge")
        return grant.client, grant.user, grant.nonce, grant.scope


def _verifier_matches(verifier: str, challenge: str) -> bool:
    digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
    expected = base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
    return 43 <= len(verifier) <= 128 and secrets.compare_digest(expected, challenge)


def login_page_csp(client: LoginClient) -> str:
    """No script, no style, no frames; the form posts here and is redirected to the client (form-action
    covers the redirect too)."""
    return f"default-src 'none'; form-action 'self' {client.origin}; frame-ancestors 'none'; base-uri 'none'"


def login_page(query: Mapping[str, str], client: LoginClient) -> str:
    """Every demo user is one submit button of a form that carries the authorization request on."""
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in sorted(query.items()))
    buttons = "".join(f'<li><button type="submit" name="demo_user" value="{html.escape(name)}">'
                      f"{html.escape(name)}</button></li>" for name in sorted(client.users))
    return (
        '<!doctype html><html lang="nb"><head><meta charset="utf-8"><title>Lokal demo-innlogging</title></head>'
        "<body><main><h1>Lokal demo-innlogging</h1>"
        "<p>Dette er den lokale skyens utsteder, ikke HelseID. Velg en demobruker.</p>"
        f'<form method="post" action="/authorize">{hidden}<ul>{buttons}</ul></form></main></body></html>'
    )
