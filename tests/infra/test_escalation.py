"""The escalation sweep: a small function per tenant on a one-minute schedule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from dho.domain.alerts import AlertPolicySettings
from infra.config import OUT_OF_HOURS_TIER, Tenant, load_config
from tests.infra.helpers import resources_of_type, tenant_function, tenant_table, tenant_template

Templates = dict[str, dict[str, Any]]
by_tenant = pytest.mark.parametrize("tenant", load_config().tenants, ids=lambda t: t.tenant_id)


@by_tenant
def test_a_schedule_runs_the_tenants_escalation_function_every_minute(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    function_ids = {logical_id for logical_id, f in resources_of_type(template, "AWS::Lambda::Function").items()
                    if f["Properties"]["FunctionName"] == f"dho-{tenant.tenant_id}-escalate-alerts"}
    (rule,) = resources_of_type(template, "AWS::Events::Rule").values()
    assert rule["Properties"]["ScheduleExpression"] == "rate(1 minute)"
    (target,) = rule["Properties"]["Targets"]
    assert target["Arn"] == {"Fn::GetAtt": [next(iter(function_ids)), "Arn"]}


@by_tenant
def test_the_sweep_runs_one_at_a_time_with_the_alerting_environment(templates: Templates, tenant: Tenant) -> None:
    props = tenant_function(tenant_template(templates, tenant), tenant, "escalate_alerts")["Properties"]
    assert props["ReservedConcurrentExecutions"] == 1
    environment = props["Environment"]["Variables"]
    assert environment["DHO_TENANT_ID"] == tenant.tenant_id
    assert environment["DHO_ALERT_POLICY"] == tenant.alert_policy_json()
    assert {"DHO_TABLE_NAME", "DHO_ALERT_TOPIC_ARN", "DHO_TENANT_NAME"} <= set(environment)
    assert "SnapStart" not in props  # nothing heavy to snapshot


@by_tenant
def test_operators_hear_when_the_sweep_keeps_failing(templates: Templates, tenant: Tenant) -> None:
    alarms = resources_of_type(tenant_template(templates, tenant), "AWS::CloudWatch::Alarm").values()
    names = {a["Properties"]["AlarmName"] for a in alarms}
    assert f"dho-{tenant.tenant_id}-escalation-failing" in names


@by_tenant
@pytest.mark.parametrize("function", ["process_readings", "escalate_alerts"])
def test_the_functions_alert_policy_carries_the_centres_opening_hours(
    templates: Templates, tenant: Tenant, function: str
) -> None:
    props = tenant_function(tenant_template(templates, tenant), tenant, function)["Properties"]
    policy_json = props["Environment"]["Variables"]["DHO_ALERT_POLICY"]
    centre = tenant.response_centre
    assert json.loads(policy_json)["response_centre"] == {
        "opens": centre.opens, "closes": centre.closes, "days": list(centre.days), "timezone": "Europe/Oslo",
        "closed_on_public_holidays": centre.closed_on_public_holidays}
    # ... and the function's policy reads them: the hours it routes by, three tiers (the last one, where
    # out-of-hours reds go, is the first_tier 2 contacts')
    settings = AlertPolicySettings.from_tenant_policy(policy_json)
    hours = settings.opening_hours
    assert hours is not None
    assert (f"{hours.opens:%H:%M}", f"{hours.closes:%H:%M}", hours.days, hours.closed_on_public_holidays) == (
        centre.opens, centre.closes, centre.days, centre.closed_on_public_holidays)
    assert len(settings.tier_after_minutes) - 1 == OUT_OF_HOURS_TIER


@by_tenant
def test_the_sweeps_role_covers_the_hourly_missed_measurement_checks_with_queries_and_never_a_scan(
    templates: Templates, tenant: Tenant
) -> None:
    # The checks read the roster slot (a query on the triage index), the plan and the newest reading per
    # expected metric (queries on the table) and the profile (GetItem): the grants the sweep already had.
    template = tenant_template(templates, tenant)
    function = tenant_function(template, tenant, "escalate_alerts")
    role = {"Ref": function["Properties"]["Role"]["Fn::GetAtt"][0]}
    (policy,) = [p for p in resources_of_type(template, "AWS::IAM::ManagedPolicy").values()
                 if role in p["Properties"]["Roles"]]
    statements = {s["Sid"]: s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    table = statements["TenantAlerts"]
    table_id = tenant_table(template, tenant)[0]
    assert {"dynamodb:Query", "dynamodb:GetItem"} <= set(table["Action"])
    assert table["Resource"][0] == {"Fn::GetAtt": [table_id, "Arn"]}
    assert "index/triage" in json.dumps(table["Resource"][1])
    granted = {a for s in statements.values() for a in (s["Action"] if isinstance(s["Action"], list)
                                                          else [s["Action"]])}
    assert not {"dynamodb:Scan", "dynamodb:*"} & granted
