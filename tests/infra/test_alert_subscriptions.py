"""GIVEN the nurses of a tenant in the config THEN exactly their subscriptions exist, filtered by severity,
for a contact told only when a red escalates (second nurse, out-of-hours clinic) by tier, and for the
centre's contacts of a tenant with an out-of-hours clinic by route (no out-of-hours reds)."""

from __future__ import annotations

from typing import Any

import pytest

from dho.adapters.sns_notifier import message_attributes
from dho.domain.alerts import Notification, NotificationKind, Route
from dho.domain.findings import Rule, Severity
from infra.config import Nurse, Tenant, load_config
from localcloud.sns_outbox import filter_policy_matches, validate_filter_policy
from tests.infra.helpers import resources_of_type, tenant_template

TENANTS = load_config().tenants
by_tenant = pytest.mark.parametrize("tenant", TENANTS, ids=[t.tenant_id for t in TENANTS])
Templates = dict[str, dict[str, Any]]


# protocol, endpoint, severities, first tier, centre route only
Subscription = tuple[str, str, tuple[str, ...], int, bool]
CENTRE_ONLY = [Route.CENTRE.value, {"exists": False}]  # or no route: published before routes existed


def expected_nurse_subscriptions(tenant: Tenant) -> set[Subscription]:
    expected: set[Subscription] = set()
    for nurse in tenant.nurses:
        spared = tenant.has_out_of_hours_contact and nurse.first_tier < 2
        if nurse.alerts.sms:
            expected.add(("sms", nurse.phone or "", tuple(sorted(nurse.alerts.sms)), nurse.first_tier, spared))
        if nurse.alerts.email:
            expected.add(("email", nurse.email or "", tuple(sorted(nurse.alerts.email)), nurse.first_tier, spared))
    return expected


def centre_only(policy: dict[str, Any]) -> bool:
    """False without a route condition; else the only allowed one, the centre's route (or none)."""
    if "route" not in policy:
        return False
    assert policy["route"] == CENTRE_ONLY
    return True


def alert_subscriptions(template: dict[str, Any], tenant: Tenant) -> list[dict[str, Any]]:
    topics = {t["Properties"]["TopicName"]: lid for lid, t in resources_of_type(template, "AWS::SNS::Topic").items()}
    alerts_topic = {"Ref": topics[f"dho-{tenant.tenant_id}-alerts"]}
    return [s["Properties"] for s in resources_of_type(template, "AWS::SNS::Subscription").values()
            if s["Properties"]["TopicArn"] == alerts_topic]


def notification(severity: str, tier: int, route: Route) -> Notification:
    kind = NotificationKind.NEW if tier == 0 else NotificationKind.ESCALATION
    return Notification(alert_id="A-1", patient_id="P-7K3QX9M2", severity=Severity(severity), rule=Rule.NEWS2,
                        tier=tier, kind=kind, route=route)


def reached(subscriptions: list[dict[str, Any]], note: Notification) -> set[tuple[str, str]]:
    """(protocol, endpoint) of the subscriptions whose filter lets the notifier's message through."""
    attributes = {name: {"Type": a["DataType"], "Value": a["StringValue"]}
                  for name, a in message_attributes(note).items()}
    return {(s["Protocol"], s["Endpoint"]) for s in subscriptions
            if filter_policy_matches(s["FilterPolicy"], attributes)}


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
    found = set()
    for props in alert_subscriptions(tenant_template(templates, tenant), tenant):
        policy = props["FilterPolicy"]
        validate_filter_policy(policy)  # only matching the local outbox (and LocalStack) implements too
        assert set(policy) <= {"severity", "tier", "route"}
        severities = tuple(sorted(policy["severity"]))
        found.add((props["Protocol"], props["Endpoint"], severities, first_tier(policy), centre_only(policy)))
    assert found == expected_nurse_subscriptions(tenant)
    # Someone at the centre gets every red by SMS at once.
    assert any(protocol == "sms" and "red" in sev and tier == 0 for protocol, _, sev, tier, _ in found)


@by_tenant
def test_every_red_reaches_someone_by_sms_whether_the_centre_is_open_or_not(
    templates: Templates, tenant: Tenant
) -> None:
    subscriptions = alert_subscriptions(tenant_template(templates, tenant), tenant)
    for tier in (0, 1, 2):
        assert any(p == "sms" for p, _ in reached(subscriptions, notification("red", tier, Route.CENTRE)))
    assert any(p == "sms" for p, _ in reached(subscriptions, notification("red", 2, Route.OUT_OF_HOURS)))


def test_out_of_hours_reds_reach_only_the_clinic_and_escalated_day_reds_reach_it_too(templates: Templates) -> None:
    bodo = next(t for t in TENANTS if t.tenant_id == "bodo")
    assert bodo.has_out_of_hours_contact
    subscriptions = alert_subscriptions(tenant_template(templates, bodo), bodo)
    clinic = {("sms", "+4799999904"), ("email", "legevakt@example.org")}
    second_nurse = {("sms", "+4799999903")}
    centre_reds = {("sms", "+4799999901"), ("sms", "+4799999902"), ("email", "vakt1.helsehjelpa@example.org"),
                   ("email", "vakt2.helsehjelpa@example.org")}

    # out of hours: the policy sends a red at the last tier; only the clinic hears it
    assert reached(subscriptions, notification("red", 2, Route.OUT_OF_HOURS)) == clinic
    # by day, as before: tier 0 the centre; tier 1 also the second nurse; tier 2 also the clinic
    assert reached(subscriptions, notification("red", 0, Route.CENTRE)) == centre_reds
    assert reached(subscriptions, notification("red", 1, Route.CENTRE)) == centre_reds | second_nurse
    assert reached(subscriptions, notification("red", 2, Route.CENTRE)) == centre_reds | second_nurse | clinic
    # the centre never hears an out-of-hours red, whatever its tier (the policy sends them at tier 2 only)
    assert not centre_reds & reached(subscriptions, notification("red", 0, Route.OUT_OF_HOURS))
    # yellows are told at opening, on the centre route
    assert reached(subscriptions, notification("yellow", 0, Route.CENTRE)) == {
        ("email", "vakt1.helsehjelpa@example.org"), ("email", "vakt2.helsehjelpa@example.org"),
        ("email", "helsehjelpa@example.org")}


def test_a_tenant_without_an_out_of_hours_contact_keeps_its_nurse_on_the_out_of_hours_route(
    templates: Templates,
) -> None:
    sunnfjord = next(t for t in TENANTS if t.tenant_id == "sunnfjord")
    assert not sunnfjord.has_out_of_hours_contact
    subscriptions = alert_subscriptions(tenant_template(templates, sunnfjord), sunnfjord)
    assert all("route" not in s["FilterPolicy"] for s in subscriptions)
    assert ("sms", "+4799999911") in reached(subscriptions, notification("red", 2, Route.OUT_OF_HOURS))


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
        ("email", {"severity": ["yellow"], "route": CENTRE_ONLY})
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
