"""SQS: ``SendMessage`` counts every message of the queue in moto 5.2.5 before it adds one.

``SQSBackend.send_message`` reads ``queue.attributes`` to learn whether content-based deduplication is on,
and ``attributes`` counts the visible, in-flight and delayed messages one by one (three passes over the
queue). With thousands of readings queued behind a slow consumer every send (and every entry of a
``SendMessageBatch``) cost milliseconds more the longer the queue got. While a message is being sent
those counts are not read, so they are not computed; ``GetQueueAttributes`` still counts exactly.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.sqs.models import Queue, SQSBackend

_sending = threading.local()
_COUNTS = ("approximate_number_of_messages", "approximate_number_of_messages_not_visible",
           "approximate_number_of_messages_delayed")


def apply() -> None:
    original_send = SQSBackend.send_message

    def send_message(self: SQSBackend, *args: Any, **kwargs: Any) -> Any:
        _sending.active = True
        try:
            return original_send(self, *args, **kwargs)
        finally:
            _sending.active = False

    for name in _COUNTS:
        count = getattr(Queue, name)

        def skipped_while_sending(self: Queue, count: Any = count) -> int:
            return 0 if getattr(_sending, "active", False) else int(count.fget(self))

        setattr(Queue, name, property(skipped_while_sending))
    SQSBackend.send_message = send_message  # type: ignore[method-assign]
