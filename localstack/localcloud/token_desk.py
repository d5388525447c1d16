"""The local cloud's stand-in for logging in: while ``make demo`` runs, a fresh access token for any demo
user of its centre APIs, so a person can call them from a shell (``python -m localcloud.token``).

In production HelseID's login hands a person their token; locally each centre's issuer
(``localcloud.oidc_issuer``) signs one for a user of the centre's staff directory (``demo_users``). The desk
listens on loopback only and lives as long as the local cloud. Its address and the centres' URLs are
written to a small state file (``STATE_FILE``) that the CLI reads; the file goes when the desk stops.

    GET /token/<centre_id>/<user>  ->  {"access_token": ..., "token_type": "Bearer", "expires_in": 600,
                                        "expires_at": "2026-12-05T12:40:00Z"}
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import jwt

from localcloud.centre_api import LocalCentreApi
from localcloud.net import BackgroundHttpServer

# Where `make demo` keeps its state (localcloud.demo): the CLI finds the running demo here.
STATE_FILE = Path(__file__).resolve().parents[2] / ".local" / "demo" / "centre-apis.json"


@dataclass(frozen=True)
class IssuedToken:
    access_token: str
    expires_at: datetime

    @classmethod
    def of(cls, token: str) -> IssuedToken:
        claims = jwt.decode(token, options={"verify_signature": False})  # our own token: only its expiry
        return cls(token, datetime.fromtimestamp(int(claims["exp"]), UTC))

    def as_json(self, now: datetime) -> dict[str, Any]:
        return {"access_token": self.access_token, "token_type": "Bearer",
                "expires_in": max(0, int((self.expires_at - now).total_seconds())),
                "expires_at": self.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def issue(apis: Mapping[str, LocalCentreApi], centre_id: str, user: str) -> IssuedToken:
    """A fresh token of ``user`` for the centre's API; KeyError names what is unknown."""
    if centre_id not in apis:
        raise KeyError(f"no centre {centre_id!r} (centres: {', '.join(sorted(apis))})")
    api = apis[centre_id]
    if user not in api.users:
        raise KeyError(f"no user {user!r} at {centre_id} (users: {', '.join(api.users)})")
    return IssuedToken.of(api.token(user))


def state(apis: Mapping[str, LocalCentreApi], desk_url: str) -> dict[str, Any]:
    return {"token_desk": desk_url,
            "centres": {c: {"url": api.url, "tenants": list(api.tenants), "users": list(api.users)}
                        for c, api in sorted(apis.items())}}


class TokenDesk:
    def __init__(self, apis: Mapping[str, LocalCentreApi]) -> None:
        self.apis = dict(apis)  # centre id -> its API
        self._http = BackgroundHttpServer()
        self.url = ""

    def answer(self, path: str) -> tuple[int, dict[str, Any]]:
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[0] != "token":
            return 404, {"error": "GET /token/<centre>/<user>"}
        try:
            token = issue(self.apis, parts[1], parts[2])
        except KeyError as unknown:
            return 404, {"error": str(unknown.args[0])}
        return 200, token.as_json(datetime.now(UTC))

    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        desk = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, document = desk.answer(self.path)
                body = json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.url = self._http.serve(Handler, host, port, "token-desk")
        return self.url

    def stop(self) -> None:
        self._http.stop()


@contextmanager
def running_token_desk(apis: Mapping[str, LocalCentreApi], state_file: Path = STATE_FILE) -> Iterator[TokenDesk]:
    """The desk for these centre APIs (by centre id), its state file written for the CLI while it runs."""
    desk = TokenDesk(apis)
    desk.start()
    state_file.parent.mkdir(parents=True, exist_ok=True)
    state_file.write_text(json.dumps(state(apis, desk.url), indent=1))
    try:
        yield desk
    finally:
        state_file.unlink(missing_ok=True)
        desk.stop()
