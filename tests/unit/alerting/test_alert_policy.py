"""The alert policy with an injected clock: dedup, replay, hysteresis, escalation, inhibition, nurse actions."""

from __future__ import annotations

import pytest

from dho.alerting.policy import AlertPolicy, escalation_schedule
from dho.domain.alerts import (
    AlertClosedError,
    AlertPolicySettings,
    AlertState,
    CloseReason,
    NotificationKind,
)
from dho.domain.findings import Evaluation, Rule
from tests.unit.alerting.helpers import NURSE, PATIENT, RED, T0, YELLOW, Ward, evaluation, finding, minutes


def test_given_a_red_finding_when_decided_then_one_open_alert_and_one_new_notification_to_tier_0() -> None:
    decision = AlertPolicy().decide(evaluation(finding()), [], T0 + minutes(1))

    (write,) = decision.writes
    assert write.expected_version is None
    alert = write.alert
    assert (alert.severity, alert.state, alert.count, alert.tier, alert.version) == (RED, AlertState.OPEN, 1, 0, 1)
    assert alert.opened_at == T0 and alert.policy_version == AlertPolicySettings().version
    assert alert.next_notify_at == T0 + minutes(1) + minutes(15)
    (note,) = decision.notifications
    assert (note.alert_id, note.severity, note.rule, note.tier, note.kind) == (
        alert.alert_id,
        RED,
        Rule.SPO2_BAND,
        0,
        NotificationKind.NEW,
    )


def test_given_the_same_evaluation_twice_when_decided_then_the_second_time_changes_nothing() -> None:
    ward = Ward()
    ev = evaluation(finding(), finding(Rule.WEIGHT_GAIN, YELLOW, detail="+2.4 kg in 3 days"))
    assert len(ward.evaluate(ev)) == 2
    stored = dict(ward.alerts.alerts)

    decision = ward.policy.decide(ev, ward.alerts.list_open(PATIENT), ev.evaluated_at + minutes(5))

    assert decision.is_empty
    assert ward.evaluate(ev, ev.evaluated_at + minutes(5)) == []
    assert ward.alerts.alerts == stored


def test_given_an_alert_closed_by_a_nurse_when_the_batch_that_raised_it_is_replayed_then_nothing_is_sent() -> None:
    ward = Ward()
    ev = evaluation(finding())
    ward.evaluate(ev)
    ward.service.close(ward.only().alert_id, NURSE, T0 + minutes(10))

    assert ward.evaluate(ev, T0 + minutes(12)) == []  # same alert id: the store says it exists already
    assert len(ward.alerts.alerts) == 1


def test_given_an_open_alert_when_the_rule_fires_again_with_new_evidence_then_only_the_count_moves() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW)))

    sent = ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0 + minutes(60), detail="+2.6 kg")))

    alert = ward.only(Rule.WEIGHT_GAIN)
    assert sent == []  # yellow never notifies again
    assert (alert.count, alert.detail, alert.last_evidence_at, alert.version) == (2, "+2.6 kg", T0 + minutes(60), 2)
    assert len(ward.alerts.alerts) == 1


def test_given_a_finding_older_than_the_alerts_evidence_when_decided_then_it_is_not_counted() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(at=T0 + minutes(30))))

    decision = ward.policy.decide(evaluation(finding(at=T0)), ward.alerts.list_open(PATIENT), T0 + minutes(40))

    assert decision.is_empty


def test_given_evidence_at_the_same_time_with_new_reading_ids_then_it_counts_once() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(evidence=("a",))))
    ev = evaluation(finding(evidence=("a", "b")))
    ward.evaluate(ev, T0 + minutes(2))
    ward.evaluate(ev, T0 + minutes(3))

    assert ward.only().count == 2 and ward.only().evidence == ("a", "b")


def test_given_more_evidence_than_kept_then_the_newest_ids_are_kept_and_a_replay_is_still_recognised() -> None:
    ward = Ward(AlertPolicySettings(max_evidence=3))
    ev = evaluation(finding(evidence=tuple(f"r{i}" for i in range(10))))
    ward.evaluate(ev)
    ward.evaluate(ev, T0 + minutes(1))

    assert ward.only().evidence == ("r7", "r8", "r9") and ward.only().count == 1


# ---- hysteresis ---------------------------------------------------------------------------------------


def quiet(rule: Rule, n: int) -> Evaluation:
    return evaluation(at=T0 + minutes(10 * n), quiet=(rule,))


def test_given_a_yellow_when_the_rule_is_quiet_n_times_in_a_row_then_it_closes_itself_only_then() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW)))
    alert_id = ward.only(Rule.HEART_RATE_BAND).alert_id

    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 1))
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 2))
    assert ward.alerts.alerts[alert_id].state is AlertState.OPEN
    assert ward.alerts.alerts[alert_id].quiet_count == 2
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 3))

    closed = ward.alerts.alerts[alert_id]
    assert (closed.state, closed.close_reason, closed.closed_by) == (AlertState.CLOSED, CloseReason.QUIET, None)
    assert ward.alerts.list_open(PATIENT) == []


def test_given_a_yellow_with_quiet_evaluations_when_it_fires_again_then_the_quiet_count_starts_over() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW)))
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 1))
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 2))
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW, at=T0 + minutes(25))))
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 3))
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 4))

    assert ward.only(Rule.HEART_RATE_BAND).quiet_count == 2
    ward.evaluate(quiet(Rule.HEART_RATE_BAND, 5))
    assert ward.alerts.list_open(PATIENT) == []


def test_given_a_replayed_quiet_evaluation_then_it_is_counted_once() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW)))
    for _ in range(3):
        ward.evaluate(quiet(Rule.HEART_RATE_BAND, 1))

    assert ward.only(Rule.HEART_RATE_BAND).quiet_count == 1


def test_given_a_red_when_the_rule_stays_quiet_then_it_never_closes_itself() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()))
    for n in range(1, 20):
        ward.evaluate(quiet(Rule.SPO2_BAND, n))
    ward.sweep(T0 + minutes(60 * 24 * 10))

    alert = ward.only()
    assert alert.state is AlertState.OPEN and alert.quiet_count == 19


def test_given_a_yellow_without_new_evidence_for_72_hours_when_swept_then_it_closes_as_stale() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW)))

    ward.sweep(T0 + minutes(72 * 60 - 1))
    assert ward.only(Rule.WEIGHT_GAIN).state is AlertState.OPEN
    ward.sweep(T0 + minutes(72 * 60))

    assert ward.alerts.list_open(PATIENT) == []
    assert next(iter(ward.alerts.alerts.values())).close_reason is CloseReason.STALE


# ---- escalation -----------------------------------------------------------------------------------


def test_the_default_escalation_schedule_is_three_loops_over_three_tiers_every_15_minutes() -> None:
    schedule = escalation_schedule(AlertPolicySettings())
    assert [(int(s.offset.total_seconds() // 60), s.tier) for s in schedule] == [
        (0, 0),
        (15, 1),
        (30, 2),
        (45, 0),
        (60, 1),
        (75, 2),
        (90, 0),
        (105, 1),
        (120, 2),
    ]


def test_a_tier_held_longer_than_the_repeat_interval_is_told_again_before_the_next_tier() -> None:
    schedule = escalation_schedule(AlertPolicySettings(tier_after_minutes=(0, 30), max_loops=1))
    assert [(int(s.offset.total_seconds() // 60), s.tier) for s in schedule] == [(0, 0), (15, 0), (30, 1)]


def test_given_an_unacknowledged_red_when_swept_then_it_repeats_and_escalates_on_time_and_stops_after_3_loops() -> None:
    ward = Ward(AlertPolicySettings(tier_after_minutes=(0, 30, 45)))  # tier 0 is told twice per loop
    ward.evaluate(evaluation(finding()), T0)

    told = []
    for minute in range(1, 300):
        told += [(minute, n.tier, n.kind) for n in ward.sweep(T0 + minutes(minute))]

    assert told[:4] == [
        (15, 0, NotificationKind.REPEAT),
        (30, 1, NotificationKind.ESCALATION),
        (45, 2, NotificationKind.ESCALATION),
        (60, 0, NotificationKind.REPEAT),
    ]
    assert len(told) == 3 * 4 - 1  # 4 notifications per loop, the first one was the NEW one
    assert told[-1][0] == 165
    assert ward.only().notifications_sent == 12 and ward.only().next_notify_at is None


def test_given_a_sweep_that_ran_late_then_only_the_latest_due_step_is_sent() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()), T0)

    (note,) = ward.sweep(T0 + minutes(40))

    assert (note.tier, note.kind) == (2, NotificationKind.ESCALATION)
    assert ward.only().next_notify_at == T0 + minutes(45)
    assert ward.sweep(T0 + minutes(40)) == []  # idempotent for the same moment


def test_given_an_acknowledged_red_that_is_not_closed_then_it_retriggers_after_30_minutes() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()), T0)
    ward.service.acknowledge(ward.only().alert_id, NURSE, T0 + minutes(5))

    assert ward.sweep(T0 + minutes(20)) == []  # acknowledged: no escalation
    assert ward.sweep(T0 + minutes(34)) == []
    (note,) = ward.sweep(T0 + minutes(35))

    assert (note.tier, note.kind) == (0, NotificationKind.REPEAT)
    alert = ward.only()
    assert alert.state is AlertState.OPEN and alert.acknowledged_by == NURSE
    assert alert.next_notify_at == T0 + minutes(50)  # escalating again


def test_given_an_acknowledged_red_when_it_is_closed_by_the_nurse_then_nothing_more_is_sent() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()), T0)
    ward.service.acknowledge(ward.only().alert_id, NURSE, T0 + minutes(5))
    closed = ward.service.close(ward.only().alert_id, NURSE, T0 + minutes(10))

    assert closed is not None and (closed.state, closed.closed_by) == (AlertState.CLOSED, NURSE)
    assert ward.sweep(T0 + minutes(600)) == []


def test_given_yellow_alerts_then_no_time_ever_sends_them_again() -> None:
    ward = Ward()
    (first,) = ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW)), T0)
    assert (first.severity, first.kind) == (YELLOW, NotificationKind.NEW)
    for minute in range(1, 72 * 60, 7):
        assert ward.sweep(T0 + minutes(minute)) == []
        if minute % 60 == 1:
            ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0 + minutes(minute))))
    ward.service.acknowledge(ward.only(Rule.WEIGHT_GAIN).alert_id, NURSE, T0 + minutes(3))
    assert ward.sweep(T0 + minutes(200)) == []
    assert len(ward.notifier.sent) == 1


def test_given_a_red_re_fire_within_the_suppression_window_then_it_only_bumps_the_count() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()), T0)
    ward.service.acknowledge(ward.only().alert_id, NURSE, T0 + minutes(2))

    assert ward.evaluate(evaluation(finding(at=T0 + minutes(10)))) == []
    assert ward.only().count == 2 and ward.only().state is AlertState.ACKNOWLEDGED


def test_given_an_acknowledged_red_that_fires_again_after_the_window_then_it_retriggers_at_once() -> None:
    ward = Ward(AlertPolicySettings(acknowledged_retrigger_minutes=120))
    ward.evaluate(evaluation(finding()), T0)
    ward.service.acknowledge(ward.only().alert_id, NURSE, T0 + minutes(2))

    (note,) = ward.evaluate(evaluation(finding(at=T0 + minutes(40))))

    assert (note.kind, note.tier) == (NotificationKind.REPEAT, 0)
    assert ward.only().state is AlertState.OPEN


def test_given_a_yellow_that_turns_red_on_the_same_rule_then_the_alert_is_upgraded_and_told_at_once() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(severity=YELLOW)), T0)
    ward.service.acknowledge(ward.only().alert_id, NURSE, T0 + minutes(1))

    (note,) = ward.evaluate(evaluation(finding(severity=RED, at=T0 + minutes(3))))  # inside the window

    alert = ward.only()
    assert (note.kind, note.severity, note.alert_id) == (NotificationKind.WORSENED, RED, alert.alert_id)
    assert (alert.severity, alert.state, alert.count) == (RED, AlertState.OPEN, 2)
    assert len(ward.alerts.alerts) == 1
    assert ward.only().next_notify_at == T0 + minutes(3.5) + minutes(15)  # escalating from the evaluation


def test_given_a_red_alert_when_a_yellow_finding_of_the_same_rule_comes_then_it_stays_red() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding()), T0)
    ward.evaluate(evaluation(finding(severity=YELLOW, at=T0 + minutes(30), detail="SpO2 91 %")))

    assert ward.only().severity is RED and ward.only().detail == "SpO2 86 % (limit 90 %)"


# ---- inhibition and grouping -----------------------------------------------------------------------


def test_given_a_red_on_a_parameter_then_a_yellow_on_the_same_parameter_raises_nothing() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND, RED)), T0)

    decision = ward.policy.decide(
        evaluation(finding(Rule.SPO2_BELOW_PERSONAL_MEAN, YELLOW, at=T0 + minutes(9))),
        ward.alerts.list_open(PATIENT),
        T0 + minutes(10),
    )

    assert decision.writes == () and decision.inhibited == (Rule.SPO2_BELOW_PERSONAL_MEAN,)


def test_given_a_red_and_a_yellow_on_the_same_parameter_in_one_evaluation_then_only_the_red_is_raised() -> None:
    ward = Ward()
    sent = ward.evaluate(
        evaluation(
            finding(Rule.SPO2_BELOW_PERSONAL_MEAN, YELLOW),
            finding(Rule.SPO2_BAND, RED),
            finding(Rule.WEIGHT_GAIN, YELLOW),
        )
    )

    assert {a.rule for a in ward.alerts.alerts.values()} == {Rule.SPO2_BAND, Rule.WEIGHT_GAIN}
    assert [(n.severity, n.rule) for n in sent] == [(RED, Rule.SPO2_BAND), (YELLOW, Rule.WEIGHT_GAIN)]


def test_given_one_measurement_session_firing_three_red_rules_then_the_nurse_gets_one_message() -> None:
    ward = Ward()
    sent = ward.evaluate(evaluation(finding(Rule.SPO2_BAND), finding(Rule.HEART_RATE_BAND), finding(Rule.NEWS2)))

    (note,) = sent
    assert len(ward.alerts.alerts) == 3
    assert set(note.alert_ids) == {a.alert_id for a in ward.alerts.alerts.values()}


# ---- nurse actions ---------------------------------------------------------------------------------


def test_given_two_red_alerts_when_the_nurse_acknowledges_one_then_the_other_keeps_escalating() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND), finding(Rule.TEMPERATURE_BAND, at=T0 + minutes(1))), T0)
    spo2, temperature = ward.only(Rule.SPO2_BAND), ward.only(Rule.TEMPERATURE_BAND)

    ward.service.acknowledge(spo2.alert_id, NURSE, T0 + minutes(5))

    assert ward.alerts.alerts[temperature.alert_id] == temperature
    assert ward.only(Rule.TEMPERATURE_BAND).state is AlertState.OPEN
    assert [n.alert_id for n in ward.sweep(T0 + minutes(15))] == [temperature.alert_id]


def test_nurse_actions_need_an_hpr_number_and_an_open_alert() -> None:
    policy = AlertPolicy()
    alert = policy.decide(evaluation(finding()), [], T0).writes[0].alert
    with pytest.raises(ValueError, match="HPR"):
        policy.acknowledge(alert, "Kari Nordmann", T0)
    with pytest.raises(ValueError, match="automatic"):
        policy.close(alert, NURSE, T0, CloseReason.QUIET)
    closed = policy.close(alert, NURSE, T0, CloseReason.REFERRED)
    assert closed.version == alert.version + 1 and closed.close_reason is CloseReason.REFERRED
    with pytest.raises(AlertClosedError):
        policy.acknowledge(closed, NURSE, T0)


def test_an_alert_keeps_the_timings_of_the_policy_version_it_was_raised_under() -> None:
    old = AlertPolicySettings(version="old", red_repeat_minutes=5, tier_after_minutes=(0, 5))
    alert = AlertPolicy(old).decide(evaluation(finding()), [], T0).writes[0].alert

    newer = AlertPolicy(AlertPolicySettings(version="new"), earlier_settings=[old])
    (write,) = newer.sweep([alert], T0 + minutes(5)).writes

    assert write.alert.policy_version == "old" and write.alert.tier == 1


def test_settings_come_from_the_tenant_policy_json_of_the_infrastructure() -> None:
    text = (
        '{"escalation":{"acknowledged_retrigger_minutes":45,"max_loops":2,"max_reading_delay_minutes":5,'
        '"red_repeat_minutes":10,"second_nurse_after_minutes":20},"programmes":["copd"]}'
    )
    settings = AlertPolicySettings.from_tenant_policy(text, version="bodo-1")
    assert (
        settings.red_repeat_minutes,
        settings.tier_after_minutes,
        settings.acknowledged_retrigger_minutes,
        settings.max_loops,
        settings.version,
    ) == (10, (0, 20, 40), 45, 2, "bodo-1")
    with pytest.raises(ValueError, match="start with 0"):
        AlertPolicySettings(tier_after_minutes=(5, 10))
