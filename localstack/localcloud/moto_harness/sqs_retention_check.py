"""SQS ``ReceiveMessage`` recomputes every attribute of the queue for every message it considers in
moto 5.2.5.

``is_message_valid_based_on_retention_period`` calls ``get_queue_attributes`` just to read the retention
period, and that builds all attributes, counting the visible and in-flight messages one by one: a receive
costs O(messages²). With a simulated fortnight queued (≈5,000 messages) each receive took seconds. The
retention period is read from the queue directly instead; the check itself is unchanged.
"""

from __future__ import annotations

from moto.core.utils import unix_time
from moto.sqs.models import Message, SQSBackend


def apply() -> None:
    def is_message_valid_based_on_retention_period(self: SQSBackend, queue_name: str, message: Message) -> bool:
        retention_period = int(self.get_queue(queue_name).message_retention_period)  # type: ignore[attr-defined]
        return bool(retention_period + message.sent_timestamp / 1000 > unix_time())  # type: ignore[operator]

    SQSBackend.is_message_valid_based_on_retention_period = (  # type: ignore[method-assign]
        is_message_valid_based_on_retention_period
    )
