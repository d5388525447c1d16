"""The patient's side of the loop: after each scored reading the device is told the zone of that reading
for its patient and what the plan says to do, on its own advice topic; the nurse sees what was sent.
The process_readings handler on in-memory ports."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from types import ModuleType

import pytest

from dho.advice.service import AdviceService
from dho.domain.advice import Advice, SendOutcome
from dho.domain.findings import Rule, Severity
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage, ZoneAdvice
from dho.domain.plans import Programme, plan_from_template, revise
from dho.domain.registry import DeviceAssignment, Patient
from dho.evaluation.adherence import plan_in_force
from dho.pipeline import ReadingsPipeline
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.sqs_events import sqs_record
from tests.support.fakes import FakeTenant
from tests.support.payloads import RECEIVED_AT, body, one

PATIENT = Patient("P-AAAA0001", "03895200076", "copd")
OXIMETER = "oxi-0001"
TOPIC = f"dho/bodo/devices/{OXIMETER}/advice"
COPD_NB = ADVICE_TEMPLATES["copd"][AdviceLanguage.BOKMAL]


def _handler(
    monkeypatch: pytest.MonkeyPatch, tenant: FakeTenant, pipeline: ReadingsPipeline | None = None
) -> ModuleType:
    tenant.registry.register_patient(PATIENT)
    tenant.registry.assign_device(DeviceAssignment(OXIMETER, PATIENT.patient_id, datetime(2026, 10, 1, tzinfo=UTC)))
    handler = load_handler("process_readings")
    built = pipeline or tenant.pipeline()
    monkeypatch.setattr(handler, "readings_pipeline", lambda: built)
    return handler


def _spo2(reading_id: str, value: float, after: timedelta = timedelta(0)) -> dict[str, object]:
    arrived = RECEIVED_AT + after
    message = body(reading_id=reading_id, measurements=one("spo2", value, "%"), received_at=arrived,
                   measured_at=(arrived - timedelta(minutes=1)).isoformat())
    return sqs_record(message, sent_timestamp_ms=int(arrived.timestamp() * 1000))


def _sent(tenant: FakeTenant) -> list[dict[str, object]]:
    return [json.loads(payload) for topic, payload, _ in tenant.messenger.published if topic == TOPIC]


@pytest.mark.parametrize(("spo2", "zone", "kind", "text"), [
    (95, "green", "zone", COPD_NB.green),
    (90, "yellow", "remeasure", COPD_NB.remeasure),  # the COPD plan asks a single yellow to measure again
    (86, "red", "remeasure", f"{COPD_NB.remeasure} {COPD_NB.red}"),  # one red reading: again, and when to call 113
    (80, "red", "zone", COPD_NB.red),  # below the safety floor: red at once, nothing to wait for
])
def test_the_device_is_told_the_zone_of_its_reading_and_the_plan_text_for_it(
    monkeypatch: pytest.MonkeyPatch, spo2: float, zone: str, kind: str, text: str
) -> None:
    # GIVEN a COPD patient on the programme's plan (yellow below 92 %, red below 88 %)
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)

    # WHEN the patient's oximeter sends an SpO2
    assert handler.lambda_handler({"Records": [_spo2("r-1", spo2)]}, FakeLambdaContext()) == {"batchItemFailures": []}

    # THEN its own advice topic gets one message: the zone, the plan's text, the plan version, the reading
    [message] = _sent(tenant)
    assert (message["zone"], message["kind"], message["text"], message["plan_version"], message["reading_id"]) == (
        zone, kind, text, 1, "r-1")
    # and nothing about the person or the value: only these fields go out
    assert set(message) == {"message_id", "kind", "reading_id", "zone", "text", "language", "plan_version", "sent_at"}
    assert PATIENT.patient_id not in json.dumps(message) and PATIENT.national_id not in json.dumps(message)


def test_a_red_advice_always_tells_the_patient_to_call_113() -> None:
    for programme in Programme:
        for language in AdviceLanguage:
            assert "113" in plan_from_template("P-1", programme, RECEIVED_AT).advice_texts(language).red


def test_a_nurse_cannot_save_a_red_advice_without_113() -> None:
    plan = plan_from_template("P-1", Programme.COPD, RECEIVED_AT)
    with pytest.raises(ValueError, match="113"):
        ZoneAdvice(**{**COPD_NB.model_dump(), "red": "Ring responssenteret."})
    texts = {AdviceLanguage.BOKMAL: {**COPD_NB.model_dump(), "red": "Ring sykepleier."}}
    with pytest.raises(ValueError, match="113"):
        revise(plan, changed_by="9144900", at=RECEIVED_AT, note="shorter texts", advice=texts)


def test_the_nurses_own_texts_in_nynorsk_reach_a_nynorsk_municipalitys_device(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN a plan version 2 with the nurse's own yellow text in nynorsk, in a municipality that chose nynorsk
    tenant = FakeTenant()
    plan = plan_from_template(PATIENT.patient_id, Programme.COPD, datetime(2026, 10, 1, tzinfo=UTC))
    own = {**ADVICE_TEMPLATES["copd"][AdviceLanguage.NYNORSK].model_dump(), "yellow": "Ta raudpakka og ring oss."}
    tenant.plans.save(plan)
    tenant.plans.save(revise(plan, changed_by="9144900", at=RECEIVED_AT, note="eigen tekst",
                             advice={AdviceLanguage.NYNORSK: own}, remeasure_yellow_after_minutes=None))
    pipeline = tenant.pipeline()
    advice = AdviceService("bodo", lambda p, at: plan_in_force(tenant.plans, tenant.registry, p, at),
                           tenant.messenger, tenant.advice_log, language=AdviceLanguage.NYNORSK)
    monkeypatch.setattr(pipeline, "_advice", advice)
    handler = _handler(monkeypatch, tenant, pipeline)

    # WHEN a yellow SpO2 arrives, and its re-measurement is yellow too
    _handle(handler, _spo2("r-1", 90))
    _handle(handler, _spo2("r-2", 90, timedelta(minutes=5)))

    # THEN the first is asked again in nynorsk, the confirmed yellow gets the nurse's nynorsk text of version 2
    first, confirmed = _sent(tenant)
    assert (first["kind"], first["text"]) == ("remeasure", own["remeasure"])
    assert (confirmed["text"], confirmed["language"], confirmed["plan_version"]) == (
        "Ta raudpakka og ring oss.", "nn", 2)


def test_a_plan_stored_before_advice_texts_existed_gets_the_programmes_texts() -> None:
    plan = plan_from_template("P-1", Programme.HEART_FAILURE, RECEIVED_AT).model_copy(update={"advice": None})
    assert plan.advice_texts(AdviceLanguage.BOKMAL) == ADVICE_TEMPLATES["heart_failure"][AdviceLanguage.BOKMAL]


def test_a_redelivered_batch_sends_no_second_advice(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)
    event = {"Records": [_spo2("r-1", 90)]}

    handler.lambda_handler(event, FakeLambdaContext())
    handler.lambda_handler(event, FakeLambdaContext())  # SQS delivers the batch again

    assert len(_sent(tenant)) == 1


def test_the_advice_log_is_read_only_for_a_reading_stored_before(monkeypatch: pytest.MonkeyPatch) -> None:
    # GIVEN an advice log that counts its lookups (one DynamoDB read each)
    tenant = FakeTenant()
    lookups: list[str] = []
    recorded = tenant.advice_log.recorded

    def counted(advice: Advice) -> Advice | None:
        lookups.append(advice.reading_id)
        return recorded(advice)

    monkeypatch.setattr(tenant.advice_log, "recorded", counted)
    handler = _handler(monkeypatch, tenant)

    # WHEN a new reading arrives, then SQS delivers its batch again
    handler.lambda_handler({"Records": [_spo2("r-1", 95)]}, FakeLambdaContext())
    assert lookups == []  # a reading stored for the first time cannot have had its advice yet
    handler.lambda_handler({"Records": [_spo2("r-1", 95)]}, FakeLambdaContext())

    # THEN only the redelivery looked the advice up, and the device was told once
    assert lookups == ["r-1"]
    assert len(_sent(tenant)) == 1


def test_iot_core_down_fails_no_reading_and_the_nurse_sees_the_advice_was_not_sent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN IoT Core refusing every publish
    tenant = FakeTenant()
    tenant.messenger.failing = True
    handler = _handler(monkeypatch, tenant)

    # WHEN a red SpO2 arrives
    response = handler.lambda_handler({"Records": [_spo2("r-1", 80)]}, FakeLambdaContext())

    # THEN the reading is kept and the nurses are alerted as always
    assert response == {"batchItemFailures": []}
    assert [e.reading_id for e in tenant.timeline.entries] == ["r-1"]
    assert [n.severity.value for n, _ in tenant.notifier.sent] == ["red"]
    # and the patient's history says the red advice was not sent, and why (an error type, no message)
    [record] = tenant.advice_log.records.values()
    assert (record.zone.value, record.outcome, record.error) == ("red", SendOutcome.NOT_SENT, "TransientStoreError")

    # WHEN the batch comes again with IoT Core back, the advice goes out then, once
    tenant.messenger.failing = False
    handler.lambda_handler({"Records": [_spo2("r-1", 80)]}, FakeLambdaContext())
    assert [m["zone"] for m in _sent(tenant)] == ["red"]
    assert [r.outcome for r in tenant.advice_log.records.values()] == [SendOutcome.SENT]


def _handle(handler: ModuleType, *records: dict[str, object]) -> None:
    assert handler.lambda_handler({"Records": list(records)}, FakeLambdaContext()) == {"batchItemFailures": []}


def test_a_single_yellow_is_asked_to_measure_again_and_a_second_yellow_confirms_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # GIVEN a COPD plan that asks a single yellow SpO2 to be measured again in 5 minutes
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)

    # WHEN the patient measures 90 %, then again 6 minutes later 91 %
    _handle(handler, _spo2("r-1", 90))
    # THEN one reading out of band is no alert yet (often a cold finger): it awaits the re-measurement
    assert tenant.alerts.alerts == {}
    _handle(handler, _spo2("r-2", 91, timedelta(minutes=6)))
    # and the second confirms it: the nurse's yellow alert
    assert [(a.rule, a.severity) for a in tenant.alerts.alerts.values()] == [(Rule.SPO2_BAND, Severity.YELLOW)]

    # THEN the first gets "measure again", the second the plan's yellow text as a confirmation
    assert [(m["reading_id"], m["kind"], m["text"]) for m in _sent(tenant)] == [
        ("r-1", "remeasure", COPD_NB.remeasure), ("r-2", "confirmed", COPD_NB.yellow)]


def test_a_red_after_a_re_measure_prompt_gets_the_red_advice_and_the_red_alert_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)

    _handle(handler, _spo2("r-1", 90))
    _handle(handler, _spo2("r-2", 84, timedelta(minutes=5)))

    assert [(m["reading_id"], m["zone"], m["kind"]) for m in _sent(tenant)] == [
        ("r-1", "yellow", "remeasure"), ("r-2", "red", "zone")]
    assert "113" in str(_sent(tenant)[-1]["text"])
    assert Severity.RED in [n.severity for n, _ in tenant.notifier.sent]


def test_a_single_red_above_the_floor_is_asked_again_and_its_confirmation_is_the_red_alert_and_advice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)

    _handle(handler, _spo2("r-1", 86))
    assert tenant.alerts.alerts == {} and tenant.notifier.sent == []  # one reading: not yet a fact
    _handle(handler, _spo2("r-2", 87, timedelta(minutes=5)))

    assert [(m["reading_id"], m["zone"], m["kind"]) for m in _sent(tenant)] == [
        ("r-1", "red", "remeasure"), ("r-2", "red", "zone")]
    assert all("113" in str(m["text"]) for m in _sent(tenant))
    assert [(a.rule, a.severity) for a in tenant.alerts.alerts.values()] == [(Rule.SPO2_BAND, Severity.RED)]


def test_a_yellow_long_after_the_prompt_is_asked_to_measure_again(monkeypatch: pytest.MonkeyPatch) -> None:
    tenant = FakeTenant()
    handler = _handler(monkeypatch, tenant)

    _handle(handler, _spo2("r-1", 90))
    _handle(handler, _spo2("r-2", 90, timedelta(hours=3)))

    assert [m["kind"] for m in _sent(tenant)] == ["remeasure", "remeasure"]
