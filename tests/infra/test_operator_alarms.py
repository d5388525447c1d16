"""The sweep's asynchronous invocations are never retried, the operations topic lets the tenant's alarms
publish, and the operators hear of nurse notifications that fail, of SMS spend near the limit, of a
sweep that stopped running and of function throttles and errors."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.config import Tenant, load_config
from tests.infra.helpers import resources_of_type, tenant_template

Templates = dict[str, dict[str, Any]]
by_tenant = pytest.mark.parametrize("tenant", load_config().tenants, ids=lambda t: t.tenant_id)


def _logical_id(template: dict[str, Any], resource_type: str, name_property: str, name: str) -> str:
    (found,) = [logical_id for logical_id, r in resources_of_type(template, resource_type).items()
                if r["Properties"].get(name_property) == name]
    return found


def _function_id(template: dict[str, Any], tenant: Tenant, name: str) -> str:
    return _logical_id(template, "AWS::Lambda::Function", "FunctionName",
                       f"dho-{tenant.tenant_id}-{name.replace('_', '-')}")


def _alarms(template: dict[str, Any], tenant: Tenant) -> dict[str, dict[str, Any]]:
    alarms = resources_of_type(template, "AWS::CloudWatch::Alarm").values()
    return {a["Properties"]["AlarmName"].removeprefix(f"dho-{tenant.tenant_id}-"): a["Properties"] for a in alarms}


def _operations_topic(template: dict[str, Any], tenant: Tenant) -> dict[str, str]:
    return {"Ref": _logical_id(template, "AWS::SNS::Topic", "TopicName", f"dho-{tenant.tenant_id}-operations")}


@by_tenant
def test_lambda_never_retries_a_sweep_tick_and_drops_one_older_than_a_minute(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    Template.from_json(template).has_resource_properties("AWS::Lambda::EventInvokeConfig", {
        "FunctionName": {"Ref": _function_id(template, tenant, "escalate_alerts")},
        "Qualifier": "$LATEST",  # what the schedule invokes
        "MaximumRetryAttempts": 0,
        "MaximumEventAgeInSeconds": 60,
    })


@by_tenant
def test_the_operations_topic_lets_exactly_this_tenants_alarms_publish(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    topic = _operations_topic(template, tenant)
    Template.from_json(template).has_resource_properties("AWS::SNS::TopicPolicy", {
        "Topics": [topic],
        "PolicyDocument": {"Statement": Match.array_with([{
            "Sid": "TenantAlarmsPublish",
            "Effect": "Allow",
            "Principal": {"Service": "cloudwatch.amazonaws.com"},
            "Action": "sns:Publish",
            "Resource": topic,
            "Condition": {
                "ArnLike": {"aws:SourceArn": Match.any_value()},
                "StringEquals": {"aws:SourceAccount": Match.any_value()},
            },
        }])},
    })
    (policy,) = [p for p in resources_of_type(template, "AWS::SNS::TopicPolicy").values()
                 if p["Properties"]["Topics"] == [topic]]
    (allow,) = [s for s in policy["Properties"]["PolicyDocument"]["Statement"] if s["Effect"] == "Allow"]
    source = json.dumps(allow["Condition"]["ArnLike"]["aws:SourceArn"])
    assert f":alarm:dho-{tenant.tenant_id}-*" in source and ":cloudwatch:" in source
    # ... and every alarm of the tenant is named under that prefix and tells that topic
    for name, alarm in _alarms(template, tenant).items():
        assert alarm["AlarmActions"] == [topic], name


@by_tenant
def test_operators_hear_of_nurse_notifications_that_fail_and_of_sms_spend_near_the_limit(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    alarms = _alarms(template, tenant)
    failed = alarms["nurse-notifications-failed"]
    assert (failed["Namespace"], failed["MetricName"], failed["Statistic"]) == (
        "AWS/SNS", "NumberOfNotificationsFailed", "Sum")
    alert_topic = _logical_id(template, "AWS::SNS::Topic", "TopicName", f"dho-{tenant.tenant_id}-alerts")
    assert failed["Dimensions"] == [{"Name": "TopicName", "Value": {"Fn::GetAtt": [alert_topic, "TopicName"]}}]
    assert (failed["ComparisonOperator"], failed["Threshold"]) == ("GreaterThanThreshold", 0)
    spend = alarms["sms-spend-near-limit"]
    limit = load_config().operations.sms_monthly_spend_limit_usd
    assert (spend["Namespace"], spend["MetricName"]) == ("AWS/SNS", "SMSMonthToDateSpentUSD")
    assert spend["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert 0.5 * limit <= spend["Threshold"] < limit  # a warning before SNS stops sending SMS


@by_tenant
def test_operators_hear_when_the_sweep_is_no_longer_invoked_or_is_throttled(
    templates: Templates, tenant: Tenant
) -> None:
    template = tenant_template(templates, tenant)
    sweep = {"Name": "FunctionName", "Value": {"Ref": _function_id(template, tenant, "escalate_alerts")}}
    alarms = _alarms(template, tenant)
    stopped = alarms["escalation-stopped"]
    assert (stopped["MetricName"], stopped["Statistic"], stopped["Dimensions"]) == ("Invocations", "Sum", [sweep])
    assert (stopped["ComparisonOperator"], stopped["Threshold"]) == ("LessThanThreshold", 1)
    assert 2 <= stopped["EvaluationPeriods"] * stopped["Period"] / 60 <= 10  # a few minutes
    assert stopped["TreatMissingData"] == "breaching"  # a sweep never invoked publishes no data at all
    throttled = alarms["escalation-throttled"]
    assert (throttled["MetricName"], throttled["Dimensions"], throttled["Threshold"]) == ("Throttles", [sweep], 0)


@by_tenant
def test_operators_hear_when_process_readings_fails_or_is_throttled(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    readings = {"Name": "FunctionName", "Value": {"Ref": _function_id(template, tenant, "process_readings")}}
    alarms = _alarms(template, tenant)
    errors, throttled = alarms["process-readings-errors"], alarms["process-readings-throttled"]
    assert (errors["MetricName"], errors["Dimensions"], errors["Threshold"]) == ("Errors", [readings], 0)
    assert (throttled["MetricName"], throttled["Dimensions"], throttled["Threshold"]) == ("Throttles", [readings], 0)
