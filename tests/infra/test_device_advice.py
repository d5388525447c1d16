"""GIVEN a tenant THEN each device may subscribe to and receive its own advice topic only, and the
tenant's process_readings and escalate_alerts (overdue reminders) may publish advice to its own tenant's
devices only."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.config import Tenant, load_config
from tests.infra.helpers import tenant_function, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]
THING = "${iot:Connection.Thing.ThingName}"


@by_tenant
def test_a_device_subscribes_to_and_receives_its_own_advice_topic_only(templates: Templates, tenant: Tenant) -> None:
    template = Template.from_json(tenant_template(templates, tenant))
    own = f":topic/dho/{tenant.tenant_id}/devices/{THING}/advice"
    own_filter = f":topicfilter/dho/{tenant.tenant_id}/devices/{THING}/advice"

    template.has_resource_properties("AWS::IoT::Policy", {"PolicyDocument": {"Statement": Match.array_with([
        Match.object_like({"Action": "iot:Subscribe", "Effect": "Allow",
                           "Resource": {"Fn::Join": ["", Match.array_with([own_filter])]}}),
        Match.object_like({"Action": "iot:Receive", "Effect": "Allow",
                           "Resource": {"Fn::Join": ["", Match.array_with([own])]}}),
    ])}})
    # No other subscribe or receive: not a wildcard, not another tenant's topics; besides the advice, its
    # own retained config only.
    policy = next(iter(template.find_resources("AWS::IoT::Policy").values()))
    grants = [s for s in policy["Properties"]["PolicyDocument"]["Statement"]
              if s["Action"] in ("iot:Subscribe", "iot:Receive")]
    config, config_filter = own.replace("/advice", "/config"), own_filter.replace("/advice", "/config")
    assert [s["Resource"]["Fn::Join"][1][-1] for s in grants] == [own_filter, own, config_filter, config]


@by_tenant
def test_process_readings_publishes_advice_to_its_own_tenants_devices_only(
    templates: Templates, tenant: Tenant
) -> None:
    raw = tenant_template(templates, tenant)
    template = Template.from_json(raw)
    policies = {**template.find_resources("AWS::IAM::Policy"), **template.find_resources("AWS::IAM::ManagedPolicy")}
    statements = [s for policy in policies.values()
                  for s in policy["Properties"]["PolicyDocument"]["Statement"] if "iot:Publish" in s["Action"]]

    # process_readings (the advice of each reading) and escalate_alerts (the overdue reminders), nothing else
    assert sorted((s["Sid"], s["Resource"]["Fn::Join"][1][-1]) for s in statements) == [
        ("PublishAdviceToOwnTenantsDevices", f":topic/dho/{tenant.tenant_id}/devices/*/advice"),
        ("RemindOwnTenantsDevices", f":topic/dho/{tenant.tenant_id}/devices/*/advice")]
    for function in ("process_readings", "escalate_alerts"):
        environment = tenant_function(raw, tenant, function)["Properties"]["Environment"]["Variables"]
        assert environment["DHO_ADVICE_LANGUAGE"] == tenant.advice_language


def test_sunnfjord_tells_its_patients_in_nynorsk_and_bodo_in_bokmal() -> None:
    assert {t.tenant_id: t.advice_language for t in TENANTS} == {"bodo": "nb", "sunnfjord": "nn"}
