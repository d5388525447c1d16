"""GIVEN the nurses of a tenant in the config THEN exactly their subscriptions exist, filtered by severity."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import Tenant, load_config
from tests.infra.helpers import resources_of_type, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]


def expected_nurse_subscriptions(tenant: Tenant) -> set[tuple[str, str, tuple[str, ...]]]:
    expected: set[tuple[str, str, tuple[str, ...]]] = set()
    for nurse in tenant.nurses:
        if nurse.alerts.sms:
            expected.add(("sms", nurse.phone or "", tuple(sorted(nurse.alerts.sms))))
        if nurse.alerts.email:
            expected.add(("email", nurse.email or "", tuple(sorted(nurse.alerts.email))))
    return expected


@by_tenant
def test_nurse_subscriptions_and_severity_filters_match_the_config(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    topics = {t["Properties"]["TopicName"]: lid for lid, t in resources_of_type(template, "AWS::SNS::Topic").items()}
    alerts_topic = {"Ref": topics[f"dho-{tenant.tenant_id}-alerts"]}
    found = set()
    for subscription in resources_of_type(template, "AWS::SNS::Subscription").values():
        props = subscription["Properties"]
        if props["TopicArn"] == alerts_topic:
            severities = tuple(sorted(props["FilterPolicy"]["severity"]))
            found.add((props["Protocol"], props["Endpoint"], severities))
    assert found == expected_nurse_subscriptions(tenant)
    assert any(protocol == "sms" and "red" in sev for protocol, _, sev in found)


def test_a_nurse_with_yellow_only_by_email_gets_exactly_one_subscription(templates: Templates) -> None:
    bodo = next(t for t in TENANTS if t.tenant_id == "bodo")
    subscriptions = [
        (logical_id, s["Properties"])
        for logical_id, s in resources_of_type(tenant_template(templates, bodo), "AWS::SNS::Subscription").items()
        if "helsehjelpapostkasse" in logical_id  # the nurse key, as CDK writes it into logical ids
    ]
    assert [(props["Protocol"], props["FilterPolicy"]) for _, props in subscriptions] == [
        ("email", {"severity": ["yellow"]})
    ]


@by_tenant
def test_operators_receive_alarms_on_their_own_topic_not_the_nurses(templates: Templates, tenant: Tenant) -> None:
    template = tenant_template(templates, tenant)
    topics = {t["Properties"]["TopicName"]: lid for lid, t in resources_of_type(template, "AWS::SNS::Topic").items()}
    operations_topic = {"Ref": topics[f"dho-{tenant.tenant_id}-operations"]}
    operator_endpoints = {
        s["Properties"]["Endpoint"]
        for s in resources_of_type(template, "AWS::SNS::Subscription").values()
        if s["Properties"]["TopicArn"] == operations_topic
    }
    assert operator_endpoints == set(load_config().operations.alarm_emails)
    for alarm in resources_of_type(template, "AWS::CloudWatch::Alarm").values():
        assert alarm["Properties"]["AlarmActions"] == [operations_topic]
