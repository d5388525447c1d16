"""moto 5.2.5's server (werkzeug 3's dev server) closes the connection after every response.

werkzeug always sends ``Connection: close`` and, after the response, drains whatever else the client
sent; so each boto3 call to the harness opened a new TCP connection and the server started a new thread
for it: about a third of a local Lambda invocation's time went into connection setup rather than the
calls. A request that came with a ``Content-Length`` (every AWS API call: moto reads the whole body to
parse it) keeps its HTTP/1.1 connection open instead, and the drain (which would swallow the next
request) is skipped for it, and the server sends without Nagle's delay; streamed (chunked) bodies, or a
client asking to close, still close.
"""

from __future__ import annotations

import selectors
import threading
from typing import Any

from moto.moto_server.werkzeug_app import MotoRequestHandler
from werkzeug import serving

_kept_alive = threading.local()


class _NothingToDrain:
    """What werkzeug's drain selects on for a connection kept alive: nothing (and no epoll instance)."""

    def register(self, *args: Any) -> None:
        pass

    def select(self, timeout: float | None = None) -> list[Any]:
        return []

    def close(self) -> None:
        pass


def _drain_selector() -> Any:
    if getattr(_kept_alive, "active", False):
        _kept_alive.active = False
        return _NothingToDrain()
    return selectors.DefaultSelector()


class _SelectorsForWerkzeug:
    DefaultSelector = staticmethod(_drain_selector)
    EVENT_READ = selectors.EVENT_READ


def apply() -> None:
    original = MotoRequestHandler.send_header

    def send_header(self: MotoRequestHandler, keyword: str, value: str) -> None:
        if keyword.lower() == "connection" and value.lower() == "close" and _may_keep_alive(self):
            _kept_alive.active = True
            return
        original(self, keyword, value)

    MotoRequestHandler.send_header = send_header  # type: ignore[method-assign,assignment]
    # Headers and body go out in separate writes: on a connection kept open, Nagle's algorithm would hold
    # the body back until the client's delayed ACK (40 ms) arrives.
    MotoRequestHandler.disable_nagle_algorithm = True
    serving.selectors = _SelectorsForWerkzeug  # type: ignore[attr-defined,assignment]


def _may_keep_alive(handler: MotoRequestHandler) -> bool:
    headers = handler.headers
    return bool(handler.request_version == "HTTP/1.1" and "Transfer-Encoding" not in headers
                and headers.get("Connection", "").lower() != "close"
                and headers.get("Content-Length") is not None)
