"""An SNS outage while a queue full of red readings is processed: the real process_readings handler fed by
the local SQS → function runner (redelivery and DLQ as the deployed queue has them), SNS down on the moto
server, then the escalation sweep once SNS is back."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.registry import DeviceAssignment
from infra.constructs.readings_queue import MAX_RECEIVE_COUNT
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.moto_harness.sns_outage import outage
from localcloud.queues import TopicInbox, create_queue_with_dlq
from localcloud.sqs_lambda_runner import drain
from localcloud.tenant_table import scan_all

pytestmark = pytest.mark.integration

PATIENTS = [f"P-SNS{i:05d}" for i in range(1, 17)]  # 16: two batches of the runner


def _red_spo2(device: str, arrived: datetime) -> str:
    """What the IoT rule puts on the queue for an SpO2 of 80 % (red on every plan) measured just now."""
    return json.dumps({
        "schema": "dho.device-reading/1", "device": {"id": device}, "reading_id": f"{device}-1",
        "measured_at": (arrived - timedelta(minutes=1)).isoformat(),
        "measurements": [{"metric": "spo2", "value": 80, "unit": "%"}],
        "tenant": "bodo", "device_id": device, "received_at": int(arrived.timestamp() * 1000),
    })


def _process_until_settled(sqs: Any, queue_url: str, handler: Any) -> None:
    """Run the function on the queue until no message is left in it, visible or in flight (a returned
    message comes back after the 1 s visibility timeout, up to MAX_RECEIVE_COUNT times, then the DLQ)."""
    for _ in range(3 * MAX_RECEIVE_COUNT):
        drain(sqs, queue_url, handler.lambda_handler, FakeLambdaContext())
        counts = sqs.get_queue_attributes(
            QueueUrl=queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        if not any(int(n) for n in counts.values()):
            return
        time.sleep(1.1)
    raise AssertionError("the queue never settled")


def test_with_sns_down_every_patient_of_the_batch_gets_its_alert_and_the_sweep_tells_each_once(
    moto_endpoint: str, dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN 16 patients with an oximeter each, and a red SpO2 from each on the readings queue
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    queue = create_queue_with_dlq(sqs, f"dho-bodo-readings-{uuid.uuid4().hex[:8]}", max_receive_count=MAX_RECEIVE_COUNT)
    registry = DynamoDbRegistry(dynamodb, tenant_table)
    now = datetime.now(tz=UTC)  # the queue stamps arrivals with its own clock
    for i, patient in enumerate(PATIENTS):
        registry.assign_device(DeviceAssignment(f"oxi-9{i:03d}", patient, now - timedelta(days=30)))
    for i in range(len(PATIENTS)):
        sqs.send_message(QueueUrl=queue.url, MessageBody=_red_spo2(f"oxi-9{i:03d}", datetime.now(tz=UTC)))

    # WHEN the function works through the queue while SNS is down
    with outage():
        _process_until_settled(sqs, queue.url, load_handler("process_readings"))

    # THEN no reading went to the DLQ, and every patient has its red alert, nobody told yet
    assert sqs.receive_message(QueueUrl=queue.dlq_url, MaxNumberOfMessages=10).get("Messages", []) == []
    alerts = DynamoDbAlerts(dynamodb, tenant_table).triage()
    assert sorted((a.patient_id, a.rule.value, a.severity.value) for a in alerts) == [
        (p, "spo2_band", "red") for p in PATIENTS]
    assert alert_inbox.messages() == []

    # WHEN SNS is back and the escalation sweep ticks after the grace period
    tick = (datetime.now(tz=UTC) + timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    swept = load_handler("escalate_alerts").lambda_handler({"time": tick}, FakeLambdaContext())

    # THEN each red is told exactly once, as a new alert, and the outbox is empty
    assert swept["redelivered"] == len(PATIENTS)
    sent = [{name: a["Value"] for name, a in m["MessageAttributes"].items()} for m in alert_inbox.messages()]
    assert sorted((m["alert_id"], m["severity"], m["kind"]) for m in sent) == sorted(
        (a.alert_id, "red", "new") for a in alerts)
    assert [i for i in scan_all(dynamodb, tenant_table) if i["sk"]["S"].startswith("NOTIFY#")] == []
