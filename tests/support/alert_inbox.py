"""Reading what an SNS topic published, through an SQS queue subscribed to it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class AlertInbox:
    """The tenant's alert topic with an SQS queue subscribed to it: what the nurses would be sent."""

    topic_arn: str
    queue_url: str
    sqs: Any

    def messages(self) -> list[dict[str, Any]]:
        received: list[dict[str, Any]] = []
        while batch := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                                WaitTimeSeconds=0).get("Messages", []):
            for message in batch:
                received.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return received
