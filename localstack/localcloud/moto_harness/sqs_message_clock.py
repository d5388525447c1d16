"""SQS: every ``visible``/``delayed`` check of a message builds two datetimes in moto 5.2.5.

``Message.visible`` and ``Message.delayed`` call ``unix_time_millis()``, which subtracts
``utcfromtimestamp(0)`` from ``utcnow()``; ``SendMessage`` reads ``queue.attributes``, which counts the
visible, in-flight and delayed messages one by one. With a few thousand queued readings a send took
≈70 ms and ``GetQueueAttributes`` ≈350 ms, so the local rules engine fell minutes behind the devices.
The same comparisons against ``time.time()`` (the same epoch clock) cost a fraction of that.
"""

from __future__ import annotations

import time

from moto.sqs.models import Message


def apply() -> None:
    def visible(self: Message) -> bool:
        return bool(time.time() * 1000.0 > self.visible_at)

    def delayed(self: Message) -> bool:
        return bool(time.time() * 1000.0 < self.delayed_until)

    Message.visible = property(visible)  # type: ignore[method-assign,assignment]
    Message.delayed = property(delayed)  # type: ignore[method-assign,assignment]
