"""No red reading is missed because of the scoring window: the real process_readings handler on the moto
server, with a fast gateway clock, replica lag (the local cloud's eventually consistent reads) and a
chatty oximeter."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters import keys
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.domain.clock import to_canonical
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.registry import DeviceAssignment, Patient
from dho.evaluation.windows import MAX_ENTRIES_PER_SERIES, WINDOW
from localcloud.corpus import registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.moto_harness.dynamodb_eventual_consistency import LAG_VARIABLE
from localcloud.queues import TopicInbox
from localcloud.sqs_events import sqs_event
from localcloud.tenant_table import scan_all

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
COPD, OXIMETER = "P-C0PD0001", "oxi-0001"


@pytest.fixture
def tenant(dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox) -> str:
    """A COPD patient with an oximeter, on the programme's template plan."""
    national_id = next(p["national_id"] for p in registry()["patients"] if p["patient_id"] == COPD)
    DynamoDbRegistry(dynamodb, tenant_table).register_patient(Patient(COPD, national_id, Programme.COPD.value))
    DynamoDbRegistry(dynamodb, tenant_table).assign_device(DeviceAssignment(OXIMETER, COPD, NOW - timedelta(days=30)))
    DynamoDbPlans(dynamodb, tenant_table).save(plan_from_template(COPD, Programme.COPD, NOW - timedelta(days=30)))
    return tenant_table


def _deliver(bodies: list[str], arrived_at: datetime) -> None:
    event = sqs_event(bodies, sent_timestamp_ms=int(arrived_at.timestamp() * 1000))
    assert load_handler("process_readings").lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}


def _spo2(reading_id: str, value: float, measured_at: datetime, arrived_at: datetime) -> str:
    return _reading(reading_id, {"metric": "spo2", "value": value, "unit": "%"}, measured_at, arrived_at)


def _reading(reading_id: str, measurement: dict[str, Any], measured_at: datetime, arrived_at: datetime) -> str:
    return json.dumps({
        "schema": "dho.device-reading/1", "device": {"id": OXIMETER}, "reading_id": reading_id,
        "measured_at": measured_at.isoformat(), "measurements": [measurement],
        "tenant": "bodo", "device_id": OXIMETER, "received_at": int(arrived_at.timestamp() * 1000),
    })


def _store_normal_spo2(dynamodb: Any, table: str, times: list[datetime]) -> None:
    """SpO2 95 % at each time: the first through the adapter, the rest as copies of its timeline item in
    batches (one transaction per reading would take minutes on moto)."""
    first = times[0]
    reading = DeviceReading("bodo", OXIMETER, "n-0", first, first, (Measurement(Metric.SPO2, 95.0, "%"),))
    DynamoDbTimeline(dynamodb, table).store_reading(reading, COPD)
    (template,) = [i for i in scan_all(dynamodb, table) if i["sk"]["S"] == keys.timeline_sk("spo2", first, "n-0")]
    copies = [{**template, "sk": {"S": keys.timeline_sk("spo2", at, f"n-{n}")}, "reading_id": {"S": f"n-{n}"},
               "measured_at": {"S": to_canonical(at)}, "received_at": {"S": to_canonical(at)}}
              for n, at in enumerate(times[1:], start=1)]
    for start in range(0, len(copies), 25):
        dynamodb.batch_write_item(RequestItems={table: [{"PutRequest": {"Item": item}}
                                                        for item in copies[start:start + 25]]})


def _alerts(dynamodb: Any, table: str) -> list[tuple[str, str, str]]:
    """(rule, severity, state) of every stored alert, read consistently."""
    return sorted((i["rule"]["S"], i["severity"]["S"], i["state"]["S"]) for i in scan_all(dynamodb, table)
                  if i["sk"]["S"].startswith("ALERT#") and "rule" in i)


def _severities(inbox: TopicInbox) -> list[str]:
    return [m["MessageAttributes"]["severity"]["Value"] for m in inbox.messages()]


def test_a_red_spo2_measured_after_its_arrival_by_a_fast_gateway_clock_is_told_once(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN an SpO2 of 80 % that a gateway whose clock runs 2 min ahead dates after its arrival
    red = [_spo2("s-red", 80, NOW + timedelta(minutes=2), arrived_at=NOW)]

    # WHEN it is processed, and SQS delivers it again
    _deliver(red, NOW)
    _deliver(red, NOW)

    # THEN there is one red alert and the nurses were told once
    assert _alerts(dynamodb, tenant) == [("spo2_band", "red", "open")]
    assert _severities(alert_inbox) == ["red"]


def test_a_red_spo2_is_told_even_when_the_replicas_lag_the_write_and_a_green_follows(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN DynamoDB replicas a minute behind: an eventually consistent read misses the batch just written
    monkeypatch.setenv(LAG_VARIABLE, "60000")

    # WHEN an SpO2 of 80 % arrives, then a normal one
    _deliver([_spo2("s-red", 80, NOW - timedelta(minutes=1), arrived_at=NOW)], NOW)
    later = NOW + timedelta(minutes=10)
    _deliver([_spo2("s-green", 95, later - timedelta(minutes=1), arrived_at=later)], later)

    # THEN the red was alerted and told once (a red closes only by a nurse's hand)
    assert _alerts(dynamodb, tenant) == [("spo2_band", "red", "open")]
    assert _severities(alert_inbox) == ["red"]


def test_a_first_ever_red_spo2_is_told_when_the_replicas_lag_behind_the_newest_readings_summary(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # GIVEN a patient whose only reading so far is yesterday's pulse (every replica has it and its summary)
    yesterday = NOW - timedelta(days=1)
    _deliver([_reading("p-1", {"metric": "heart_rate", "value": 72, "unit": "/min"}, yesterday, yesterday)],
             yesterday)
    # AND DynamoDB replicas a minute behind
    monkeypatch.setenv(LAG_VARIABLE, "60000")

    # WHEN the first SpO2 ever arrives, at 80 % (a lagging summary would not list SpO2 yet)
    _deliver([_spo2("s-red", 80, NOW - timedelta(minutes=1), arrived_at=NOW)], NOW)

    # THEN scoring saw it: one red alert, told once
    assert _alerts(dynamodb, tenant) == [("spo2_band", "red", "open")]
    assert _severities(alert_inbox) == ["red"]


def test_a_red_spo2_after_more_readings_than_the_window_holds_is_told_and_the_cut_is_counted(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN 600 normal SpO2 readings over the last 7.9 days (more than one series' window holds)
    count, span = MAX_ENTRIES_PER_SERIES + 100, WINDOW - timedelta(hours=2)
    _store_normal_spo2(dynamodb, tenant, [NOW - span + span * n / count for n in range(count)])
    capsys.readouterr()

    # WHEN an SpO2 of 80 % measured a minute ago arrives
    _deliver([_spo2("s-red", 80, NOW - timedelta(minutes=1), arrived_at=NOW)], NOW)

    # THEN the nurses are told of the red
    assert _alerts(dynamodb, tenant) == [("spo2_band", "red", "open")]
    assert _severities(alert_inbox) == ["red"]
    # AND the operators' metrics count the one series cut to its bound
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [doc["WindowSeriesTruncated"] for doc in documents if "WindowSeriesTruncated" in doc] == [[1.0]]
