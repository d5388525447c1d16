"""A device publishes over MQTT; the front door checks its tenant's policy, the broker carries the message,
the rules engine evaluates the synthesized rule and the reading lands in the tenant's queue on moto."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.cloud_assembly import ResourceRef, StackTemplate
from localcloud.iot_rules import RulesEngine
from localcloud.local_iot import running_local_iot
from localcloud.mqtt_broker import installed_kinds
from localcloud.mqtt_front_door import MqttFrontDoor
from tests.support.mqtt_device import TestDevice

THINGS = {"oxi-0001": "bodo", "oxi-0002": "bodo", "bp-0100": "sunnfjord"}
READING = {"schema": "dho.device-reading/1", "device": {"id": "oxi-0001", "model": "Nonin 3230"},
           "reading_id": "oxi-0001-000101", "measured_at": "2026-11-20T07:30:12+01:00",
           "measurements": [{"metric": "spo2", "value": 94, "unit": "%"}]}


def readings(tenant: str, device: str) -> str:
    return f"dho/{tenant}/devices/{device}/readings"


@dataclass
class LocalCloud:
    front_door: MqttFrontDoor
    engine: RulesEngine
    sqs: Any
    queues: dict[str, str]  # tenant stack name → queue URL

    def device(self, thing: str, tenant: str | None, **kwargs: Any) -> TestDevice:
        return TestDevice(self.front_door.host, self.front_door.port, thing, tenant, **kwargs)

    def queued(self, stack_name: str) -> list[dict[str, Any]]:
        url, bodies = self.queues[stack_name], []
        while batch := self.sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                self.sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        return bodies


@pytest.fixture(params=installed_kinds())
def cloud(request: pytest.FixtureRequest, tmp_path: Path, e2e_moto_endpoint: str,
          stacks: list[StackTemplate]) -> Iterator[LocalCloud]:
    sqs = boto3.client("sqs", endpoint_url=e2e_moto_endpoint)
    queues = {stack.stack_name: sqs.create_queue(QueueName=f"{stack.stack_name}-{uuid.uuid4().hex[:8]}")["QueueUrl"]
              for stack in stacks if stack.stack_name.startswith("DhoTenant-")}

    def readings_queue(ref: ResourceRef) -> str:  # injected resolver: each tenant's queue → a fresh test queue
        assert ref.resource["Type"] == "AWS::SQS::Queue"
        return queues[ref.stack_name]

    with running_local_iot(stacks, sqs=sqs, resolver=readings_queue, things=THINGS, broker_kind=request.param,
                           state_dir=tmp_path) as iot:
        yield LocalCloud(iot.front_door, iot.engine, sqs, queues)


def test_a_reading_published_by_its_device_arrives_with_tenant_device_and_receipt_time(cloud: LocalCloud) -> None:
    device = cloud.device("oxi-0001", "bodo")
    assert device.connect()
    before = time.time_ns() // 1_000_000
    assert device.publish(readings("bodo", "oxi-0001"), json.dumps(READING))
    cloud.engine.wait_for(lambda counts: counts.delivered == 1)
    after = time.time_ns() // 1_000_000
    device.close()

    [queued] = cloud.queued("DhoTenant-bodo")
    assert before <= queued.pop("received_at") <= after
    assert queued == {**READING, "tenant": "bodo", "device_id": "oxi-0001"}
    assert cloud.queued("DhoTenant-sunnfjord") == []


@pytest.mark.parametrize(("topic", "why"), [
    (readings("bodo", "oxi-0002"), "another device's topic"),
    (readings("sunnfjord", "oxi-0001"), "another tenant's topic"),
])
def test_a_publish_outside_the_policy_is_refused_counted_and_never_reaches_a_rule(
        cloud: LocalCloud, topic: str, why: str) -> None:
    intruder = cloud.device("oxi-0001", "bodo")
    assert intruder.connect()
    assert not intruder.publish(topic, json.dumps(READING)), f"{why}: IoT Core hangs up"
    intruder.close()
    honest = cloud.device("oxi-0002", "bodo")
    assert honest.connect()
    assert honest.publish(readings("bodo", "oxi-0002"), json.dumps(READING))
    cloud.engine.wait_for(lambda counts: counts.delivered == 1)
    honest.close()

    assert cloud.front_door.counts.publishes_refused == 1
    [refusal] = cloud.front_door.refusals
    assert (refusal.client_id, refusal.tenant_id, refusal.action) == ("oxi-0001", "bodo", "iot:Publish")
    assert cloud.engine.total.received == 1
    assert [m["device_id"] for m in cloud.queued("DhoTenant-bodo")] == ["oxi-0002"]
    assert cloud.queued("DhoTenant-sunnfjord") == []


@pytest.mark.parametrize(("thing", "tenant"), [("oxi-0001", "sunnfjord"), ("stranger", "bodo"), ("oxi-0001", None)])
def test_a_device_of_another_tenant_or_without_certificate_cannot_connect(
        cloud: LocalCloud, thing: str, tenant: str | None) -> None:
    device = cloud.device(thing, tenant)
    assert not device.connect()
    device.close()
    assert device.connack is not None and device.connack.getName() == "Not authorized"
    assert cloud.front_door.counts.connects_refused == 1


def test_a_device_may_not_subscribe(cloud: LocalCloud) -> None:
    device = cloud.device("oxi-0001", "bodo")
    assert device.connect()
    device.client.subscribe("dho/bodo/#", qos=1)
    assert device.disconnected.wait(5)
    device.close()
    assert cloud.front_door.counts.subscribes_refused == 1


def test_a_non_json_reading_goes_to_the_error_action_and_not_to_the_queue(cloud: LocalCloud) -> None:
    device = cloud.device("oxi-0001", "bodo")
    assert device.connect()
    assert device.publish(readings("bodo", "oxi-0001"), b"\x00 not json")
    cloud.engine.wait_for(lambda counts: counts.refused == 1)
    device.close()

    assert cloud.queued("DhoTenant-bodo") == []
    [error] = cloud.engine.errors
    assert error["topic"] == readings("bodo", "oxi-0001")
    assert error["deliveredTo"].startswith("not delivered")  # no logs client given: kept in `errors`
