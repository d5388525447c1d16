"""SNS can be taken down: moto 5.2.5's SNS never fails a ``Publish`` to an existing topic, so the path a
real SNS incident takes (the alert is written, its SMS is not sent) cannot be seen locally.

While :func:`outage` is active, every ``Publish`` (and ``PublishBatch``) answers ``InternalError``
(HTTP 500) as SNS does during an incident; botocore retries it, then the caller sees it fail. Only the
process that runs the moto server can switch it (``running_moto_server`` runs it in the test's process).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from moto.sns.exceptions import InternalError
from moto.sns.models import SNSBackend

_down = threading.Event()
_applied: list[bool] = []


def _failing_while_down(publish: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(publish)
    def patched(self: SNSBackend, *args: Any, **kwargs: Any) -> Any:
        if _down.is_set():
            raise InternalError("SNS is unavailable (local outage)")
        return publish(self, *args, **kwargs)

    return patched


def apply() -> None:
    if _applied:
        return
    SNSBackend.publish = _failing_while_down(SNSBackend.publish)  # type: ignore[method-assign]
    SNSBackend.publish_batch = _failing_while_down(SNSBackend.publish_batch)  # type: ignore[method-assign]
    _applied.append(True)


@contextmanager
def outage() -> Iterator[None]:
    """Every publish fails until the block ends."""
    apply()
    _down.set()
    try:
        yield
    finally:
        _down.clear()
