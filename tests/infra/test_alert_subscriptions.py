"""GIVEN the nurses of a tenant in the config THEN exactly their subscriptions exist, filtered by severity
and, for a contact told only when a red escalates (second nurse, out-of-hours clinic), by tier."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config import Nurse, Tenant, load_config
from tests.infra.helpers import resources_of_type, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]


Subscription = tuple[str, str, tuple[str, ...], int]  # protocol, endpoint, severities, first tier


def expected_nurse_subscriptions(tenant: Tenant) -> set[Subscription]:
    expected: set[Subscription] = set()
    for nurse in tenant.nurses:
        if nurse.alerts.sms:
            expected.add(("sms", nurse.phone or "", tuple(sorted(nurse.alerts.sms)), nurse.first_tier))
        if nurse.alerts.email:
            expected.add(("email", nurse.email or "", tuple(sorted(nurse.alerts.email)), nurse.first_tier))
    return expected


def first_tier(policy: dict[str, Any]) -> int:
    """0 without a tier condition; else the n of the only allowed form, ``[{"numeric": [">=", n]}]``."""
    if "tier" not in policy:
        return 0
    [condition] = policy["tier"]
    operator, bound = condition["numeric"]
    assert operator == ">="
    return int(bound)


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
            found.add((props["Protocol"], props["Endpoint"], severities, first_tier(props["FilterPolicy"])))
    assert found == expected_nurse_subscriptions(tenant)
    # Someone at the centre gets every red by SMS at once.
    assert any(protocol == "sms" and "red" in sev and tier == 0 for protocol, _, sev, tier in found)


def test_bodo_escalates_reds_to_a_second_nurse_and_then_the_out_of_hours_clinic() -> None:
    bodo = next(t for t in TENANTS if t.tenant_id == "bodo")
    sms_by_tier = {n.first_tier for n in bodo.nurses if "red" in n.alerts.sms}
    assert sms_by_tier == {0, 1, 2}


def test_a_contact_told_only_on_escalation_cannot_ask_for_yellow_alerts() -> None:
    contact = {"key": "bakvakt", "email": "bakvakt@example.org", "alerts": {"sms": [], "email": ["red", "yellow"]}}
    assert Nurse.model_validate(contact).first_tier == 0
    with pytest.raises(ValueError, match="yellow alerts are never escalated"):
        Nurse.model_validate({**contact, "first_tier": 1})


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
