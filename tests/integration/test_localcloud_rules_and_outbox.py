"""The rules engine's actions and the SNS outbox against a moto server (no broker: see tests/e2e)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest

from localcloud.cloud_assembly import (
    AssemblyError,
    ResourceRef,
    StackTemplate,
    by_name_resolver,
    cloudformation_resolver,
    first_of,
    mapping_resolver,
    stacks_from_templates,
)
from localcloud.iot_rules import RulesEngine, TopicRule, rules_from_stacks
from localcloud.sns_outbox import SnsOutbox, subscriptions_from_stacks

TOPIC = "dho/bodo/devices/oxi-0001/readings"
NOW_MS = 1_795_000_000_123  # any fixed instant: nothing downstream compares it with now


@pytest.fixture(scope="module")
def stacks(templates: dict[str, dict[str, Any]]) -> list[StackTemplate]:
    return stacks_from_templates(templates)


@pytest.fixture
def bodo_rule(stacks: list[StackTemplate]) -> TopicRule:
    return next(rule for rule in rules_from_stacks(stacks) if rule.name == "dho_bodo_readings")


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def drain(sqs: Any, queue_url: str) -> list[str]:
    bodies = []
    while batch := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in batch:
            bodies.append(message["Body"])
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_a_reading_reaches_the_tenant_queue_resolved_through_the_template(
        moto_endpoint: str, bodo_rule: TopicRule) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    queue_url = sqs.create_queue(QueueName=unique("dho-bodo-readings"))["QueueUrl"]
    ref = bodo_rule.actions[0].queue_url
    assert isinstance(ref, ResourceRef) and ref.resource["Type"] == "AWS::SQS::Queue"
    engine = RulesEngine([bodo_rule], sqs, mapping_resolver({f"DhoTenant-bodo/{ref.logical_id}": queue_url}),
                         clock=lambda: NOW_MS)

    assert engine.handle(bodo_rule, TOPIC, b'{"reading_id": "r1"}') == "delivered"

    assert [json.loads(body) for body in drain(sqs, queue_url)] == [
        {"reading_id": "r1", "raw": base64.b64encode(b'{"reading_id": "r1"}').decode(), "tenant": "bodo",
         "device_id": "oxi-0001", "received_at": NOW_MS}]


def test_an_undeliverable_reading_is_logged_by_the_error_action_in_cloudwatch_logs(
        moto_endpoint: str, bodo_rule: TopicRule) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    logs = boto3.client("logs", endpoint_url=moto_endpoint)
    group = unique("/dho/bodo/iot-rule-errors")
    logs.create_log_group(logGroupName=group)
    missing_queue = "http://localhost/123456789012/no-such-queue"
    resolver = mapping_resolver({
        ref.logical_id: value for ref, value in (
            (bodo_rule.actions[0].queue_url, missing_queue),
            (getattr(bodo_rule.error_action, "log_group", None), group),
        ) if isinstance(ref, ResourceRef)})
    # CloudWatch Logs drops events older than 14 days (moto too): the error record is stamped with today
    now_ms = int(time.time() * 1000)
    engine = RulesEngine([bodo_rule], sqs, resolver, logs=logs, clock=lambda: now_ms)

    assert engine.handle(bodo_rule, TOPIC, b'{"reading_id": "r2"}') == "errored"

    assert engine.total.errored == 1 and engine.total.delivered == 0
    [stream] = logs.describe_log_streams(logGroupName=group)["logStreams"]
    [event] = logs.get_log_events(logGroupName=group, logStreamName=stream["logStreamName"])["events"]
    record = json.loads(event["message"])
    assert record["ruleName"] == "dho_bodo_readings" and record["topic"] == TOPIC
    assert record["failures"][0]["failedAction"] == "SqsAction"
    assert engine.errors[0]["deliveredTo"] == f"logs:{group}"


def test_the_deployed_stack_resolver_maps_a_logical_id_to_the_physical_queue(moto_endpoint: str) -> None:
    cloudformation = boto3.client("cloudformation", endpoint_url=moto_endpoint)
    stack_name, queue_name = unique("LocalcloudResolver"), unique("resolver-queue")
    template = {"Resources": {"Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue_name}}}}
    cloudformation.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    stack = StackTemplate(stack_name, template)
    resolver = cloudformation_resolver(cloudformation)

    assert resolver(ResourceRef(stack, "Queue")).endswith(f"/{queue_name}")
    with pytest.raises(AssemblyError, match="not deployed"):
        resolver(ResourceRef(StackTemplate("NoSuchStack", template), "Queue"))


def test_by_name_resolution_finds_queues_created_under_the_template_name(moto_endpoint: str) -> None:
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    name = unique("named")
    sqs.create_queue(QueueName=name)
    stack = StackTemplate("S", {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name}},
                                              "L": {"Type": "AWS::Logs::LogGroup",
                                                    "Properties": {"LogGroupName": "/x"}}}})
    resolver = first_of([mapping_resolver({}), by_name_resolver(sqs=sqs)])
    assert resolver(ResourceRef(stack, "Q")).endswith(f"/{name}")
    assert resolver(ResourceRef(stack, "L")) == "/x"


def test_each_nurse_gets_what_her_filter_policy_lets_through(
        moto_endpoint: str, stacks: list[StackTemplate], tmp_path: Path) -> None:
    sns = boto3.client("sns", endpoint_url=moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    topics: dict[str, str] = {}

    def topic_per_template_topic(ref: ResourceRef) -> str:  # fresh topics: the moto server is shared
        key = f"{ref.stack_name}/{ref.logical_id}"
        if key not in topics:
            name = unique(ref.resource["Properties"]["TopicName"])
            topics[key] = sns.create_topic(Name=name)["TopicArn"]
        return topics[key]

    bodo = [s for s in subscriptions_from_stacks(stacks) if s.stack.stack_name == "DhoTenant-bodo"]
    outbox = SnsOutbox(bodo, sns, sqs, topic_per_template_topic, outbox_dir=tmp_path).install()
    alerts_arn = next(arn for key, arn in topics.items() if "Alerts" in key)

    # (severity, tier, route): by day a red at tier 0, a yellow, a red escalated to tier 2; out of hours a
    # red (always at the last tier); and a red without a route (a function from before routes, mid-deploy)
    published = (("red", 0, "centre"), ("yellow", 0, "centre"), ("red", 2, "centre"), ("red", 2, "out_of_hours"),
                 ("red", 0, None))
    for severity, tier, route in published:
        attributes: dict[str, Any] = {"severity": {"DataType": "String", "StringValue": severity},
                      "tier": {"DataType": "Number", "StringValue": str(tier)}}
        if route is not None:
            attributes["route"] = {"DataType": "String", "StringValue": route}
        sns.publish(TopicArn=alerts_arn, Message=f"DHO: {severity} alert for patient P-1", Subject="DHO alert",
                    MessageAttributes=attributes)
    written = outbox.pump()

    received = sorted((e.channel, e.endpoint, e.severity) for e in outbox.entries)
    centre_reds = [("sms", "+4799999901", "red"), ("sms", "+4799999902", "red"),
                   ("email", "vakt1.helsehjelpa@example.org", "red"), ("email", "vakt2.helsehjelpa@example.org", "red")]
    yellows = [("email", "vakt1.helsehjelpa@example.org", "yellow"),
               ("email", "vakt2.helsehjelpa@example.org", "yellow"), ("email", "helsehjelpa@example.org", "yellow")]
    clinic = [("sms", "+4799999904", "red"), ("email", "legevakt@example.org", "red")]
    # tier 2: the centre again, the second nurse (from tier 1) and the out-of-hours clinic (from tier 2)
    escalated = [*centre_reds, ("sms", "+4799999903", "red"), *clinic]
    # out of hours: the clinic only (the centre's contacts filter on route = centre)
    assert received == sorted([*centre_reds, *yellows, *escalated, *clinic, *centre_reds])
    assert written == 20 and outbox.messages_read == 5
    sms = next(e for e in outbox.entries if e.channel == "sms")
    assert sms.text == "DHO: red alert for patient P-1" and sms.subject is None and sms.time
    assert "+47******0" in sms.printable() and "+4799999901" not in sms.printable()
    lines = [json.loads(line) for line in outbox.outbox_file.read_text().splitlines()]
    assert len(lines) == 20 and {line["channel"] for line in lines} == {"sms", "email"}
