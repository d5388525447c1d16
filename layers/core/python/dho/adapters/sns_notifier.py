"""Notifier on the tenant's SNS alert topic: every alert is published once, with message attributes the
subscriptions filter on (``severity``: red → SMS and e-mail, yellow → e-mail only; ``tier`` for
escalation routes; ``route``: ``centre`` while the centre is open, ``out_of_hours`` for a red while it is
closed, which is always at the last tier, the out-of-hours clinic's; ``rule``). The text is built by
``dho.alerting.messages`` and holds no names or values.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from botocore.exceptions import BotoCoreError, ClientError

from dho.adapters.dynamodb_codec import raise_if_transient
from dho.alerting.messages import render_subject
from dho.domain.alerts import Notification

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sns.type_defs import MessageAttributeValueTypeDef

# SNS error codes after which the same publish can succeed later (botocore already retried a few times).
SNS_TRANSIENT_ERROR_CODES = frozenset({
    "Throttling",
    "ThrottlingException",
    "ThrottledException",
    "InternalError",
    "InternalFailure",
    "ServiceUnavailable",
    "KMSThrottling",
    "KMSThrottlingException",
})


class SnsNotifier:
    """``topic_arn``: the tenant's alert topic (``DHO_ALERT_TOPIC_ARN`` in the function's environment)."""

    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, notification: Notification, text: str) -> None:
        try:
            self._client.publish(
                TopicArn=self._topic_arn,
                Message=text,
                Subject=render_subject(notification),
                MessageAttributes=message_attributes(notification),
            )
        except (ClientError, BotoCoreError) as error:
            raise_if_transient(error, SNS_TRANSIENT_ERROR_CODES)
            raise


def message_attributes(notification: Notification) -> dict[str, MessageAttributeValueTypeDef]:
    return {
        "severity": {"DataType": "String", "StringValue": notification.severity.value},
        "tier": {"DataType": "Number", "StringValue": str(notification.tier)},
        "route": {"DataType": "String", "StringValue": notification.route.value},
        "rule": {"DataType": "String", "StringValue": notification.rule.value},
        "kind": {"DataType": "String", "StringValue": notification.kind.value},
        "alert_id": {"DataType": "String", "StringValue": notification.alert_id},
        # An alert SMS must not wait behind promotional traffic (and may bypass opt-out hours).
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"},
    }
