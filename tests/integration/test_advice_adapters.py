"""What went back to the devices, on DynamoDB (moto server) and IoT Core's data plane (botocore stubs)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from dho.adapters.dynamodb_advice_log import DynamoDbAdviceLog
from dho.adapters.iot_data_messenger import IotDataMessenger
from dho.domain.advice import Advice, AdviceKind, AdviceZone, SendOutcome, advice_message_id, overdue_message_id
from dho.domain.plan_advice import AdviceLanguage
from dho.ports import TransientStoreError

pytestmark = pytest.mark.integration
MEASURED = datetime(2026, 11, 20, 11, 55, tzinfo=UTC)


def _advice(reading_id: str, measured_at: datetime = MEASURED) -> Advice:
    return Advice(advice_message_id("bodo", reading_id), "bodo", "P-A", "oxi-1", reading_id, AdviceKind.ZONE,
                  AdviceZone.YELLOW, "Ring responssenteret i dag.", AdviceLanguage.BOKMAL, 2, measured_at,
                  sent_at=measured_at + timedelta(seconds=40))


def test_a_sent_advice_is_never_overwritten_by_a_later_failed_attempt(dynamodb: Any, tenant_table: str) -> None:
    log = DynamoDbAdviceLog(dynamodb, tenant_table)
    advice = _advice("r-1")
    assert log.recorded(advice) is None

    log.record(replace(advice, outcome=SendOutcome.NOT_SENT, error="ThrottlingException"))
    assert log.recorded(advice) == replace(advice, outcome=SendOutcome.NOT_SENT, error="ThrottlingException")
    log.record(replace(advice, outcome=SendOutcome.SENT))
    log.record(replace(advice, outcome=SendOutcome.NOT_SENT, error="ThrottlingException"))  # a late retry failing

    assert log.recorded(advice) == replace(advice, outcome=SendOutcome.SENT)


def test_an_overdue_reminder_keeps_the_metric_or_questionnaire_it_reminds_of(dynamodb: Any, tenant_table: str) -> None:
    log = DynamoDbAdviceLog(dynamodb, tenant_table)
    weight = replace(_advice("w-1"), message_id=overdue_message_id("bodo", "body_weight", "w-1"),
                     kind=AdviceKind.OVERDUE, zone=AdviceZone.UNKNOWN, metric="body_weight", outcome=SendOutcome.SENT)
    phq9 = replace(_advice("q-1"), message_id=overdue_message_id("bodo", "symptoms.phq9", "q-1"), device_id="app-1",
                   kind=AdviceKind.OVERDUE, zone=AdviceZone.UNKNOWN, questionnaire="phq9", outcome=SendOutcome.SENT)

    log.record(weight)
    log.record(phq9)

    assert (log.recorded(weight), log.recorded(phq9)) == (weight, phq9)


def test_the_patients_history_lists_the_advice_of_readings_measured_in_the_period(
    dynamodb: Any, tenant_table: str
) -> None:
    log = DynamoDbAdviceLog(dynamodb, tenant_table)
    for n in range(3):
        log.record(replace(_advice(f"r-{n}", MEASURED + timedelta(hours=n)), outcome=SendOutcome.SENT))

    found = log.history("P-A", MEASURED + timedelta(hours=1), MEASURED + timedelta(hours=2))

    assert [a.reading_id for a in found] == ["r-1"]
    assert log.history("P-OTHER", MEASURED, MEASURED + timedelta(days=1)) == []


def test_iot_core_throttling_is_a_transient_error_and_the_publish_is_qos_1() -> None:
    client = boto3.client("iot-data", region_name="eu-north-1", endpoint_url="https://iot.invalid",
                          aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_response("publish", {}, {"topic": "dho/bodo/devices/oxi-1/advice", "qos": 1, "retain": False,
                                          "payload": b"{}"})
        stub.add_client_error("publish", service_error_code="ThrottlingException", http_status_code=429)
        messenger = IotDataMessenger(client)
        messenger.publish("dho/bodo/devices/oxi-1/advice", b"{}")
        with pytest.raises(TransientStoreError, match="ThrottlingException"):
            messenger.publish("dho/bodo/devices/oxi-1/advice", b"{}")
