"""Readings in, nurse alerts out: the real process_readings handler on a moto server, with the alert
topic observed through an SQS queue subscribed to it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.alerting.policy import AlertPolicy
from dho.domain.plans import Programme, plan_from_template
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from infra.config import load_config
from localcloud.corpus import registry
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.queues import TopicInbox
from localcloud.sqs_events import sqs_event
from localcloud.tenant_table import scan_all

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
HF, COPD = "P-HF000001", "P-C0PD0001"


def _message(
    device: str, reading_id: str, at: datetime, metric: str, value: float, unit: str, received: datetime = NOW
) -> str:
    return json.dumps(
        {
            "schema": "dho.device-reading/1",
            "device": {"id": device},
            "reading_id": reading_id,
            "measured_at": at.isoformat(),
            "measurements": [{"metric": metric, "value": value, "unit": unit}],
            "tenant": "bodo",
            "device_id": device,
            "received_at": int(received.timestamp() * 1000),
        }
    )


@pytest.fixture
def tenant(dynamodb: Any, tenant_table: str, alert_inbox: TopicInbox) -> str:
    """A heart-failure patient with a scale and a COPD patient with an oximeter, on template plans."""
    reg = DynamoDbRegistry(dynamodb, tenant_table)
    plans = DynamoDbPlans(dynamodb, tenant_table)
    numbers = {p["patient_id"]: p["national_id"] for p in registry()["patients"]}
    for patient_id, programme, device in (
        (HF, Programme.HEART_FAILURE, "scale-0001"),
        (COPD, Programme.COPD, "oxi-0001"),
    ):
        reg.register_patient(Patient(patient_id, numbers[patient_id], programme.value))
        reg.assign_device(DeviceAssignment(device, patient_id, NOW - timedelta(days=30)))
        plans.save(plan_from_template(patient_id, programme, NOW - timedelta(days=30)))
    return tenant_table


def _batch(now: datetime = NOW) -> list[str]:
    """Weight up 2.5 kg over three days (a gateway flushing its buffer) and an SpO2 fall below 88 %, confirmed
    by a re-measurement six minutes later (one low reading alone only asks the patient to measure again)."""
    weights = [
        _message("scale-0001", f"w-{day}", now - timedelta(days=3 - day, hours=4), "body_weight", value, "kg", now)
        for day, value in enumerate((80.0, 80.8, 81.7, 82.5))
    ]
    spo2 = [
        _message("oxi-0001", f"s-{i}", now - timedelta(hours=hours), "spo2", value, "%", now)
        for i, (hours, value) in enumerate(((30, 94), (20, 93), (2, 86), (1.9, 87)))
    ]
    return weights + spo2


def _alerts(dynamodb: Any, table: str) -> dict[tuple[str, str], dict[str, Any]]:
    items = scan_all(dynamodb, table)
    alerts = [i for i in items if i["sk"]["S"].startswith("ALERT#") and "rule" in i]
    return {(a["pk"]["S"].removeprefix("PATIENT#"), a["rule"]["S"]): a for a in alerts}


def test_weight_gain_and_an_spo2_fall_give_exactly_those_alerts_each_told_once(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    handler = load_handler("process_readings")
    # WHEN the batch is processed
    response = handler.lambda_handler(
        sqs_event(_batch(), sent_timestamp_ms=int(NOW.timestamp() * 1000)), FakeLambdaContext()
    )

    # THEN every reading is acknowledged
    assert response == {"batchItemFailures": []}
    # AND exactly two alerts are stored: weight gain (yellow) and SpO2 band (red)
    alerts = _alerts(dynamodb, tenant)
    assert {key: a["severity"]["S"] for key, a in alerts.items()} == {
        (HF, "weight_gain"): "yellow",
        (COPD, "spo2_band"): "red",
    }
    # AND the nurses' topic got one notification per alert, filterable by severity
    sent = alert_inbox.messages()
    assert sorted(m["MessageAttributes"]["severity"]["Value"] for m in sent) == ["red", "yellow"]
    # AND no text carries a national id, a full pseudonym or a measured value
    texts = " ".join(m["Message"] for m in sent)
    for patient in registry()["patients"]:
        assert patient["national_id"] not in texts
    assert HF not in texts and COPD not in texts
    for value in ("82.5", "82,5", "86", "2.5", "2,5", "80"):
        assert value not in texts


def test_a_replayed_batch_stores_no_second_alert_and_sends_no_second_sms(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    handler = load_handler("process_readings")
    event = sqs_event(_batch(), sent_timestamp_ms=int(NOW.timestamp() * 1000))
    handler.lambda_handler(event, FakeLambdaContext())
    first_alerts = _alerts(dynamodb, tenant)
    assert len(alert_inbox.messages()) == 2

    # WHEN SQS delivers the same batch again
    handler.lambda_handler(sqs_event(_batch(), sent_timestamp_ms=int(NOW.timestamp() * 1000)), FakeLambdaContext())

    # THEN the alerts are as they were and nobody is told again
    assert _alerts(dynamodb, tenant) == first_alerts
    assert alert_inbox.messages() == []


def test_after_the_nurse_closes_the_alerts_a_replay_tells_nobody_and_only_a_newer_reading_opens_one(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    handler = load_handler("process_readings")

    def deliver(bodies: list[str], at: datetime) -> None:
        event = sqs_event(bodies, sent_timestamp_ms=int(at.timestamp() * 1000))
        assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}

    # GIVEN the batch, then a lower SpO2 20 minutes later (counted on the open red), both closed by a nurse
    deliver(_batch(), NOW)
    lower = [
        _message("oxi-0001", "s-3", NOW + timedelta(minutes=20), "spo2", 85, "%", received=NOW + timedelta(minutes=21))
    ]
    deliver(lower, NOW + timedelta(minutes=21))
    assert len(alert_inbox.messages()) == 2
    repo, policy = DynamoDbAlerts(dynamodb, tenant), AlertPolicy()
    for alert in repo.triage():
        repo.save(policy.close(alert, "1234567", NOW + timedelta(minutes=30)), alert.version)
    closed = [i for i in scan_all(dynamodb, tenant) if i["sk"]["S"].startswith("ALERT#") and "rule" in i]
    assert len(closed) == 2

    # WHEN SQS delivers both batches again after the close
    deliver(lower, NOW + timedelta(minutes=21))
    deliver(_batch(), NOW)

    # THEN no alert is opened and nobody is told
    assert repo.triage() == [] and alert_inbox.messages() == []
    assert [i for i in scan_all(dynamodb, tenant) if i["sk"]["S"].startswith("ALERT#") and "rule" in i] == closed

    # WHEN a reading measured after the close is just as low
    deliver(
        [
            _message(
                "oxi-0001", "s-4", NOW + timedelta(minutes=40), "spo2", 85, "%", received=NOW + timedelta(minutes=41)
            )
        ],
        NOW + timedelta(minutes=41),
    )

    # THEN a new red alert is opened and told once
    (new,) = repo.triage()
    assert (new.patient_id, new.rule.value, new.opened_at) == (COPD, "spo2_band", NOW + timedelta(minutes=40))
    assert [m["MessageAttributes"]["severity"]["Value"] for m in alert_inbox.messages()] == ["red"]


def test_an_sms_that_could_not_be_published_after_its_alert_was_written_is_sent_once_by_the_sweep(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The functions' wall clock is this test's NOW (it dates the outbox entries).
    monkeypatch.setattr("dho.alerting.service.utc_now", lambda: NOW + timedelta(seconds=2))
    spo2_fall = [_message("oxi-0001", f"s-{i}", NOW - timedelta(minutes=minutes), "spo2", 86, "%")
                 for i, minutes in ((8, 66), (9, 60))]
    event = sqs_event(spo2_fall, sent_timestamp_ms=int(NOW.timestamp() * 1000))

    # GIVEN SNS refuses the publish that follows the write (here: the topic is not there); the record is
    # acknowledged all the same (the alert is written, the notification waits in the outbox)
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", alert_inbox.topic_arn.rsplit(":", 1)[0] + ":dho-bodo-gone")
    assert load_handler("process_readings").lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    (alert,) = DynamoDbAlerts(dynamodb, tenant).triage()
    assert (alert.patient_id, alert.rule.value, alert.severity.value) == (COPD, "spo2_band", "red")
    assert alert_inbox.messages() == []

    # WHEN SNS is back, SQS delivers the batch again all the same (at least once: a replay has nothing new)
    monkeypatch.setenv("DHO_ALERT_TOPIC_ARN", alert_inbox.topic_arn)
    assert load_handler("process_readings").lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert alert_inbox.messages() == []

    # AND the sweep runs: within the grace period it leaves the notification alone, after it sends it
    sweep = load_handler("escalate_alerts")
    within = sweep.lambda_handler({"time": "2026-11-20T12:00:30Z"}, FakeLambdaContext())
    assert within["notified"] == 0 and alert_inbox.messages() == []
    after = sweep.lambda_handler({"time": "2026-11-20T12:02:00Z"}, FakeLambdaContext())

    # THEN the nurses get exactly one message: the red's first SMS, as it would have been sent
    assert (after["notified"], after["redelivered"]) == (1, 1)
    (message,) = alert_inbox.messages()
    attributes = {name: a["Value"] for name, a in message["MessageAttributes"].items()}
    assert (attributes["severity"], attributes["kind"], attributes["alert_id"]) == ("red", "new", alert.alert_id)
    assert message["Message"] == (
        "DHO Bodø: RØDT varsel, pasient 0001: oksygenmetning utenfor personlige grenser. Åpne DHO-arbeidslisten."
    )
    # AND the outbox is empty: the next tick sends nothing
    assert sweep.lambda_handler({"time": "2026-11-20T12:03:00Z"}, FakeLambdaContext())["notified"] == 0
    assert alert_inbox.messages() == []
    assert [i for i in scan_all(dynamodb, tenant) if i["sk"]["S"].startswith("NOTIFY#")] == []


def test_with_bodos_opening_hours_a_friday_evening_red_goes_to_the_clinic_and_the_yellow_waits_for_monday(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The functions get bodo's DHO_ALERT_POLICY as the stack gives it: open 08:00-15:30 Europe/Oslo, Mon-Fri.
    bodo = next(t for t in load_config().tenants if t.tenant_id == "bodo")
    monkeypatch.setenv("DHO_ALERT_POLICY", bodo.alert_policy_json())
    friday_evening = NOW + timedelta(hours=7)  # 20:00 in Oslo
    event = sqs_event(_batch(friday_evening), sent_timestamp_ms=int(friday_evening.timestamp() * 1000))

    # WHEN the batch arrives on Friday evening (and SQS delivers it twice)
    handler = load_handler("process_readings")
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}
    assert handler.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}

    # THEN only the red is told: on the out-of-hours route, at the out-of-hours clinic's tier; the yellow
    # is stored and waits for the opening
    (night,) = alert_inbox.messages()
    attributes = {name: a["Value"] for name, a in night["MessageAttributes"].items()}
    assert (attributes["severity"], attributes["route"], attributes["tier"]) == ("red", "out_of_hours", "2")
    assert {key: a["severity"]["S"] for key, a in _alerts(dynamodb, tenant).items()} == {
        (HF, "weight_gain"): "yellow", (COPD, "spo2_band"): "red"}

    # WHEN the sweep ticks through the weekend and Monday's opening (08:00 in Oslo = 07:00 UTC)
    sweep = load_handler("escalate_alerts")
    for tick in ("2026-11-21T10:00:00Z", "2026-11-23T06:59:00Z", "2026-11-23T07:00:00Z", "2026-11-23T07:01:00Z"):
        sweep.lambda_handler({"time": tick}, FakeLambdaContext())

    # THEN the red's repeats went to the clinic, and at opening the centre hears of the red (a reminder) and
    # of the yellow, once
    sent = [{name: a["Value"] for name, a in m["MessageAttributes"].items()} for m in alert_inbox.messages()]
    weekend, opening = sent[:-2], sent[-2:]
    assert weekend and all((m["route"], m["tier"]) == ("out_of_hours", "2") for m in weekend)
    assert sorted((m["severity"], m["kind"], m["route"], m["tier"]) for m in opening) == [
        ("red", "repeat", "centre", "0"), ("yellow", "new", "centre", "0")]


def test_a_patient_who_stops_weighing_gets_one_missed_measurement_e_mail_and_one_weight_closes_it(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    readings = load_handler("process_readings")
    sweep = load_handler("escalate_alerts")

    def deliver(bodies: list[str], at: datetime) -> None:
        event = sqs_event(bodies, sent_timestamp_ms=int(at.timestamp() * 1000))
        assert readings.lambda_handler(event, FakeLambdaContext()) == {"batchItemFailures": []}

    def tick(at: datetime) -> dict[str, Any]:
        """The sweep at the heart-failure patient's minute of the hour (its slot of the hourly checks)."""
        minute = at.replace(minute=roster_slot(HF), second=0, microsecond=0)
        return dict(sweep.lambda_handler({"time": minute.strftime("%Y-%m-%dT%H:%M:%SZ")}, FakeLambdaContext()))

    # GIVEN a steady daily weight, the newest 4 hours before NOW, and nothing since
    deliver([_message("scale-0001", f"w-{d}", NOW - timedelta(days=d, hours=4), "body_weight", 80.0, "kg")
             for d in (2, 1, 0)], NOW)
    assert _alerts(dynamodb, tenant) == {} and alert_inbox.messages() == []

    # WHEN the escalation sweep runs 40 hours later (past 24 h + 12 h grace), and its next hour
    first = tick(NOW + timedelta(hours=40))
    tick(NOW + timedelta(hours=41))

    # THEN exactly one missed-measurement alert, yellow, and one message on the yellow (e-mail) route
    assert (first["adherence_checked"], first["adherence_overdue"], first["adherence_notified"]) == (1, 1, 1)
    alerts = _alerts(dynamodb, tenant)
    assert {key: a["severity"]["S"] for key, a in alerts.items()} == {(HF, "missed_measurements"): "yellow"}
    (message,) = alert_inbox.messages()
    assert message["MessageAttributes"]["severity"]["Value"] == "yellow"
    assert message["Message"] == ("DHO Bodø: GULT varsel, pasient 0001: målinger eller skjema mangler. "
                                  "Åpne DHO-arbeidslisten.")

    # WHEN the patient weighs again
    back = NOW + timedelta(hours=41, minutes=50)
    deliver([_message("scale-0001", "w-back", back, "body_weight", 80.2, "kg", received=back)], back)

    # THEN that one reading closes it, and the next checks raise nothing and tell nobody
    repo = DynamoDbAlerts(dynamodb, tenant)
    assert repo.triage() == []
    (closed,) = _alerts(dynamodb, tenant).values()
    assert (closed["state"]["S"], closed["close_reason"]["S"]) == ("closed", "auto_quiet")
    tick(NOW + timedelta(hours=42))
    assert repo.triage() == [] and alert_inbox.messages() == []


def test_a_reading_with_two_values_is_quarantined_with_its_reason_never_stored_with_either(
    dynamodb: Any, tenant: str, alert_inbox: TopicInbox
) -> None:
    # GIVEN an oximeter message that names its SpO2 value twice (97 %, then a red 86 %), and after it a
    # good reading from the same device
    twice = _message("oxi-0001", "s-twice", NOW - timedelta(minutes=5), "spo2", 97, "%").replace(
        '"value": 97', '"value": 97, "value": 86')
    assert twice.count('"value"') == 2
    good = _message("oxi-0001", "s-good", NOW - timedelta(minutes=4), "spo2", 95, "%")
    handler = load_handler("process_readings")

    # WHEN both arrive through the handler
    response = handler.lambda_handler(sqs_event([twice, good], sent_timestamp_ms=int(NOW.timestamp() * 1000)),
                                      FakeLambdaContext())

    # THEN neither value is stored, the message is kept with its reason, and nobody is alerted
    assert response == {"batchItemFailures": []}
    items = scan_all(dynamodb, tenant)
    stored = {i["sk"]["S"].removeprefix("READING#") for i in items if i["sk"]["S"].startswith("READING#")}
    assert stored == {"s-good"}
    kept = DynamoDbQuarantine(dynamodb, tenant).list_day(NOW.date(), now=NOW).messages
    assert [(m.reason.value, m.body) for m in kept] == [("malformed_json", twice)]
    assert _alerts(dynamodb, tenant) == {} and alert_inbox.messages() == []
