"""SQS → Lambda events exactly as the event source mapping delivers them."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from typing import Any

QUEUE_ARN = "arn:aws:sqs:eu-north-1:123456789012:dho-bodo-readings"


def sqs_record(body: str, *, sent_timestamp_ms: int, receive_count: int = 1,
               message_id: str | None = None) -> dict[str, Any]:
    return {
        "messageId": message_id or str(uuid.uuid4()),
        "receiptHandle": f"rh-{uuid.uuid4()}",
        "body": body,
        "attributes": {
            "ApproximateReceiveCount": str(receive_count),
            "SentTimestamp": str(sent_timestamp_ms),
            "SenderId": "AIDAIOTRULE",
            "ApproximateFirstReceiveTimestamp": str(sent_timestamp_ms + 15),
        },
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": QUEUE_ARN,
        "awsRegion": "eu-north-1",
    }


def sqs_event(bodies: Sequence[str], *, sent_timestamp_ms: int) -> dict[str, Any]:
    return {"Records": [sqs_record(b, sent_timestamp_ms=sent_timestamp_ms) for b in bodies]}


def batches(items: Sequence[str], size: int = 10) -> list[list[str]]:
    """SQS delivers at most 10 messages per batch to Lambda by default."""
    return [list(items[i:i + size]) for i in range(0, len(items), size)]
