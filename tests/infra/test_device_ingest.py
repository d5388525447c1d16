"""GIVEN a tenant THEN only its devices' readings reach its queue, and a device can only be itself."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.config import Tenant, load_config
from tests.infra.helpers import only_resource, resources_of_type, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]


def _joined(value: Any) -> str:
    """A Fn::Join'ed ARN as text, with the references kept visible (``{Ref}``)."""
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(part if isinstance(part, str) else "{" + next(iter(part)) + "}" for part in parts)
    assert isinstance(value, str)
    return value


@by_tenant
def test_rule_selects_its_own_tenants_topic_and_adds_the_routing_fields(templates: Templates, tenant: Tenant) -> None:
    _, rule = only_resource(tenant_template(templates, tenant), "AWS::IoT::TopicRule")
    payload = rule["Properties"]["TopicRulePayload"]
    assert payload["Sql"] == (
        "SELECT *, encode(*, 'base64') AS raw, topic(2) AS tenant, topic(4) AS device_id, "
        f"timestamp() AS received_at FROM 'dho/{tenant.tenant_id}/devices/+/readings'"
    )
    assert payload["RuleDisabled"] is False
    assert rule["Properties"]["RuleName"] == f"dho_{tenant.tenant_id.replace('-', '_')}_readings"


@by_tenant
def test_rule_sends_to_its_own_queue_and_logs_failures(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    _, rule = only_resource(template, "AWS::IoT::TopicRule")
    payload = rule["Properties"]["TopicRulePayload"]
    queues = {r["Properties"]["QueueName"]: lid for lid, r in resources_of_type(template, "AWS::SQS::Queue").items()}
    (action,) = payload["Actions"]
    assert action["Sqs"]["QueueUrl"] == {"Ref": queues[f"dho-{tenant.tenant_id}-readings"]}
    assert action["Sqs"]["UseBase64"] is False
    error_log = payload["ErrorAction"]["CloudwatchLogs"]["LogGroupName"]
    log_groups = resources_of_type(template, "AWS::Logs::LogGroup")
    assert log_groups[error_log["Ref"]]["Properties"]["LogGroupName"] == f"/dho/{tenant.tenant_id}/iot-rule-errors"


@by_tenant
def test_rule_role_can_be_assumed_only_by_iot_for_this_rule(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    _, rule = only_resource(template, "AWS::IoT::TopicRule")
    role_id = rule["Properties"]["TopicRulePayload"]["Actions"][0]["Sqs"]["RoleArn"]["Fn::GetAtt"][0]
    (statement,) = resources_of_type(template, "AWS::IAM::Role")[role_id]["Properties"]["AssumeRolePolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "iot.amazonaws.com"}
    source_arn = _joined(statement["Condition"]["StringEquals"]["aws:SourceArn"])
    assert source_arn.endswith(f":rule/{rule['Properties']['RuleName']}")


@by_tenant
def test_device_policy_allows_connect_as_own_thing_and_publish_to_own_readings_topic_only(
    templates: Templates, tenant: Tenant
) -> None:
    _, policy = only_resource(tenant_template(templates, tenant), "AWS::IoT::Policy")
    assert policy["Properties"]["PolicyName"] == f"dho-{tenant.tenant_id}-device"
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    assert {s["Effect"] for s in statements} == {"Allow"}
    by_action = {s["Action"]: s for s in statements}
    # Subscribe/receive: its own advice topic only (tests/infra/test_device_advice.py); no wildcards.
    assert set(by_action) == {"iot:Connect", "iot:Publish", "iot:Subscribe", "iot:Receive"}

    connect = by_action["iot:Connect"]
    assert _joined(connect["Resource"]).endswith(":client/${iot:Connection.Thing.ThingName}")
    assert connect["Condition"] == {"Bool": {"iot:Connection.Thing.IsAttached": "true"}}

    publish = _joined(by_action["iot:Publish"]["Resource"])
    assert publish.endswith(f":topic/dho/{tenant.tenant_id}/devices/${{iot:Connection.Thing.ThingName}}/readings")
    assert "*" not in json.dumps(statements).replace("{Ref}", "")
