"""The process_readings handler's batch contract, with the service on in-memory ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from dho.domain.registry import DeviceAssignment
from localcloud.corpus import EVENTS
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.fakes import FakeTenant, InMemoryQuarantine, InMemoryTimeline
from tests.support.payloads import RECEIVED_AT, body, one

SENT_MS = int(RECEIVED_AT.timestamp() * 1000)


def _handler_with(monkeypatch: pytest.MonkeyPatch, timeline: InMemoryTimeline,
                  quarantine: InMemoryQuarantine, devices: tuple[str, ...] = ("oxi-0001",),
                  tenant: FakeTenant | None = None) -> ModuleType:
    tenant = tenant or FakeTenant(timeline=timeline, quarantine=quarantine)
    for device in devices:
        tenant.registry.assign_device(DeviceAssignment(device, "P-AAAA0001", datetime(2026, 10, 1, tzinfo=UTC)))
    handler = load_handler("process_readings")
    pipeline = tenant.pipeline()
    monkeypatch.setattr(handler, "readings_pipeline", lambda: pipeline)
    return handler


def _good(reading_id: str) -> str:
    return body(reading_id=reading_id)


def test_only_the_throttled_record_is_reported_for_retry_and_its_neighbours_are_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a batch of three good readings where the store throttles the second
    timeline, quarantine = InMemoryTimeline(throttled_reading_ids={"r-2"}), InMemoryQuarantine()
    handler = _handler_with(monkeypatch, timeline, quarantine)
    records = [sqs_record(_good(f"r-{i}"), sent_timestamp_ms=SENT_MS) for i in (1, 2, 3)]

    # WHEN the handler runs
    response = handler.lambda_handler({"Records": records}, FakeLambdaContext())

    # THEN SQS is asked to redeliver just that one, and the others are stored
    assert response == {"batchItemFailures": [{"itemIdentifier": records[1]["messageId"]}]}
    assert sorted(e.reading_id for e in timeline.entries) == ["r-1", "r-3"]


def test_a_bad_record_is_acknowledged_and_quarantined_without_failing_its_neighbours(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    timeline, quarantine = InMemoryTimeline(), InMemoryQuarantine()
    handler = _handler_with(monkeypatch, timeline, quarantine)
    bodies = [_good("r-1"), body(reading_id="r-2", measurements=one("spo2", 131.5, "%")), _good("r-3")]

    response = handler.lambda_handler(
        {"Records": [sqs_record(b, sent_timestamp_ms=SENT_MS) for b in bodies]}, FakeLambdaContext())

    assert response == {"batchItemFailures": []}
    assert [m.reason.value for m in quarantine.messages.values()] == ["implausible_value"]
    assert len(timeline.entries) == 2
    # AND the metrics say so, by outcome and by reason, while the logs carry no measured value
    output = capsys.readouterr().out
    documents = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    counts = {name: doc[name] for doc in documents for name in
              ("ReadingsStored", "ReadingsQuarantined", "QuarantinedByReason") if name in doc}
    assert counts == {"ReadingsStored": [2.0], "ReadingsQuarantined": [1.0], "QuarantinedByReason": [1.0]}
    assert any(doc.get("reason") == "implausible_value" for doc in documents)
    assert "131.5" not in output


def test_the_sample_sqs_event_in_events_gives_stored_and_quarantined_records(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN the sample batch as the event source mapping delivers it (3 good, 2 bad)
    event = json.loads((EVENTS / "sqs" / "readings_batch.json").read_text())
    timeline, quarantine = InMemoryTimeline(), InMemoryQuarantine()
    handler = _handler_with(monkeypatch, timeline, quarantine, devices=("oxi-0001", "bpm-0001", "app-0001"))

    # WHEN the handler runs
    response = handler.lambda_handler(event, FakeLambdaContext())

    # THEN nothing is retried, three readings are stored and two messages quarantined with reasons
    assert response == {"batchItemFailures": []}
    assert len({e.reading_id for e in timeline.entries}) == 3
    assert sorted(m.reason.value for m in quarantine.messages.values()) == ["implausible_value", "malformed_json"]


@pytest.mark.parametrize(("measured_before_arrival", "notified"), [(timedelta(days=2), 0), (timedelta(minutes=5), 1)])
def test_only_fresh_readings_get_a_patient_scored(
    monkeypatch: pytest.MonkeyPatch, measured_before_arrival: timedelta, notified: int
) -> None:
    # GIVEN an SpO2 of 80 % (red on every plan), measured long before it arrived (a gateway flushing
    # its buffer) or just now
    tenant = FakeTenant()
    handler = _handler_with(monkeypatch, tenant.timeline, tenant.quarantine, tenant=tenant)
    measured_at = (RECEIVED_AT - measured_before_arrival).isoformat()
    record = sqs_record(body(reading_id="r-1", measured_at=measured_at, measurements=one("spo2", 80, "%")),
                        sent_timestamp_ms=SENT_MS)

    # WHEN the batch is processed
    handler.lambda_handler({"Records": [record]}, FakeLambdaContext())

    # THEN the reading is stored either way, but only fresh news reaches the nurses
    assert [e.reading_id for e in tenant.timeline.entries] == ["r-1"]
    assert len(tenant.notifier.sent) == notified
