"""The local cloud reads the synthesized templates: device policies, topic rules, nurse subscriptions."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from localcloud.cloud_assembly import (
    AssemblyError,
    StackTemplate,
    load_assembly,
    mapping_resolver,
    stacks_from_templates,
)
from localcloud.device_auth import DeviceAuthorizer, DeviceIdentity, PolicyError, policies_from_stacks
from localcloud.iot_rules import CloudwatchLogsAction, RulesEngine, TopicRule, rules_from_stacks
from localcloud.sns_outbox import subscriptions_from_stacks

NOW_MS = 1_795_000_000_123


@pytest.fixture(scope="module")
def stacks(templates: dict[str, dict[str, Any]]) -> list[StackTemplate]:
    return stacks_from_templates(templates)


@pytest.fixture(scope="module")
def authorizer(stacks: list[StackTemplate]) -> DeviceAuthorizer:
    return DeviceAuthorizer.from_stacks(stacks, things={"oxi-0001": "bodo", "oxi-0002": "bodo",
                                                        "bp-0100": "sunnfjord"})


def readings(tenant: str, device: str) -> str:
    return f"dho/{tenant}/devices/{device}/readings"


def test_the_assembly_loads_from_its_manifest(assembly_dir: Path) -> None:
    names = {stack.stack_name for stack in load_assembly(assembly_dir)}
    assert {"DhoTenant-bodo", "DhoTenant-sunnfjord"} <= names


def test_a_missing_assembly_says_to_synth(tmp_path: Path) -> None:
    with pytest.raises(AssemblyError, match="make synth"):
        load_assembly(tmp_path)


def test_every_tenant_has_one_device_policy(stacks: list[StackTemplate]) -> None:
    policies = policies_from_stacks(stacks)
    assert sorted(policies) == ["bodo", "sunnfjord"]
    assert policies["bodo"].name == "dho-bodo-device"


def test_a_device_connects_and_publishes_its_own_readings(authorizer: DeviceAuthorizer) -> None:
    device = DeviceIdentity("oxi-0001", "bodo")
    assert authorizer.authorize_connect(device).allowed
    assert authorizer.authorize_publish(device, readings("bodo", "oxi-0001")).allowed


@pytest.mark.parametrize(("client_id", "tenant", "topic", "why"), [
    ("oxi-0001", "bodo", readings("bodo", "oxi-0002"), "another device's topic"),
    ("oxi-0001", "bodo", readings("sunnfjord", "oxi-0001"), "another tenant's topic"),
    ("oxi-0001", "bodo", "dho/bodo/devices/oxi-0001/commands", "not its readings topic"),
    ("oxi-0001", "bodo", "dho/bodo/devices/+/readings", "MQTT wildcards are literal in a policy"),
    ("oxi-0001", "sunnfjord", readings("sunnfjord", "oxi-0001"), "a certificate of a tenant it is not in"),
    ("bp-0100", "sunnfjord", readings("bodo", "bp-0100"), "another tenant's topic"),
    ("oxi-0001", None, readings("bodo", "oxi-0001"), "no certificate (no username)"),
    ("oxi-0001", "narvik", readings("narvik", "oxi-0001"), "a tenant without a policy"),
])
def test_a_device_is_refused_outside_its_own_topic_and_tenant(
        authorizer: DeviceAuthorizer, client_id: str, tenant: str | None, topic: str, why: str) -> None:
    decision = authorizer.evaluate(DeviceIdentity(client_id, tenant), "iot:Publish", authorizer.arn("topic", topic))
    assert not decision.allowed, why


def test_an_unregistered_thing_cannot_connect_and_refusals_are_counted(stacks: list[StackTemplate]) -> None:
    authorizer = DeviceAuthorizer.from_stacks(stacks, things={"oxi-0001": "bodo"})
    assert not authorizer.authorize_connect(DeviceIdentity("stranger", "bodo")).allowed
    assert not authorizer.authorize_connect(DeviceIdentity("oxi-0001", "sunnfjord")).allowed
    assert not authorizer.authorize_subscribe(DeviceIdentity("oxi-0001", "bodo"), "dho/#").allowed
    assert authorizer.refused == {"iot:Connect": 2, "iot:Subscribe": 1}


def test_without_a_registry_every_client_id_is_its_own_thing(stacks: list[StackTemplate]) -> None:
    authorizer = DeviceAuthorizer.from_stacks(stacks)
    assert authorizer.authorize_connect(DeviceIdentity("anything-1", "bodo")).allowed
    assert authorizer.authorize_publish(DeviceIdentity("anything-1", "bodo"), readings("bodo", "anything-1")).allowed
    assert not authorizer.authorize_publish(DeviceIdentity("anything-1", "bodo"), readings("bodo", "x")).allowed


def test_a_policy_outside_the_supported_subset_is_refused_at_load() -> None:
    policy = {"Type": "AWS::IoT::Policy", "Properties": {"PolicyName": "dho-x-device", "PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "iot:Publish", "Resource": "*",
                       "Condition": {"StringEquals": {"iot:ClientId": "a"}}}]}}}
    with pytest.raises(PolicyError, match="only Condition Bool"):
        policies_from_stacks([StackTemplate("X", {"Resources": {"P": policy}})])


def test_one_enabled_readings_rule_per_tenant_with_sqs_action_and_logs_error_action(
        stacks: list[StackTemplate]) -> None:
    rules = {rule.name: rule for rule in rules_from_stacks(stacks)}
    assert sorted(rules) == ["dho_bodo_readings", "dho_sunnfjord_readings"]
    rule = rules["dho_bodo_readings"]
    assert rule.query.topic_filter == "dho/bodo/devices/+/readings"
    assert len(rule.actions) == 1
    assert isinstance(rule.error_action, CloudwatchLogsAction)


class RecordingSqs:
    def __init__(self) -> None:
        self.sent: list[dict[str, str]] = []

    def send_message(self, **kwargs: str) -> None:
        self.sent.append(kwargs)


def bodo_rule(stacks: list[StackTemplate]) -> TopicRule:
    return next(rule for rule in rules_from_stacks(stacks) if rule.name == "dho_bodo_readings")


def test_the_synthesized_rule_sends_exactly_payload_raw_bytes_tenant_device_and_receipt_time(
        stacks: list[StackTemplate]) -> None:
    rule = bodo_rule(stacks)
    queue_ref = rule.actions[0].queue_url
    assert not isinstance(queue_ref, str)
    sqs = RecordingSqs()
    engine = RulesEngine([rule], sqs, mapping_resolver({queue_ref.logical_id: "http://queue/bodo"}),
                         clock=lambda: NOW_MS)
    payload = {"schema": "dho.device-reading/1", "device": {"id": "oxi-0001", "model": "Nonin 3230"},
               "reading_id": "oxi-0001-000101", "measured_at": "2026-11-20T07:30:12+01:00",
               "measurements": [{"metric": "spo2", "value": 94, "unit": "%"}]}

    sent_bytes = json.dumps(payload).encode()

    outcome = engine.handle(rule, readings("bodo", "oxi-0001"), sent_bytes)

    assert outcome == "delivered"
    assert [message["QueueUrl"] for message in sqs.sent] == ["http://queue/bodo"]
    # the device's bytes ride along as base64 (the parser reads those, not the rule's re-serialisation)
    assert json.loads(sqs.sent[0]["MessageBody"]) == {
        **payload, "raw": base64.b64encode(sent_bytes).decode(), "tenant": "bodo", "device_id": "oxi-0001",
        "received_at": NOW_MS}


def test_a_non_json_payload_goes_to_the_error_action_not_the_queue(stacks: list[StackTemplate]) -> None:
    rule = bodo_rule(stacks)
    sqs = RecordingSqs()
    engine = RulesEngine([rule], sqs, mapping_resolver({}), clock=lambda: NOW_MS)  # no logs client here

    outcome = engine.handle(rule, readings("bodo", "oxi-0001"), b"\x01binary")

    assert outcome == "refused"
    assert sqs.sent == []
    assert engine.total.received == 1 and engine.total.refused == 1
    [error] = engine.errors
    assert error["ruleName"] == "dho_bodo_readings" and error["base64OriginalPayload"] == "AWJpbmFyeQ=="
    assert error["failures"][0]["failedAction"] == "RuleEvaluation"
    assert error["deliveredTo"].startswith("not delivered")


def test_nurse_subscriptions_come_with_their_severity_filters(stacks: list[StackTemplate]) -> None:
    bodo = [s for s in subscriptions_from_stacks(stacks) if s.stack.stack_name == "DhoTenant-bodo"]
    by_endpoint = {(s.channel, s.endpoint): s.filter_policy for s in bodo}
    centre = ["centre", {"exists": False}]  # the centre's contacts: no out-of-hours reds
    assert by_endpoint[("sms", "+4799999901")] == {"severity": ["red"], "route": centre}
    assert by_endpoint[("email", "vakt1.helsehjelpa@example.org")] == {"severity": ["red", "yellow"], "route": centre}
    assert by_endpoint[("sms", "+4799999904")] == {"severity": ["red"], "tier": [{"numeric": [">=", 2]}]}
    assert by_endpoint[("email", "drift@example.org")] is None  # the operators' topic, unfiltered
