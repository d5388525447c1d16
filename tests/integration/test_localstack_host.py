"""The LocalStack path's reads, against LocalStack itself: its open-source core run on this machine
(``localcloud.localstack_host``; no Docker). The alert topic's SMS and e-mail subscriptions, with the
filter policies of the synthesized template, deliver what the SNS notifier publishes; the demo's
``sent_messages`` reads LocalStack's own records of it; the result equals what the moto path's outbox
predicts from the same filter policies. That includes the route: an out-of-hours red (at the last tier,
as the policy sends it) reaches the out-of-hours clinic's contacts only, never the centre's."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from typing import Any

import pytest

from dho.adapters.sns_notifier import SnsNotifier, message_attributes
from dho.alerting.messages import render_alert_text
from dho.domain.alerts import Notification, NotificationKind, Route
from dho.domain.findings import Rule, Severity
from localcloud import deploy
from localcloud.cloud_assembly import ResourceRef, stacks_from_templates
from localcloud.deployed import client
from localcloud.localstack_cloud import (
    LocalStackUnavailable,
    confirm_pending_subscriptions,
    fetch_json,
    not_ready,
    queued,
    sent_messages,
)
from localcloud.localstack_host import running_localstack_host
from localcloud.sns_outbox import TemplateSubscription, filter_policy_matches, subscriptions_from_stacks

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    try:
        with running_localstack_host() as url:
            yield url
    except LocalStackUnavailable as missing:
        if os.environ.get("CI"):  # .ci/run builds .venv-localstack: here a missing one is a failure
            pytest.fail(f"LocalStack's core is needed in CI: {missing}")
        pytest.skip(str(missing))  # a developer machine without Python 3.13 (the README says so)


def aws(service: str, endpoint: str) -> Any:
    return client(service, endpoint, deploy.REGION)


def test_health_reports_the_services_the_host_serves(endpoint: str) -> None:
    health = fetch_json(f"{endpoint}/_localstack/health")
    assert not_ready(health, ("sns", "sqs", "ses")) == []
    assert not_ready(health, ("lambda",)) == ["lambda=disabled"]  # Lambda needs Docker


def test_queued_counts_waiting_and_in_flight_messages_on_localstack(endpoint: str) -> None:
    sqs = aws("sqs", endpoint)
    url = sqs.create_queue(QueueName="dho-test-queued", Attributes={"VisibilityTimeout": "60"})["QueueUrl"]
    for body in ("a", "b", "c"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    assert queued(sqs, [url]) == 3
    taken = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=1)["Messages"][0]
    assert queued(sqs, [url]) == 3  # in flight still counts
    sqs.delete_message(QueueUrl=url, ReceiptHandle=taken["ReceiptHandle"])
    assert queued(sqs, [url]) == 2


def _alert_topic_subscriptions(templates: dict[str, dict[str, Any]]) -> list[TemplateSubscription]:
    """bodo's alert topic: the topic of the tenant stack that has SMS subscriptions."""
    tenant = [s for s in subscriptions_from_stacks(stacks_from_templates(templates))
              if s.stack.stack_name == "DhoTenant-bodo"]
    sms_topics = {s.topic.logical_id for s in tenant if s.protocol == "sms" and isinstance(s.topic, ResourceRef)}
    assert len(sms_topics) == 1
    return [s for s in tenant if isinstance(s.topic, ResourceRef) and s.topic.logical_id in sms_topics]


def _notification(
    severity: Severity, rule: Rule, alert_id: str, tier: int = 0, route: Route = Route.CENTRE
) -> Notification:
    kind = NotificationKind.ESCALATION if tier and route is Route.CENTRE else NotificationKind.NEW
    return Notification(alert_id=alert_id, patient_id="p-0001", severity=severity, rule=rule, tier=tier, kind=kind,
                        route=route)


def _envelope_attributes(notification: Notification) -> dict[str, dict[str, str]]:
    """The notifier's attributes as the moto path's outbox sees them (the SNS envelope's shape)."""
    return {name: {"Type": value["DataType"], "Value": value["StringValue"]}
            for name, value in message_attributes(notification).items()}


def test_the_alert_topics_subscriptions_reach_the_nurses_as_the_outbox_predicts(
    endpoint: str, templates: dict[str, dict[str, Any]]
) -> None:
    subscriptions = _alert_topic_subscriptions(templates)
    assert {s.protocol for s in subscriptions} == {"sms", "email"}
    sns = aws("sns", endpoint)
    topic_arn = sns.create_topic(Name="dho-bodo-alerts")["TopicArn"]
    arns = []
    for subscription in subscriptions:
        attributes = {"FilterPolicy": json.dumps(subscription.filter_policy)} if subscription.filter_policy else {}
        arns.append(sns.subscribe(TopicArn=topic_arn, Protocol=subscription.protocol, Endpoint=subscription.endpoint,
                                  Attributes=attributes, ReturnSubscriptionArn=True)["SubscriptionArn"])
    emails = sum(1 for s in subscriptions if s.protocol == "email")
    assert confirm_pending_subscriptions(sns, arns, endpoint=endpoint) == emails  # only e-mail waits, as on AWS
    assert confirm_pending_subscriptions(sns, arns, endpoint=endpoint) == 0
    notifier = SnsNotifier(sns, topic_arn)
    notifications = [_notification(Severity.RED, Rule.NEWS2, "a-red"),
                     _notification(Severity.YELLOW, Rule.WEIGHT_GAIN, "a-yellow"),
                     _notification(Severity.RED, Rule.SPO2_BAND, "a-second-nurse", tier=1),
                     _notification(Severity.RED, Rule.HEART_RATE_BAND, "a-legevakt", tier=2),
                     _notification(Severity.RED, Rule.RESPIRATORY_RATE_BAND, "a-night", tier=2,
                                   route=Route.OUT_OF_HOURS)]
    texts = {}
    for notification in notifications:
        texts[notification.alert_id] = render_alert_text(notification, tenant_name="Bodø kommune")
        notifier.publish(notification, texts[notification.alert_id])

    predicted = sorted((s.channel, s.endpoint, texts[n.alert_id]) for n in notifications for s in subscriptions
                       if filter_policy_matches(s.filter_policy, _envelope_attributes(n)))
    deadline = time.monotonic() + 15  # SNS delivers asynchronously (e-mail goes through SES)
    while True:
        received = sent_messages(endpoint, account=deploy.ACCOUNT, region=deploy.REGION)
        if len(received) >= len(predicted) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    time.sleep(0.5)  # and nothing more arrives
    received = sent_messages(endpoint, account=deploy.ACCOUNT, region=deploy.REGION)
    got = sorted((e.channel, e.endpoint, e.text) for e in received)
    assert got == predicted
    assert {e.channel for e in received} == {"sms", "email"}
    sms = [e for e in received if e.channel == "sms"]
    assert sms and all(e.severity == "red" for e in sms)  # yellow never by SMS
    # A contact from a later escalation tier hears only of reds that escalated that far; a centre contact
    # (route filter) never of an out-of-hours red, which reaches the out-of-hours clinic only.
    by_id = {n.alert_id: n for n in notifications}
    told_by_sms: dict[str, set[str]] = {}
    for subscription in (s for s in subscriptions if s.protocol == "sms"):
        told = {alert for alert, text in texts.items() for e in sms if e.endpoint == subscription.endpoint
                and e.text == text}
        told_by_sms[subscription.endpoint] = told
        policy = subscription.filter_policy or {}
        first = policy.get("tier", [{"numeric": [">=", 0]}])[0]["numeric"][1]
        assert told == {alert for alert, n in by_id.items() if n.tier >= first and alert != "a-yellow"
                        and (n.route is Route.CENTRE or "route" not in policy)}
    assert told_by_sms == {"+4799999901": {"a-red", "a-second-nurse", "a-legevakt"},
                           "+4799999902": {"a-red", "a-second-nurse", "a-legevakt"},
                           "+4799999903": {"a-second-nurse", "a-legevakt"},
                           "+4799999904": {"a-legevakt", "a-night"}}
    night = sorted((e.channel, e.endpoint) for e in received if e.text == texts["a-night"])
    assert night == [("email", "legevakt@example.org"), ("sms", "+4799999904")]
