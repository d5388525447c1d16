"""The whole local cloud end to end: the real CDK app deployed to the moto harness, devices publishing
over MQTT through the IoT front door, the rules engine, process_readings run from its queue, and the
SNS outbox where the nurses' SMS and e-mails land, and the response centre's HTTP API."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_quarantine import DynamoDbQuarantine
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.adapters.dynamodb_timeline import DynamoDbTimeline
from dho.domain.plans import Programme, plan_from_template
from localcloud.corpus import registry
from localcloud.local_cloud import LocalCloud, running_local_cloud
from localcloud.quarantine_listing import days_between, quarantined_on
from localcloud.registry_seed import seed_registry
from localcloud.tenant_table import scan_all
from tests.support.mqtt_device import TestDevice

pytestmark = pytest.mark.e2e

ASSEMBLY_DIR = Path(__file__).resolve().parents[2] / "build" / "localcloud" / "e2e-cdk.out"
COPD_PATIENT = "P-C0PD0001"  # has oxi-0001 in events/registry.json
BROKEN_DEVICE = "oxi-0666"  # its registry record is corrupted on purpose: the handler fails on it


@pytest.fixture(scope="module")
def cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    spec = registry()
    things = {a["device_id"]: "bodo" for a in spec["assignments"]} | {BROKEN_DEVICE: "bodo"}
    with running_local_cloud(ASSEMBLY_DIR, things=things, state_dir=tmp_path_factory.mktemp("local")) as local:
        table = local.tenants["bodo"].table_name
        dynamodb = local.aws("dynamodb")
        seed_registry(DynamoDbRegistry(dynamodb, table), spec)
        plans = DynamoDbPlans(dynamodb, table)
        for patient in spec["patients"]:
            programme = Programme(patient["programme"])
            plans.save(plan_from_template(patient["patient_id"], programme, datetime(2026, 10, 1, tzinfo=UTC)))
        # A device record without its patient: the kind of corruption only a retry-then-DLQ can handle.
        dynamodb.put_item(TableName=table, Item={"pk": {"S": f"DEVICE#{BROKEN_DEVICE}"},
                                                 "sk": {"S": "ASSIGNED#2026-10-01T00:00:00.000000Z"},
                                                 "device_id": {"S": BROKEN_DEVICE}})
        yield local


def _payload(device: str, metric: str, value: float, unit: str, reading_id: str | None = None) -> str:
    return json.dumps({"schema": "dho.device-reading/1", "device": {"id": device},
                       "reading_id": reading_id or f"{device}-{uuid.uuid4().hex[:10]}",
                       "measured_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
                       "measurements": [{"metric": metric, "value": value, "unit": unit}]})


def _publish(cloud: LocalCloud, device: str, payload: str, *, tenant: str = "bodo", topic_device: str | None = None,
             topic_tenant: str | None = None) -> bool:
    client = TestDevice(cloud.iot.device_host, cloud.iot.device_port, device, tenant)
    try:
        if not client.connect():
            return False
        topic = f"dho/{topic_tenant or tenant}/devices/{topic_device or device}/readings"
        return client.publish(topic, payload)
    finally:
        client.client.loop_stop()
        client.client.disconnect()


def _wait_for_rules(cloud: LocalCloud, delivered_before: int, expected: int) -> None:
    for _ in range(100):
        if _delivered(cloud) >= delivered_before + expected:
            return
        time.sleep(0.05)
    raise AssertionError("the rules engine did not deliver the message")


def _delivered(cloud: LocalCloud) -> int:
    return sum(counts.delivered for counts in cloud.iot.engine.counts.values())


def _send(cloud: LocalCloud, device: str, payload: str) -> None:
    before = _delivered(cloud)
    assert _publish(cloud, device, payload)
    _wait_for_rules(cloud, before, 1)
    cloud.drain()


def test_a_published_reading_lands_in_the_patients_timeline(cloud: LocalCloud) -> None:
    payload = _payload("oxi-0001", "spo2", 96, "%")
    _send(cloud, "oxi-0001", payload)
    timeline = DynamoDbTimeline(cloud.aws("dynamodb"), cloud.tenants["bodo"].table_name)
    now = datetime.now(UTC)
    stored = timeline.query(COPD_PATIENT, "spo2", now - timedelta(hours=1), now)
    assert json.loads(payload)["reading_id"] in {e.reading_id for e in stored}


def test_a_red_value_becomes_an_alert_in_the_nurses_outbox_without_personal_data(cloud: LocalCloud) -> None:
    already = len(cloud.outbox.entries)
    _send(cloud, "oxi-0001", _payload("oxi-0001", "spo2", 84, "%"))
    new = cloud.outbox.entries[already:]
    assert {entry.severity for entry in new} == {"red"}
    assert "sms" in {entry.channel for entry in new}  # red goes by SMS to the nurses who asked for it
    national_ids = [p["national_id"] for p in registry()["patients"]]
    for entry in new:
        assert "84" not in entry.text and COPD_PATIENT not in entry.text
        assert not any(number in entry.text for number in national_ids)


def test_a_bad_payload_is_quarantined_with_its_reason(cloud: LocalCloud) -> None:
    payload = _payload("oxi-0001", "spo2", 130, "%")
    sent = datetime.now(UTC)
    _send(cloud, "oxi-0001", payload)
    quarantine = DynamoDbQuarantine(cloud.aws("dynamodb"), cloud.tenants["bodo"].table_name)
    now = datetime.now(UTC)
    kept = quarantined_on(quarantine, days_between(sent, now), now=now, at_most=1000)
    reading_id = json.loads(payload)["reading_id"]
    assert [m.reason.value for m in kept if m.reading_id == reading_id] == ["implausible_value"]


def test_publishing_as_another_device_or_into_another_tenant_is_refused(cloud: LocalCloud) -> None:
    refused_before = cloud.iot.front_door.counts.publishes_refused
    other_device = _payload("oxi-0001", "spo2", 95, "%")
    assert not _publish(cloud, "oxi-0001", other_device, topic_device="oxi-0002")
    other_tenant = _payload("oxi-0001", "spo2", 95, "%")
    assert not _publish(cloud, "oxi-0001", other_tenant, topic_tenant="sunnfjord")
    assert cloud.iot.front_door.counts.publishes_refused >= refused_before + 2
    cloud.drain()
    items = json.dumps(scan_all(cloud.aws("dynamodb"), cloud.tenants["bodo"].table_name))
    for payload in (other_device, other_tenant):
        assert json.loads(payload)["reading_id"] not in items


def test_replaying_the_same_messages_adds_nothing(cloud: LocalCloud) -> None:
    payload = _payload("oxi-0002", "spo2", 83, "%")
    _send(cloud, "oxi-0002", payload)
    table = cloud.tenants["bodo"].table_name
    before, outbox_before = scan_all(cloud.aws("dynamodb"), table), len(cloud.outbox.entries)

    _send(cloud, "oxi-0002", payload)

    assert scan_all(cloud.aws("dynamodb"), table) == before
    assert len(cloud.outbox.entries) == outbox_before


def test_a_message_the_handler_keeps_failing_ends_in_the_dead_letter_queue(cloud: LocalCloud) -> None:
    sqs, tenant = cloud.aws("sqs"), cloud.tenants["bodo"]
    visibility = sqs.get_queue_attributes(QueueUrl=tenant.readings_queue_url,
                                          AttributeNames=["VisibilityTimeout"])["Attributes"]["VisibilityTimeout"]
    # The stack's visibility timeout is minutes long; shorten it on the emulator so five receives fit a test.
    sqs.set_queue_attributes(QueueUrl=tenant.readings_queue_url, Attributes={"VisibilityTimeout": "1"})
    try:
        payload = _payload(BROKEN_DEVICE, "spo2", 95, "%")
        _send(cloud, BROKEN_DEVICE, payload)
    finally:
        sqs.set_queue_attributes(QueueUrl=tenant.readings_queue_url, Attributes={"VisibilityTimeout": visibility})
    dead = sqs.receive_message(QueueUrl=tenant.dead_letter_queue_url, MaxNumberOfMessages=10).get("Messages", [])
    assert [json.loads(m["Body"])["reading_id"] for m in dead] == [json.loads(payload)["reading_id"]]


def test_the_red_alert_is_on_the_centres_worklist_for_a_nurse_with_a_token(cloud: LocalCloud) -> None:
    _send(cloud, "oxi-0001", _payload("oxi-0001", "spo2", 84, "%"))
    api = cloud.centre_apis["DhoCentre-salten"]
    nurse = next(name for name in api.users if name.startswith("centre_nurse"))

    def worklist(token: str | None) -> tuple[int, Any]:
        request = urllib.request.Request(f"{api.url}/worklist")
        if token is not None:
            request.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    # The triage index is eventually consistent: the new alert shows up within a moment.
    for _ in range(50):
        status, body = worklist(api.token(nurse))
        if status == 200 and any(r["patient_id"] == COPD_PATIENT for r in body["rows"]):
            break
        time.sleep(0.1)
    assert status == 200
    row = next(r for r in body["rows"] if r["patient_id"] == COPD_PATIENT)
    assert (row["tenant"], row["severity"], row["rule"]) == ("bodo", "red", "spo2_band")
    assert worklist(None)[0] == 401


def test_the_deployed_function_tells_the_oximeter_its_red_advice_over_mqtt(cloud: LocalCloud) -> None:
    # GIVEN the patient's oximeter subscribed to its own advice topic on the deployed local cloud
    oximeter = TestDevice(cloud.iot.device_host, cloud.iot.device_port, "oxi-0001", "bodo")
    assert oximeter.connect() and oximeter.subscribe("dho/bodo/devices/oxi-0001/advice")
    try:
        # WHEN it sends a red SpO2 on the same connection (a second one with its client id would end this one,
        # as IoT Core does) and the deployed process_readings scores it
        payload = _payload("oxi-0001", "spo2", 84, "%")
        before = _delivered(cloud)
        assert oximeter.publish("dho/bodo/devices/oxi-0001/readings", payload)
        _wait_for_rules(cloud, before, 1)
        cloud.drain()

        # THEN the plan's red advice for that reading reaches it (the deployed function's iot-data publish)
        assert oximeter.message_arrived.wait(5)
        message = json.loads(oximeter.received[-1][1])
        assert (message["zone"], message["reading_id"]) == ("red", json.loads(payload)["reading_id"])
        assert "113" in message["text"]
    finally:
        oximeter.close()
