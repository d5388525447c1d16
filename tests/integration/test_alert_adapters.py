"""The alert adapters against a moto server: the DynamoDB alert repository (one open alert per patient +
rule, optimistic concurrency, the triage index) and the SNS notifier (attributes and severity filters).
The contract tests of the repository also run against the replay's in-memory store (``alert_store``)."""

from __future__ import annotations

import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from dho.adapters.dynamodb_alerts import DynamoDbAlerts
from dho.adapters.memory_alerts import MemoryAlerts
from dho.adapters.sns_notifier import SnsNotifier
from dho.alerting.messages import render_alert_text
from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import (
    Alert,
    AlertPolicySettings,
    AlertState,
    Notification,
    NotificationKind,
    PendingNotification,
    Route,
)
from dho.domain.clock import to_canonical
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.opening_hours import OpeningHours
from dho.ports import AlertConflict
from localcloud.queues import TopicInbox, subscribe_inbox

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
POLICY = AlertPolicy()


AlertStore = DynamoDbAlerts | MemoryAlerts


@pytest.fixture(params=["dynamodb", "memory"])
def alert_store(request: pytest.FixtureRequest) -> AlertStore:
    """The DynamoDB adapter, and the replay's indexed in-memory store held to the same contract."""
    if request.param == "memory":
        return MemoryAlerts()
    return DynamoDbAlerts(request.getfixturevalue("dynamodb"), request.getfixturevalue("tenant_table"))


def _raised(patient: str, rule: Rule, severity: Severity, at: datetime) -> Alert:
    finding = Finding(patient, rule, severity, "SpO2 86 %", (f"r-{at:%H%M%S}",), at)
    return POLICY.decide(Evaluation(patient, at, (finding,), frozenset()), [], at).writes[0].alert


def test_given_a_new_alert_when_saved_then_it_is_listed_open_and_found_by_id_and_a_replay_writes_nothing(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    alert = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)

    assert repo.save(alert, None) is True
    assert repo.save(alert, None) is False

    assert repo.list_open("P-A") == [alert]
    assert repo.get(alert.alert_id) == alert
    assert repo.get("A-unknown") is None
    assert repo.list_open("P-B") == []


def test_given_two_workers_opening_an_alert_for_the_same_patient_and_rule_at_once_then_exactly_one_wins(
    dynamodb: Any, tenant_table: str
) -> None:
    repo = DynamoDbAlerts(dynamodb, tenant_table)
    candidates = [_raised("P-A", Rule.WEIGHT_GAIN, Severity.YELLOW, T0 + timedelta(seconds=i)) for i in range(6)]
    start = threading.Barrier(len(candidates))
    outcomes: list[str] = []

    def create(alert: Alert) -> None:
        start.wait()
        try:
            outcomes.append("stored" if repo.save(alert, None) else "replay")
        except AlertConflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create, args=(alert,)) for alert in candidates]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * 5 + ["stored"]
    assert len(repo.list_open("P-A")) == 1


def test_given_a_stale_version_when_saved_then_it_conflicts_and_the_stored_alert_is_unchanged(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    alert = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)
    repo.save(alert, None)
    acknowledged = POLICY.acknowledge(alert, "1234567", T0 + timedelta(minutes=2))
    repo.save(acknowledged, alert.version)

    late_sweep = replace(alert, tier=1, version=alert.version + 1)  # decided on version 1, written after the ack
    with pytest.raises(AlertConflict):
        repo.save(late_sweep, alert.version)

    assert repo.get(alert.alert_id) == acknowledged


def test_given_a_closed_alert_then_it_leaves_the_open_list_and_a_new_episode_of_the_rule_can_open(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    first = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)
    repo.save(first, None)
    second = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(hours=1))
    with pytest.raises(AlertConflict):
        repo.save(second, None)

    closed = POLICY.close(first, "1234567", T0 + timedelta(minutes=30))
    repo.save(closed, first.version)

    assert repo.list_open("P-A") == []
    assert repo.get(first.alert_id) == closed
    assert repo.save(second, None) is True
    assert repo.list_open("P-A") == [second]


def test_closing_an_alert_stores_the_rules_watermark_and_the_closed_episode_cannot_be_opened_again(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    first = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)
    repo.save(first, None)
    assert repo.closed_through("P-A") == {}
    refired = replace(first, last_evidence_at=T0 + timedelta(minutes=10), count=2, version=2)
    repo.save(refired, first.version)

    # WHEN a nurse closes it
    closed = POLICY.close(refired, "1234567", T0 + timedelta(minutes=20))
    repo.save(closed, refired.version)

    # THEN the watermark is the newest evidence of the closed episode, for that patient and rule only
    assert repo.closed_through("P-A") == {Rule.SPO2_BAND: T0 + timedelta(minutes=10)}
    assert repo.closed_through("P-B") == {}
    # AND an alert whose evidence is not newer (a replay of the episode's readings) is refused
    replayed = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(minutes=10))
    with pytest.raises(AlertConflict):
        repo.save(replayed, None)
    assert repo.get(replayed.alert_id) is None and repo.list_open("P-A") == []
    # AND evidence measured after it opens a new episode; another rule has no watermark yet
    newer = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(minutes=11))
    other_rule = _raised("P-A", Rule.NEWS2, Severity.RED, T0)
    assert repo.save(newer, None) is True and repo.save(other_rule, None) is True
    assert repo.list_open("P-A") == [other_rule, newer]


def test_the_watermark_is_written_idempotently_and_only_moves_forward(dynamodb: Any, tenant_table: str) -> None:
    repo = DynamoDbAlerts(dynamodb, tenant_table)
    older = _raised("P-A", Rule.WEIGHT_GAIN, Severity.YELLOW, T0)
    repo.save(older, None)
    closed = POLICY.close(older, "1234567", T0 + timedelta(minutes=5))
    repo.save(closed, older.version)

    # WHEN the same close is written again (a re-run of the decision)
    with pytest.raises(AlertConflict):
        repo.save(closed, older.version)
    # THEN the watermark is unchanged
    assert repo.closed_through("P-A") == {Rule.WEIGHT_GAIN: T0}

    # GIVEN a later episode closed, and an alert with older evidence still open (raised before the
    # watermark existed), WHEN that one is closed THEN it closes and the watermark stays where it was
    legacy = _raised("P-A", Rule.HEART_RATE_BAND, Severity.YELLOW, T0)
    repo.save(legacy, None)
    later = T0 + timedelta(hours=2)
    dynamodb.put_item(
        TableName=tenant_table,
        Item={
            "pk": {"S": "PATIENT#P-A"},
            "sk": {"S": "ALERT_WATERMARK#heart_rate_band"},
            "rule": {"S": "heart_rate_band"},
            "closed_through": {"S": to_canonical(later)},
        },
    )
    closed_legacy = POLICY.close(legacy, "1234567", T0 + timedelta(hours=3))
    repo.save(closed_legacy, legacy.version)

    assert repo.get(legacy.alert_id) == closed_legacy
    assert repo.closed_through("P-A") == {Rule.WEIGHT_GAIN: T0, Rule.HEART_RATE_BAND: later}


def test_the_triage_index_lists_open_alerts_red_before_yellow_oldest_first_and_drops_closed_ones(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    yellow_old = _raised("P-A", Rule.WEIGHT_GAIN, Severity.YELLOW, T0)
    red_new = _raised("P-B", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(hours=2))
    red_old = _raised("P-C", Rule.NEWS2, Severity.RED, T0 + timedelta(hours=1))
    yellow_new = _raised("P-B", Rule.HEART_RATE_BAND, Severity.YELLOW, T0 + timedelta(hours=3))
    closed_red = _raised("P-D", Rule.SYMPTOMS, Severity.RED, T0 - timedelta(hours=1))
    for alert in (yellow_old, red_new, red_old, yellow_new, closed_red):
        repo.save(alert, None)
    repo.save(POLICY.close(closed_red, "1234567", T0), closed_red.version)
    acknowledged = POLICY.acknowledge(red_new, "1234567", T0 + timedelta(hours=2, minutes=1))
    repo.save(acknowledged, red_new.version)

    assert [a.alert_id for a in repo.triage()] == [
        red_old.alert_id,
        red_new.alert_id,
        yellow_old.alert_id,
        yellow_new.alert_id,
    ]
    assert repo.triage()[1].state is AlertState.ACKNOWLEDGED
    assert [a.alert_id for a in repo.triage(limit=2)] == [red_old.alert_id, red_new.alert_id]


def test_the_due_index_gives_the_alerts_due_by_a_time_longest_due_first_and_forgets_closed_ones(
    alert_store: AlertStore
) -> None:
    repo = alert_store
    reds = [_raised(f"P-{n}", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(minutes=n)) for n in range(4)]
    for red in reds:  # each due at its next step, 15 minutes after it was raised
        repo.save(red, None, sweep_due_at=POLICY.sweep_due_at(red))
    # GIVEN a nurse took the first (due again 30 minutes later) and closed the last (due never)
    taken = POLICY.acknowledge(reds[0], "1234567", T0 + timedelta(minutes=5))
    repo.save(taken, reds[0].version, sweep_due_at=POLICY.sweep_due_at(taken))
    closed = POLICY.close(reds[3], "1234567", T0 + timedelta(minutes=5))
    repo.save(closed, reds[3].version, sweep_due_at=POLICY.sweep_due_at(closed))

    def due(minutes: int, limit: int = 10) -> list[str]:
        return [a.alert_id for a in repo.due_alerts(T0 + timedelta(minutes=minutes), limit=limit)]

    assert due(15) == []  # T0's red is no longer due then: it was acknowledged
    assert due(16) == [reds[1].alert_id]  # due at exactly 16 minutes: included
    assert due(34) == [reds[1].alert_id, reds[2].alert_id]  # never the closed one
    assert due(34, limit=1) == [reds[1].alert_id]
    assert due(35) == [reds[1].alert_id, reds[2].alert_id, taken.alert_id]  # taken at 5, re-triggers at 35
    assert repo.open_ids({r.alert_id for r in reds}) == {r.alert_id for r in reds[:3]}


def test_a_snoozed_red_leaves_the_due_index_until_it_wakes_and_keeps_its_history(
    dynamodb: Any, tenant_table: str
) -> None:
    repo = DynamoDbAlerts(dynamodb, tenant_table)
    red = replace(_raised("P-SNOOZE1", Rule.NEWS2, Severity.RED, T0), score=7.0)
    repo.save(red, None, sweep_due_at=POLICY.sweep_due_at(red))
    snoozed = POLICY.snooze(red, "1234567", T0 + timedelta(minutes=2), T0 + timedelta(minutes=50), note="ny måling")
    repo.save(snoozed, red.version, sweep_due_at=POLICY.sweep_due_at(snoozed))

    def due(minutes: int) -> list[str]:
        return [a.alert_id for a in repo.due_alerts(T0 + timedelta(minutes=minutes), limit=10)]

    assert due(16) == [] and due(49) == []  # its escalation steps are held
    assert due(50) == [red.alert_id]  # it wakes
    assert repo.get(red.alert_id) == snoozed  # snooze, score and history survive the round trip


# ---- the notification outbox ------------------------------------------------------------------------------


def _pending(alert: Alert, due_at: datetime, kind: NotificationKind = NotificationKind.NEW) -> PendingNotification:
    note = Notification(alert.alert_id, alert.patient_id, alert.severity, alert.rule, alert.tier, kind)
    return PendingNotification(note, alert.version, due_at)


def test_a_pending_notification_is_written_with_its_alert_found_once_due_and_deleted_once(
    dynamodb: Any, tenant_table: str
) -> None:
    repo = DynamoDbAlerts(dynamodb, tenant_table)
    red = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)
    yellow = _raised("P-B", Rule.WEIGHT_GAIN, Severity.YELLOW, T0)
    red_note, yellow_note = _pending(red, T0 + timedelta(seconds=61)), _pending(yellow, T0 + timedelta(seconds=60))

    # WHEN each alert is created with its notification in the outbox
    assert repo.save(red, None, pending=[red_note]) is True
    assert repo.save(yellow, None, pending=[yellow_note]) is True

    # THEN the entries live in the patients' partitions, with the notification's facts and nothing more
    raw = dynamodb.get_item(
        TableName=tenant_table,
        Key={"pk": {"S": "PATIENT#P-A"}, "sk": {"S": f"NOTIFY#{red.alert_id}#000001"}},
        ConsistentRead=True,
    )["Item"]
    assert raw["item_type"] == {"S": "pending_notification"}
    assert not {"detail", "evidence", "national_id", "name"} & raw.keys()
    # AND they are found only once due, the longest due first, exactly as written
    assert repo.due_notifications(T0 + timedelta(seconds=59)) == []
    assert repo.due_notifications(T0 + timedelta(seconds=60)) == [yellow_note]
    assert repo.due_notifications(T0 + timedelta(minutes=5)) == [yellow_note, red_note]
    assert repo.due_notifications(T0 + timedelta(minutes=5), limit=1) == [yellow_note]
    # AND the nurses' triage list does not see them
    assert {a.alert_id for a in repo.triage()} == {red.alert_id, yellow.alert_id}

    # WHEN one is settled, twice (the publish path and a sweep, or a retried sweep)
    assert repo.settle(yellow_note) is True
    assert repo.settle(yellow_note) is False

    # THEN only the other is still due
    assert repo.due_notifications(T0 + timedelta(minutes=5)) == [red_note]


def test_an_out_of_hours_red_and_its_outbox_entry_keep_their_route(alert_store: AlertStore) -> None:
    repo = alert_store
    friday_evening = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # 20:00 in Oslo: the centre is closed
    policy = AlertPolicy(AlertPolicySettings(opening_hours=OpeningHours()))
    finding = Finding("P-A", Rule.SPO2_BAND, Severity.RED, "SpO2 86 %", ("r-1",), friday_evening)
    decision = policy.decide(Evaluation("P-A", friday_evening, (finding,), frozenset()), [], friday_evening)
    (write,), (note,) = decision.writes, decision.notifications
    assert (write.alert.route, note.route, note.tier) == (Route.OUT_OF_HOURS, Route.OUT_OF_HOURS, 2)
    entry = PendingNotification(note, write.alert.version, friday_evening + timedelta(seconds=60))

    assert repo.save(write.alert, None, pending=[entry]) is True

    assert repo.get(write.alert.alert_id) == write.alert
    assert repo.due_notifications(friday_evening + timedelta(minutes=5)) == [entry]


def test_a_write_that_writes_nothing_puts_nothing_in_the_outbox(alert_store: AlertStore) -> None:
    repo = alert_store
    alert = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0)
    repo.save(alert, None)
    later = T0 + timedelta(minutes=20)

    # a replayed creation
    assert repo.save(alert, None, pending=[_pending(alert, later)]) is False
    # a rival alert for the same patient + rule
    rival = _raised("P-A", Rule.SPO2_BAND, Severity.RED, T0 + timedelta(minutes=1))
    with pytest.raises(AlertConflict):
        repo.save(rival, None, pending=[_pending(rival, later)])
    # an update decided on a version that is no longer stored
    acknowledged = POLICY.acknowledge(alert, "1234567", T0 + timedelta(minutes=2))
    repo.save(acknowledged, alert.version)
    escalated = replace(alert, tier=1, version=2)
    with pytest.raises(AlertConflict):
        repo.save(escalated, alert.version, pending=[_pending(escalated, later, NotificationKind.ESCALATION)])

    assert repo.due_notifications(later + timedelta(days=1)) == []

    # while an update that is written carries its entry
    retriggered = replace(acknowledged, tier=0, version=3)
    entry = _pending(retriggered, later, NotificationKind.REPEAT)
    repo.save(retriggered, acknowledged.version, pending=[entry])
    assert repo.due_notifications(later) == [entry]


# ---- SNS ------------------------------------------------------------------------------------------------


def _tap(sqs: Any, sns: Any, topic_arn: str, filter_policy: dict[str, list[Any]] | None) -> TopicInbox:
    """An SQS queue subscribed to the topic, as the tests' stand-in for a nurse's phone or mailbox."""
    return subscribe_inbox(sqs, sns, topic_arn, f"tap-{uuid.uuid4().hex[:8]}", filter_policy=filter_policy)


@pytest.fixture
def alert_topic(moto_endpoint: str) -> tuple[Any, Any, str]:
    sns = boto3.client("sns", endpoint_url=moto_endpoint)
    sqs = boto3.client("sqs", endpoint_url=moto_endpoint)
    topic_arn = sns.create_topic(Name=f"dho-bodo-alerts-{uuid.uuid4().hex[:8]}")["TopicArn"]
    return sns, sqs, str(topic_arn)


def _notification(severity: Severity, tier: int = 0) -> Notification:
    return Notification(
        alert_id="A-0123",
        patient_id="P-7K3QX9M2",
        severity=severity,
        rule=Rule.WEIGHT_GAIN,
        tier=tier,
        kind=NotificationKind.NEW,
    )


def test_given_a_red_notification_when_published_then_it_arrives_with_severity_tier_and_rule_attributes(
    alert_topic: tuple[Any, Any, str],
) -> None:
    sns, sqs, topic_arn = alert_topic
    everything = _tap(sqs, sns, topic_arn, None)
    note = _notification(Severity.RED, tier=1)
    text = render_alert_text(note, tenant_name="Bodø")

    SnsNotifier(sns, topic_arn).publish(note, text)

    (envelope,) = everything.messages()
    assert envelope["Message"] == text
    attributes = {name: (a["Type"], a["Value"]) for name, a in envelope["MessageAttributes"].items()}
    assert attributes["severity"] == ("String", "red")
    assert attributes["tier"] == ("Number", "1")
    assert attributes["rule"] == ("String", "weight_gain")
    assert attributes["route"] == ("String", "centre")


def test_an_out_of_hours_red_reaches_the_clinics_filter_and_not_the_centres(alert_topic: tuple[Any, Any, str]) -> None:
    sns, sqs, topic_arn = alert_topic
    centre = _tap(sqs, sns, topic_arn, {"severity": ["red"], "route": ["centre"]})
    clinic = _tap(sqs, sns, topic_arn, {"severity": ["red"], "tier": [{"numeric": [">=", 2]}]})
    notifier = SnsNotifier(sns, topic_arn)

    notifier.publish(replace(_notification(Severity.RED, tier=2), route=Route.OUT_OF_HOURS), "night")
    notifier.publish(_notification(Severity.RED), "day")

    assert [m["Message"] for m in centre.messages()] == ["day"]
    (night,) = clinic.messages()
    assert night["Message"] == "night" and night["MessageAttributes"]["route"]["Value"] == "out_of_hours"


def test_given_a_red_only_subscription_then_a_yellow_does_not_reach_it_but_reaches_the_mailbox(
    alert_topic: tuple[Any, Any, str],
) -> None:
    sns, sqs, topic_arn = alert_topic
    sms_red_only = _tap(sqs, sns, topic_arn, {"severity": ["red"]})
    mailbox = _tap(sqs, sns, topic_arn, {"severity": ["red", "yellow"]})
    notifier = SnsNotifier(sns, topic_arn)

    notifier.publish(_notification(Severity.YELLOW), "yellow")
    notifier.publish(_notification(Severity.RED), "red")

    assert [m["Message"] for m in sms_red_only.messages()] == ["red"]
    assert sorted(m["Message"] for m in mailbox.messages()) == ["red", "yellow"]
