"""Which SNS errors are worth a retry (the SQS record is redelivered) and which fail loudly."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from dho.adapters.sns_notifier import SnsNotifier
from dho.domain.alerts import Notification, NotificationKind
from dho.domain.findings import Rule, Severity
from dho.ports import TransientStoreError

NOTE = Notification("A-1", "P-7K3QX9M2", Severity.RED, Rule.NEWS2, 0, NotificationKind.NEW)
TOPIC = "arn:aws:sns:eu-north-1:123456789012:dho-bodo-alerts"


def _failing_notifier(code: str, status: int) -> tuple[SnsNotifier, Stubber]:
    client = boto3.client("sns", region_name="eu-north-1")
    stubber = Stubber(client)
    stubber.add_client_error("publish", service_error_code=code, http_status_code=status)
    stubber.activate()
    return SnsNotifier(client, TOPIC), stubber


@pytest.mark.parametrize("code", ["Throttling", "InternalError", "KMSThrottling"])
def test_given_sns_throttling_or_a_server_error_when_publishing_then_it_is_transient(code: str) -> None:
    notifier, _ = _failing_notifier(code, 500)
    with pytest.raises(TransientStoreError, match=code):
        notifier.publish(NOTE, "text")


@pytest.mark.parametrize("code", ["AuthorizationError", "NotFound", "InvalidParameter"])
def test_given_a_configuration_error_when_publishing_then_it_is_not_disguised_as_transient(code: str) -> None:
    notifier, _ = _failing_notifier(code, 400)
    with pytest.raises(ClientError):
        notifier.publish(NOTE, "text")
