"""The patient's side of a PHQ-9 item 9 answer: the app is told the red advice of the mental-health plan,
which names where to get help now (113, 116 117, Mental Helse 116 123, Kirkens SOS 22 40 00 40), and no
score or answer goes back out. The process_readings handler on in-memory ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.registry import DeviceAssignment, Patient
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.fakes import FakeTenant
from tests.support.payloads import RECEIVED_AT, message

PATIENT = Patient("P-MENT0042", "03895200076", "mental_health")
APP = "app-0042"


def test_phq9_item_9_gets_the_red_advice_with_the_helplines(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = FakeTenant()
    tenant.registry.register_patient(PATIENT)
    tenant.registry.assign_device(DeviceAssignment(APP, PATIENT.patient_id, datetime(2026, 10, 1, tzinfo=UTC)))
    handler = load_handler("process_readings")
    pipeline = tenant.pipeline()
    monkeypatch.setattr(handler, "readings_pipeline", lambda: pipeline)
    answers = {**{f"phq9_{i}": "LA6568-5" for i in range(1, 9)}, "phq9_9": "LA6570-1"}
    document = message(device_id=APP, symptoms={"questionnaire": "phq9", "answers": answers},
                       measured_at=(RECEIVED_AT - timedelta(minutes=1)).isoformat())
    del document["measurements"]
    record = sqs_record(json.dumps(document), sent_timestamp_ms=int(RECEIVED_AT.timestamp() * 1000))

    assert handler.lambda_handler({"Records": [record]}, FakeLambdaContext()) == {"batchItemFailures": []}

    [sent] = [json.loads(p) for topic, p, _ in tenant.messenger.published if topic == f"dho/bodo/devices/{APP}/advice"]
    assert (sent["zone"], sent["text"]) == ("red", ADVICE_TEMPLATES["mental_health"][AdviceLanguage.BOKMAL].red)
    for number in ("113", "116 117", "116 123", "22 40 00 40"):
        assert number in sent["text"]
    assert "LA6570" not in json.dumps(sent) and "phq9" not in json.dumps(sent)
