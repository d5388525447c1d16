"""The patient's side of the loop on the local cloud: a device subscribes to its advice topic, publishes a
yellow SpO2 over MQTT, the rules engine queues it, process_readings scores it and publishes the plan's
yellow advice with iot-data (moto, bridged to the broker), and the device receives it through the front
door. Another device can neither subscribe to that topic nor receive from it. The same for the retained
config message a device gets when it subscribes, which is gone once the device is returned. And the hourly
check of the escalation sweep reminds a patient's app of a late questionnaire, once."""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.iot_data_messenger import IotDataMessenger
from dho.advice.device_config import DeviceConfigPublisher
from dho.domain.metrics import Metric
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage
from dho.domain.plans import Programme, plan_from_template
from dho.domain.registry import DeviceAssignment, Patient, roster_slot
from localcloud.cloud_assembly import ResourceRef, StackTemplate
from localcloud.device_auth import DeviceIdentity
from localcloud.lambda_loader import FakeLambdaContext, load_handler
from localcloud.local_iot import LocalIot, running_local_iot
from localcloud.moto_harness.iot_data_bridge import bridge_to
from localcloud.mqtt_broker import installed_kinds
from localcloud.simulator.cohort import Device, DeviceKind
from localcloud.simulator.listening import ListeningDevice, RemeasuringDevice
from localcloud.sqs_events import sqs_record
from localcloud.tenant_table import create_tenant_table
from tests.support.mqtt_device import TestDevice

THINGS = {"oxi-0001": "bodo", "oxi-0002": "bodo", "app-0001": "bodo"}
PATIENT = Patient("P-E2E00001", "03895200076", "copd")
CANCER = Patient("P-E2E00002", "03895200157", "cancer")  # answers ESAS-r daily in the app
ADVICE_DELIVERY_SECONDS = 5.0
NOTHING_RETAINED_SECONDS = 1.0  # a retained message arrives right after the subscribe is acknowledged


def advice(device: str) -> str:
    return f"dho/bodo/devices/{device}/advice"


@dataclass
class Tenant:
    iot: LocalIot
    sqs: Any
    queue_url: str

    def device(self, thing: str) -> TestDevice:
        return TestDevice(self.iot.front_door.host, self.iot.front_door.port, thing, "bodo")

    def process_queued_readings(self) -> dict[str, Any]:
        """What Lambda's SQS poller does: hand the queued messages to process_readings in one batch."""
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10,
                                            AttributeNames=["SentTimestamp"]).get("Messages", [])
        records = [sqs_record(m["Body"], sent_timestamp_ms=int(m["Attributes"]["SentTimestamp"])) for m in messages]
        result: dict[str, Any] = load_handler("process_readings").lambda_handler({"Records": records},
                                                                                   FakeLambdaContext())
        return result


@pytest.fixture(params=installed_kinds())
def tenant(request: pytest.FixtureRequest, tmp_path: Path, e2e_moto_endpoint: str, stacks: list[StackTemplate],
           monkeypatch: pytest.MonkeyPatch) -> Iterator[Tenant]:
    # GIVEN Bodø's table with a COPD patient who has the oximeter oxi-0001, and the function's environment
    dynamodb, sqs = boto3.client("dynamodb"), boto3.client("sqs")
    table = f"dho-bodo-{uuid.uuid4().hex[:8]}"
    create_tenant_table(dynamodb, table)
    registry = DynamoDbRegistry(dynamodb, table)
    registry.register_patient(PATIENT)
    registry.assign_device(DeviceAssignment("oxi-0001", PATIENT.patient_id, datetime.now(UTC) - timedelta(days=1)))
    topic_arn = boto3.client("sns").create_topic(Name=f"dho-bodo-alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    for name, value in {"DHO_TENANT_ID": "bodo", "DHO_TABLE_NAME": table, "DHO_ALERT_TOPIC_ARN": topic_arn,
                        "DHO_TENANT_NAME": "Bodø"}.items():
        monkeypatch.setenv(name, value)
    queue_url = sqs.create_queue(QueueName=f"dho-bodo-readings-{uuid.uuid4().hex[:8]}")["QueueUrl"]

    def readings_queue(ref: ResourceRef) -> str:
        return queue_url

    with running_local_iot([s for s in stacks if s.stack_name == "DhoTenant-bodo"], sqs=sqs,
                           resolver=readings_queue, things=THINGS, broker_kind=request.param,
                           state_dir=tmp_path) as iot:
        credentials = iot.broker.credentials
        with bridge_to(iot.broker.host, iot.broker.port, credentials.username, credentials.password):
            yield Tenant(iot, sqs, queue_url)


def _spo2(value: float) -> str:
    measured = datetime.now(UTC) - timedelta(minutes=1)
    return json.dumps({"schema": "dho.device-reading/1", "device": {"id": "oxi-0001"},
                       "reading_id": f"oxi-0001-{uuid.uuid4().hex[:8]}", "measured_at": measured.isoformat(),
                       "measurements": [{"metric": "spo2", "value": value, "unit": "%"}]})


def _measure(tenant: Tenant, oximeter: TestDevice, spo2: float, delivered: int) -> tuple[str, dict[str, Any]]:
    """Publish a reading, let the rule queue it and process_readings score it; the advice within 5 s."""
    oximeter.message_arrived.clear()
    reading = _spo2(spo2)
    assert oximeter.publish("dho/bodo/devices/oxi-0001/readings", reading)
    tenant.iot.engine.wait_for(lambda counts: counts.delivered == delivered)
    assert tenant.process_queued_readings() == {"batchItemFailures": []}
    processed = time.monotonic()
    assert oximeter.message_arrived.wait(ADVICE_DELIVERY_SECONDS)
    assert time.monotonic() - processed < ADVICE_DELIVERY_SECONDS
    topic, payload = oximeter.received[-1]
    assert topic == advice("oxi-0001")
    return json.loads(reading)["reading_id"], json.loads(payload)


def test_a_device_receives_the_yellow_advice_of_its_plan_within_5_s_and_the_confirmation_after_measuring_again(
    tenant: Tenant,
) -> None:
    oximeter = tenant.device("oxi-0001")
    assert oximeter.connect() and oximeter.subscribe(advice("oxi-0001"))
    texts = ADVICE_TEMPLATES["copd"][AdviceLanguage.BOKMAL]

    # WHEN the patient measures SpO2 90 % (yellow in the COPD plan) and the reading is processed
    reading_id, message = _measure(tenant, oximeter, 90, delivered=1)

    # THEN the oximeter gets, within 5 s, the plan's yellow-zone advice for it: measure again in 5 minutes
    assert (message["zone"], message["kind"], message["text"], message["plan_version"], message["reading_id"]) == (
        "yellow", "remeasure", texts.remeasure, 1, reading_id)

    # WHEN the patient measures again (still yellow), THEN the yellow advice comes as a confirmation
    reading_id, message = _measure(tenant, oximeter, 91, delivered=2)
    assert (message["zone"], message["kind"], message["text"], message["reading_id"]) == (
        "yellow", "confirmed", texts.yellow, reading_id)
    oximeter.close()


def test_another_device_cannot_subscribe_to_or_receive_a_patients_advice(tenant: Tenant) -> None:
    # WHEN another device of the same tenant subscribes to the patient's advice topic, by name or by wildcard
    forger = tenant.device("oxi-0002")
    assert forger.connect()
    refused = not forger.subscribe(advice("oxi-0001"))
    wildcard = tenant.device("oxi-0002")
    assert wildcard.connect()
    wildcard_refused = not wildcard.subscribe("dho/bodo/devices/+/advice")

    # THEN both are refused (the connection is closed, as IoT Core does) and counted
    assert refused and wildcard_refused
    assert tenant.iot.front_door.counts.subscribes_refused == 2
    # and the policy gives it no iot:Receive on that topic either, while the owner has it
    authorizer = tenant.iot.front_door.authorizer
    assert not authorizer.evaluate(DeviceIdentity("oxi-0002", "bodo"), "iot:Receive",
                                   authorizer.arn("topic", advice("oxi-0001"))).allowed
    assert authorizer.evaluate(DeviceIdentity("oxi-0001", "bodo"), "iot:Receive",
                               authorizer.arn("topic", advice("oxi-0001"))).allowed

    # WHEN the patient's yellow reading is processed afterwards, the forger has received nothing
    owner = tenant.device("oxi-0001")
    assert owner.connect() and owner.subscribe(advice("oxi-0001"))
    assert owner.publish("dho/bodo/devices/oxi-0001/readings", _spo2(90))
    tenant.iot.engine.wait_for(lambda counts: counts.delivered == 1)
    tenant.process_queued_readings()
    assert owner.message_arrived.wait(ADVICE_DELIVERY_SECONDS)
    assert forger.received == [] and wildcard.received == []
    owner.close()


def config(device: str) -> str:
    return f"dho/bodo/devices/{device}/config"


def test_a_device_that_connects_later_gets_its_retained_config_and_another_device_cannot_subscribe_to_it(
    tenant: Tenant,
) -> None:
    # GIVEN the centre published the oximeter's config (retained) while the oximeter was off
    plan = plan_from_template(PATIENT.patient_id, Programme.COPD, datetime.now(UTC))
    publisher = DeviceConfigPublisher("bodo", IotDataMessenger(boto3.client("iot-data")))
    assert publisher.publish(plan, ["oxi-0001"]) == ["oxi-0001"]

    # WHEN the oximeter connects and subscribes to its config topic
    oximeter = tenant.device("oxi-0001")
    assert oximeter.connect() and oximeter.subscribe(config("oxi-0001"))

    # THEN the broker hands it the retained config: what is due, how often, no person
    assert oximeter.message_arrived.wait(ADVICE_DELIVERY_SECONDS)
    topic, payload = oximeter.received[-1]
    message = json.loads(payload)
    assert topic == config("oxi-0001")
    assert [m["metric"] for m in message["measurements"]] == ["heart_rate", "spo2"]
    assert message["questionnaires"] == [{"questionnaire": "copd", "every_hours": 24, "grace_hours": 12}]
    assert PATIENT.patient_id not in payload.decode() and PATIENT.national_id not in payload.decode()

    # WHEN another device subscribes to that config topic, THEN it is refused and receives nothing
    forger = tenant.device("oxi-0002")
    assert forger.connect()
    assert not forger.subscribe(config("oxi-0001"))
    assert forger.received == []
    oximeter.close()

    # WHEN the oximeter comes back (unassigned), its config is cleared: the broker drops the retained message
    assert publisher.clear(["oxi-0001"]) == ["oxi-0001"]

    # THEN the oximeter, subscribing again for its next holder, is told nothing of this patient's plan
    returned = tenant.device("oxi-0001")
    assert returned.connect() and returned.subscribe(config("oxi-0001"))
    assert not returned.message_arrived.wait(NOTHING_RETAINED_SECONDS)
    assert returned.received == []
    returned.close()


def test_a_simulated_oximeter_measures_again_when_prompted_and_gets_the_confirmation(tenant: Tenant) -> None:
    # GIVEN a simulated oximeter listening to its advice topic, whose patient's SpO2 is 90 % (yellow)
    host, port = tenant.iot.front_door.host, tenant.iot.front_door.port
    oximeter = RemeasuringDevice("bodo", PATIENT.patient_id, Device("oxi-0001", DeviceKind.OXIMETER, "Nonin 3230"),
                                 lambda at: {Metric.SPO2: 90.0})
    listening = ListeningDevice(host, port, oximeter)
    listening.start()
    try:
        # WHEN it sends a reading and the platform processes it
        listening.publish(oximeter.reading(datetime.now(UTC) - timedelta(minutes=10)))
        tenant.iot.engine.wait_for(lambda counts: counts.delivered == 1)
        assert tenant.process_queued_readings() == {"batchItemFailures": []}

        # THEN it is prompted, and measures again on its own (5 simulated minutes later)
        assert listening.wait_for_advice(1, ADVICE_DELIVERY_SECONDS)
        tenant.iot.engine.wait_for(lambda counts: counts.delivered == 2)
        assert tenant.process_queued_readings() == {"batchItemFailures": []}

        # and the re-measurement gets the yellow text as a confirmation
        assert listening.wait_for_advice(2, ADVICE_DELIVERY_SECONDS)
        assert [(m["kind"], m["zone"]) for m in oximeter.told] == [("remeasure", "yellow"), ("confirmed", "yellow")]
    finally:
        listening.close()


def _esas_r(measured: datetime) -> str:
    others = ("tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
              "wellbeing", "other")
    return json.dumps({"schema": "dho.device-reading/1", "device": {"id": "app-0001"},
                       "reading_id": f"app-0001-{uuid.uuid4().hex[:8]}", "measured_at": measured.isoformat(),
                       "symptoms": {"questionnaire": "esas_r",
                                    "answers": {"esas_pain": 2, **{f"esas_{k}": 1 for k in others}}}})


def test_the_hourly_check_reminds_the_app_once_of_a_late_questionnaire_before_the_nurses_list_shows_it(
    tenant: Tenant,
) -> None:
    # GIVEN a cancer patient (ESAS-r daily, 12 h grace) whose app sent its last answer 25 h before the hourly
    # check of the patient's minute
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    tick = now - timedelta(minutes=(now.minute - roster_slot(CANCER.patient_id)) % 60)
    registry = DynamoDbRegistry(boto3.client("dynamodb"), os.environ["DHO_TABLE_NAME"])
    registry.register_patient(CANCER)
    registry.assign_device(DeviceAssignment("app-0001", CANCER.patient_id, tick - timedelta(days=3)))
    app = tenant.device("app-0001")
    assert app.connect() and app.subscribe(advice("app-0001"))
    answer = _esas_r(tick - timedelta(hours=25))
    assert app.publish("dho/bodo/devices/app-0001/readings", answer)
    tenant.iot.engine.wait_for(lambda counts: counts.delivered == 1)
    assert tenant.process_queued_readings() == {"batchItemFailures": []}  # stored (too old for advice of its own)
    told = len(app.received)
    app.message_arrived.clear()

    # WHEN the escalation sweep ticks at the patient's minute, and the tick is retried
    sweep = load_handler("escalate_alerts")
    first = sweep.lambda_handler({"time": tick.strftime("%Y-%m-%dT%H:%M:%SZ")}, FakeLambdaContext())
    again = sweep.lambda_handler({"time": tick.strftime("%Y-%m-%dT%H:%M:%SZ")}, FakeLambdaContext())

    # THEN the app gets the plan's questionnaire reminder, once, naming the questionnaire by its code only
    assert app.message_arrived.wait(ADVICE_DELIVERY_SECONDS)
    assert not _more_than(app, told + 1, NOTHING_RETAINED_SECONDS)
    [(topic, payload)] = app.received[told:]
    reminder = json.loads(payload)
    assert topic == advice("app-0001")
    assert (reminder["kind"], reminder["questionnaire"], reminder["reading_id"], reminder["text"]) == (
        "overdue", "esas_r", json.loads(answer)["reading_id"],
        ADVICE_TEMPLATES["cancer"][AdviceLanguage.BOKMAL].overdue_questionnaire)
    assert CANCER.patient_id not in payload.decode() and CANCER.national_id not in payload.decode()
    # and the nurse's missed list does not show it yet (within the grace)
    assert (first["overdue_reminders"], again["overdue_reminders"], first["adherence_overdue"]) == (1, 0, 0)
    app.close()


def _more_than(device: TestDevice, count: int, seconds: float) -> bool:
    """Whether ``device`` receives more than ``count`` messages within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if len(device.received) > count:
            return True
        time.sleep(0.05)
    return len(device.received) > count
