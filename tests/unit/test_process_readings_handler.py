"""The process_readings handler's batch contract, with the service on in-memory ports."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType
from typing import Any

import pytest

from dho.domain.alerts import Alert, PendingNotification
from dho.domain.plans import SelfManagementPlan
from dho.domain.registry import DeviceAssignment
from dho.ports import AlertConflict
from localcloud.corpus import EVENTS
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.alert_fakes import InMemoryAlerts
from tests.support.fakes import FakeTenant, InMemoryPlans, InMemoryQuarantine, InMemoryTimeline
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


@dataclass
class CorruptPlanOf(InMemoryPlans):
    """The plan item of one patient cannot be read (as a corrupt item fails the adapter's validation)."""

    corrupt: str = ""

    def current(self, patient_id: str) -> SelfManagementPlan | None:
        if patient_id == self.corrupt:
            raise ValueError("plan item does not validate")
        return super().current(patient_id)


@dataclass
class RacedAlertsOf(InMemoryAlerts):
    """Every alert write of one patient loses its race (a nurse and the sweep keep writing)."""

    raced: str = ""

    def save(self, alert: Alert, expected_version: int | None, *,
             pending: Sequence[PendingNotification] = (), sweep_due_at: datetime | None = None) -> bool:
        if alert.patient_id == self.raced:
            raise AlertConflict("lost the race")
        return super().save(alert, expected_version, pending=pending, sweep_due_at=sweep_due_at)


def test_one_patients_failed_scoring_returns_only_that_patients_records_and_the_others_are_alerted(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    # GIVEN five patients, each sending a red SpO2 of 80 % in one batch: the second one's plan item is
    # corrupt, the fourth one's alerts keep changing under it, and SNS is down
    patients = [f"P-AAAA000{i}" for i in range(1, 6)]
    plans, alerts = CorruptPlanOf(corrupt=patients[1]), RacedAlertsOf(raced=patients[3])
    tenant = FakeTenant(plans=plans, alerts=alerts)
    tenant.notifier.down = True
    for i, patient in enumerate(patients, start=1):
        tenant.registry.assign_device(DeviceAssignment(f"oxi-000{i}", patient, datetime(2026, 10, 1, tzinfo=UTC)))
    handler = _handler_with(monkeypatch, tenant.timeline, tenant.quarantine, devices=(), tenant=tenant)
    records = [
        sqs_record(body(device_id=f"oxi-000{i}", reading_id=f"r-{i}", measurements=one("spo2", 80, "%")),
                   sent_timestamp_ms=SENT_MS)
        for i in range(1, 6)
    ]

    # WHEN the batch is processed
    response = handler.lambda_handler({"Records": records}, FakeLambdaContext())

    # THEN only the records of the two patients whose scoring failed come back for redelivery
    assert response == {"batchItemFailures": [{"itemIdentifier": records[i]["messageId"]} for i in sorted(
        (1, 3), key=lambda i: records[i]["messageId"])]}
    # AND every reading is stored, and the three other patients have their red alert, its SMS waiting in
    # the outbox (SNS was tried once, then left alone for the rest of the batch)
    assert len(tenant.timeline.entries) == 5
    assert sorted(a.patient_id for a in tenant.alerts.alerts.values()) == [patients[0], patients[2], patients[4]]
    assert sorted(e.notification.patient_id for e in tenant.alerts.outbox.values()) == sorted(
        a.patient_id for a in tenant.alerts.alerts.values())
    assert tenant.notifier.failed == 1
    # AND the log names the messages and the kinds of error, not the patients
    (warning,) = [r for r in caplog.records if r.levelname == "WARNING"]
    assert (warning.message_ids, warning.errors) == (  # type: ignore[attr-defined]
        sorted(records[i]["messageId"] for i in (1, 3)), ["AlertConflict", "ValueError"])
    logged = json.dumps([vars(r) for r in caplog.records], default=str) + capsys.readouterr().out
    assert not any(patient in logged for patient in patients)

    # WHEN SQS redelivers the two records, the patients' trouble gone and SNS back
    plans.corrupt = alerts.raced = ""
    tenant.notifier.down = False
    again = handler.lambda_handler({"Records": [records[1], records[3]]}, FakeLambdaContext())

    # THEN they are acknowledged, and those two patients get their alert and SMS, once
    assert again == {"batchItemFailures": []}
    assert sorted(a.patient_id for a in tenant.alerts.alerts.values()) == patients
    assert sorted(n.patient_id for n, _ in tenant.notifier.sent) == [patients[1], patients[3]]


def test_a_body_claiming_another_arrival_time_than_the_queues_is_quarantined_not_alerted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a red SpO2 whose body says it arrived in 2036 (forged: the IoT rule did not write that), on
    # a record the queue received now
    tenant = FakeTenant()
    handler = _handler_with(monkeypatch, tenant.timeline, tenant.quarantine, tenant=tenant)
    forged = datetime(2036, 1, 1, tzinfo=UTC)
    record = sqs_record(body(reading_id="r-1", measured_at=forged.isoformat(), received_at=forged,
                             measurements=one("spo2", 80, "%")), sent_timestamp_ms=SENT_MS)

    # WHEN the handler is fed the record directly
    response = handler.lambda_handler({"Records": [record]}, FakeLambdaContext())

    # THEN it is acknowledged and kept with its reason, dated by the queue; nothing is stored or told
    assert response == {"batchItemFailures": []}
    (kept,) = list(tenant.quarantine.messages.values())
    assert (kept.reason.value, kept.received_at) == ("received_at_mismatch", RECEIVED_AT)
    assert tenant.timeline.entries == [] and tenant.alerts.alerts == {} and tenant.notifier.sent == []


@pytest.mark.parametrize(("value", "unit", "stored"), [
    (180.8, "kg", False),  # the scale sent pounds as kg
    (82.0, "lb", False),  # kg sent as pounds: 37.2 kg
    (83.9, "kg", True),  # 1.9 kg more: a heart-failure patient filling with fluid, worth a look
])
def test_a_weight_far_from_yesterdays_is_quarantined_as_an_implausible_change(
    monkeypatch: pytest.MonkeyPatch, value: float, unit: str, stored: bool
) -> None:
    # GIVEN a patient weighing 82 kg, 30 hours ago
    tenant = FakeTenant()
    handler = _handler_with(monkeypatch, tenant.timeline, tenant.quarantine, devices=("scale-0001",), tenant=tenant)

    def weigh(reading_id: str, at: datetime, kilos: float, unit: str) -> dict[str, Any]:
        record = sqs_record(body(device_id="scale-0001", reading_id=reading_id, measured_at=at.isoformat(),
                                 received_at=at, measurements=one("body_weight", kilos, unit)),
                            sent_timestamp_ms=int(at.timestamp() * 1000))
        return dict(handler.lambda_handler({"Records": [record]}, FakeLambdaContext()))

    weigh("w-1", RECEIVED_AT - timedelta(hours=30), 82.0, "kg")

    # WHEN today's weight comes
    response = weigh("w-2", RECEIVED_AT, value, unit)

    # THEN a plausible one is stored; one no body can show in a day is kept with its own reason
    assert response == {"batchItemFailures": []}
    assert [e.reading_id for e in tenant.timeline.entries] == (["w-1", "w-2"] if stored else ["w-1"])
    assert [m.reason.value for m in tenant.quarantine.messages.values()] == ([] if stored else ["implausible_change"])


def test_a_glucose_above_what_a_glucometer_reads_is_quarantined(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN 54 "mmol/L" (a mg/dL value, i.e. a hypo of 3.0 mmol/L, sent with the wrong unit)
    tenant = FakeTenant()
    handler = _handler_with(monkeypatch, tenant.timeline, tenant.quarantine, devices=("gluco-0001",), tenant=tenant)
    record = sqs_record(body(device_id="gluco-0001", reading_id="g-1", measurements=one("blood_glucose", 54, "mmol/L")),
                        sent_timestamp_ms=SENT_MS)

    handler.lambda_handler({"Records": [record]}, FakeLambdaContext())

    # THEN it is not stored as a glucose of 54, but kept with its reason
    assert tenant.timeline.entries == []
    assert [m.reason.value for m in tenant.quarantine.messages.values()] == ["implausible_value"]
