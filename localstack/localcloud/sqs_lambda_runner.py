"""Runs a Lambda handler on an SQS queue the way an event source mapping would, for emulators that
cannot run Lambda code (moto without Docker).

It receives up to ``batch_size`` messages, builds the exact SQS event (real message ids, receipt
handles and attributes), calls the handler, deletes what succeeded and leaves the reported batch item
failures (or the whole batch, if the handler raised) to come back after the visibility timeout; the
queue's own redrive policy moves a message that keeps failing to its DLQ.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from localcloud.queues import queue_arn

Handler = Callable[[dict[str, Any], Any], Any]


@dataclass
class RunnerStats:
    invocations: int = 0
    delivered: int = 0
    succeeded: int = 0
    failed: int = 0

    def add(self, other: RunnerStats) -> None:
        self.invocations += other.invocations
        self.delivered += other.delivered
        self.succeeded += other.succeeded
        self.failed += other.failed


def _record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    body = message["Body"]
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": body,
        "attributes": message.get("Attributes", {}),
        "messageAttributes": message.get("MessageAttributes", {}),
        "md5OfBody": message.get("MD5OfBody") or hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def _failed_ids(response: Any) -> set[str]:
    if isinstance(response, dict):
        return {str(item["itemIdentifier"]) for item in response.get("batchItemFailures", [])}
    return set()


_ARNS: dict[str, str] = {}


def _arn(sqs: Any, queue_url: str) -> str:
    """A queue's ARN never changes: asked once (moto computes every attribute of the queue to answer)."""
    if queue_url not in _ARNS:
        _ARNS[queue_url] = queue_arn(sqs, queue_url)
    return _ARNS[queue_url]


def receive_batch(sqs: Any, queue_url: str, *, batch_size: int = 10) -> list[dict[str, Any]]:
    """What one poller hands one invocation: up to ``batch_size`` messages, now in flight."""
    messages: list[dict[str, Any]] = []
    # SQS hands out at most 10 per receive; the event source mapping gathers up to its BatchSize.
    while len(messages) < batch_size:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, batch_size - len(messages)),
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
            WaitTimeSeconds=0,
        )
        if not received.get("Messages"):
            break
        messages.extend(received["Messages"])
    return messages


def invoke_batch(
    sqs: Any, queue_url: str, messages: list[dict[str, Any]], handler: Handler, context: Any, stats: RunnerStats
) -> None:
    """Invoke the handler with the batch's SQS event and delete what succeeded; the rest comes back after
    its visibility timeout."""
    arn = _arn(sqs, queue_url)
    event = {"Records": [_record(m, arn, sqs.meta.region_name) for m in messages]}
    stats.invocations += 1
    stats.delivered += len(messages)
    try:
        failed = _failed_ids(handler(event, context))
    except Exception:  # the whole invocation failed: Lambda returns every message to the queue
        failed = {m["MessageId"] for m in messages}
    done = [m for m in messages if m["MessageId"] not in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queue_url,
            Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
        )
    stats.succeeded += len(done)
    stats.failed += len(failed)


def poll_once(
    sqs: Any, queue_url: str, handler: Handler, context: Any, *, batch_size: int = 10, stats: RunnerStats | None = None
) -> int:
    """One receive + invoke + delete cycle; returns how many messages were delivered."""
    stats = stats if stats is not None else RunnerStats()
    messages = receive_batch(sqs, queue_url, batch_size=batch_size)
    if messages:
        invoke_batch(sqs, queue_url, messages, handler, context, stats)
    return len(messages)


def drain(
    sqs: Any, queue_url: str, handler: Handler, context: Any, *, batch_size: int = 10, max_empty_polls: int = 1
) -> RunnerStats:
    """Poll until the queue has given nothing ``max_empty_polls`` times in a row."""
    stats = RunnerStats()
    empty = 0
    while empty < max_empty_polls:
        empty = 0 if poll_once(sqs, queue_url, handler, context, batch_size=batch_size, stats=stats) else empty + 1
    return stats
