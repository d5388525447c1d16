"""No red reading is missed because of where the scoring window ends or how much of it is read: the
process_readings handler on in-memory ports (fast clocks on gateways, a chatty oximeter)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from dho.domain.findings import Rule, Severity
from dho.domain.metrics import Metric
from dho.domain.readings import DeviceReading, Measurement
from dho.domain.registry import DeviceAssignment
from dho.evaluation.windows import MAX_ENTRIES_PER_SERIES, WINDOW
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.fakes import FakeTenant
from tests.support.payloads import RECEIVED_AT, body, one

PATIENT, OXIMETER = "P-AAAA0001", "oxi-0001"


def _handler(monkeypatch: pytest.MonkeyPatch, tenant: FakeTenant) -> ModuleType:
    tenant.registry.assign_device(DeviceAssignment(OXIMETER, PATIENT, datetime(2026, 10, 1, tzinfo=UTC)))
    handler = load_handler("process_readings")
    pipeline = tenant.pipeline()
    monkeypatch.setattr(handler, "readings_pipeline", lambda: pipeline)
    return handler


def _spo2(reading_id: str, value: float, measured_at: datetime,
          arrived_at: datetime = RECEIVED_AT) -> dict[str, object]:
    message = body(reading_id=reading_id, measured_at=measured_at.isoformat(), measurements=one("spo2", value, "%"),
                   received_at=arrived_at)
    return sqs_record(message, sent_timestamp_ms=int(arrived_at.timestamp() * 1000))


def _red_spo2_alerts(tenant: FakeTenant) -> list[tuple[Rule, Severity]]:
    return [(a.rule, a.severity) for a in tenant.alerts.alerts.values() if a.rule is Rule.SPO2_BAND]


@pytest.mark.parametrize("measured_after_arrival", [timedelta(minutes=-1), timedelta(minutes=2), timedelta(minutes=5)])
def test_a_red_spo2_from_a_gateway_whose_clock_runs_ahead_alerts_the_nurses_once(
    monkeypatch: pytest.MonkeyPatch, measured_after_arrival: timedelta
) -> None:
    # GIVEN an SpO2 of 80 % whose measured time is up to 5 min after its arrival (a fast gateway clock,
    # within the accepted skew), or a minute before it
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)
    event = {"Records": [_spo2("r-1", 80, RECEIVED_AT + measured_after_arrival)]}

    # WHEN the batch is processed, and SQS delivers it a second time
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}

    # THEN the reading gives a red alert and exactly one message to the nurses
    assert _red_spo2_alerts(tenant) == [(Rule.SPO2_BAND, Severity.RED)]
    assert [n.severity for n, _ in tenant.notifier.sent] == [Severity.RED]


def test_a_red_spo2_after_more_readings_than_the_window_holds_still_alerts_and_the_cut_is_counted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # GIVEN 600 normal SpO2 readings over the last 7.9 days (more than a series' window holds)
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)
    count, span = MAX_ENTRIES_PER_SERIES + 100, WINDOW - timedelta(hours=2)
    assert span > timedelta(days=7, hours=21)
    for n in range(count):
        at = RECEIVED_AT - span + span * n / count
        normal = (Measurement(Metric.SPO2, 95.0, "%"),)
        reading = DeviceReading(reading_id=f"n-{n}", device_id=OXIMETER, tenant_id="bodo", measured_at=at,
                                received_at=at + timedelta(seconds=30), measurements=normal)
        tenant.timeline.store_reading(reading, PATIENT)

    # WHEN an SpO2 of 80 % measured a minute ago arrives
    response = handler.lambda_handler({"Records": [_spo2("r-red", 80, RECEIVED_AT - timedelta(minutes=1))]},
                                      FakeLambdaContext())

    # THEN the nurses get the red alert
    assert response == {"batchItemFailures": []}
    assert _red_spo2_alerts(tenant) == [(Rule.SPO2_BAND, Severity.RED)]
    assert [n.severity for n, _ in tenant.notifier.sent] == [Severity.RED]
    # AND the operators see that one series' window was cut to its bound
    documents = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    assert [doc["WindowSeriesTruncated"] for doc in documents if "WindowSeriesTruncated" in doc] == [[1.0]]
