"""The local SQS → handler runner honours batch item failures and the queue's redrive policy."""

from __future__ import annotations

import time
import uuid
from typing import Any

import boto3
import pytest

from localcloud.queues import create_queue_with_dlq
from localcloud.sqs_lambda_runner import drain, poll_once

pytestmark = pytest.mark.integration


@pytest.fixture
def queue(moto_endpoint: str) -> tuple[Any, str, str]:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    created = create_queue_with_dlq(sqs, f"readings-{uuid.uuid4().hex[:8]}", max_receive_count=2)
    return sqs, created.url, created.dlq_url


def _bodies(sqs: Any, url: str) -> list[str]:
    return [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])]


def test_the_handler_gets_a_real_sqs_event_and_successes_are_deleted(queue: tuple[Any, str, str]) -> None:
    sqs, url, _ = queue
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    seen: list[dict[str, Any]] = []

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        seen.extend(event["Records"])
        return {"batchItemFailures": []}

    stats = drain(sqs, url, handler, None)

    assert sorted(r["body"] for r in seen) == ["a", "b", "c"]
    assert all(
        r["eventSource"] == "aws:sqs"
        and r["eventSourceARN"].endswith(url.rsplit("/", 1)[1])
        and "SentTimestamp" in r["attributes"]
        for r in seen
    )
    assert (stats.delivered, stats.succeeded, stats.failed) == (3, 3, 0)
    assert _bodies(sqs, url) == []


def test_a_message_the_handler_keeps_failing_ends_in_the_dlq_and_its_neighbours_do_not(
    queue: tuple[Any, str, str],
) -> None:
    sqs, url, dlq_url = queue
    for body in ("good", "poison"):
        sqs.send_message(QueueUrl=url, MessageBody=body)

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        return {
            "batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "poison"]
        }

    for _ in range(4):  # more receives than maxReceiveCount, waiting out the visibility timeout
        poll_once(sqs, url, handler, None)
        time.sleep(1.1)

    assert _bodies(sqs, url) == []
    assert _bodies(sqs, dlq_url) == ["poison"]


def test_a_handler_that_raises_returns_the_whole_batch(queue: tuple[Any, str, str]) -> None:
    sqs, url, _ = queue
    sqs.send_message(QueueUrl=url, MessageBody="x")

    def handler(event: dict[str, Any], context: Any) -> None:
        raise RuntimeError("table missing")

    poll_once(sqs, url, handler, None)
    time.sleep(1.1)
    assert _bodies(sqs, url) == ["x"]
