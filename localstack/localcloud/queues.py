"""The SQS queues a local run makes for itself: a queue with its dead-letter queue (as the readings queue
is deployed), and an inbox queue subscribed to an SNS topic, read until empty (what the topic's
subscribers, e.g. the nurses, would be sent). Shared by the corpus demo, the SNS outbox and the tests."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient


def queue_arn(sqs: SQSClient, queue_url: str) -> str:
    return sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


@dataclass(frozen=True, slots=True)
class QueueWithDlq:
    url: str
    dlq_url: str


def create_queue_with_dlq(
    sqs: SQSClient, name: str, *, max_receive_count: int, visibility_timeout_seconds: int = 1
) -> QueueWithDlq:
    """``name`` and ``<name>-dlq``: a message received ``max_receive_count`` times without being deleted
    moves to the DLQ. The short default visibility timeout lets a local run see retries at once."""
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    redrive = {"deadLetterTargetArn": queue_arn(sqs, dlq_url), "maxReceiveCount": str(max_receive_count)}
    url = sqs.create_queue(
        QueueName=name,
        Attributes={"VisibilityTimeout": str(visibility_timeout_seconds), "RedrivePolicy": json.dumps(redrive)},
    )["QueueUrl"]
    return QueueWithDlq(url, dlq_url)


@dataclass(frozen=True, slots=True)
class TopicInbox:
    """An SQS queue subscribed to an SNS topic (raw delivery off: each message is the SNS envelope)."""

    topic_arn: str
    queue_url: str
    sqs: SQSClient

    def messages(self) -> list[dict[str, Any]]:
        """Every envelope waiting in the inbox, oldest receive first; each is deleted once read."""
        received: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        ):
            received.extend(json.loads(message["Body"]) for message in batch)
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(batch)],
            )
        return received


def subscribe_inbox(
    sqs: SQSClient,
    sns: SNSClient,
    topic_arn: str,
    queue_name: str,
    *,
    filter_policy: Mapping[str, Sequence[str]] | None = None,
) -> TopicInbox:
    """A new queue ``queue_name`` subscribed to the topic, optionally through a filter policy on the
    message attributes (as the nurses' SMS and e-mail subscriptions filter on ``severity``)."""
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    attributes = {"FilterPolicy": json.dumps(filter_policy)} if filter_policy else {}
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn(sqs, queue_url), Attributes=attributes)
    return TopicInbox(topic_arn, queue_url, sqs)


def topic_with_inbox(sqs: SQSClient, sns: SNSClient, topic_name: str, queue_name: str) -> TopicInbox:
    """A new topic with an inbox subscribed to all of it."""
    return subscribe_inbox(sqs, sns, sns.create_topic(Name=topic_name)["TopicArn"], queue_name)
