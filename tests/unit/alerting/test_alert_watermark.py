"""Closed stays closed: after an episode of a rule is closed (hysteresis, stale, a nurse), the readings it
was raised on, delivered again, open nothing and tell nobody; a reading measured later opens a new one."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from hypothesis import given, settings

from dho.domain.alerts import AlertState, CloseReason, Notification, NotificationKind
from dho.domain.findings import Evaluation, Rule
from tests.support.alert_fakes import InMemoryAlerts
from tests.unit.alerting.helpers import (
    PATIENT,
    RED,
    T0,
    YELLOW,
    Ward,
    evaluation,
    evaluation_sequences,
    finding,
    minutes,
)


def kinds(notifications: list[Notification]) -> list[NotificationKind]:
    return [n.kind for n in notifications]


def red_episode_closed_by_a_nurse(ward: Ward) -> tuple[Evaluation, Evaluation]:
    """A red SpO2 alert raised at T0, fired again by a reading at T0+10, closed by a nurse at T0+20."""
    first = evaluation(finding(at=T0, evidence=("oxi-1",)))
    again = evaluation(finding(at=T0 + minutes(10), evidence=("oxi-1", "oxi-2")))
    assert kinds(ward.evaluate(first)) == [NotificationKind.NEW]
    assert ward.evaluate(again) == []
    ward.close_all(T0 + minutes(20))
    return first, again


def test_given_a_red_closed_by_a_nurse_when_its_readings_are_delivered_again_then_no_alert_and_no_sms() -> None:
    ward = Ward()
    first, again = red_episode_closed_by_a_nurse(ward)
    stored = dict(ward.alerts.alerts)

    # WHEN the later batch of the closed episode comes again (SQS redelivery, a device re-sending it)
    sent = ward.evaluate(again, T0 + minutes(40)) + ward.evaluate(first, T0 + minutes(41))

    # THEN nothing is opened and nobody is told
    assert sent == []
    assert ward.alerts.alerts == stored and ward.alerts.list_open(PATIENT) == []
    assert ward.alerts.closed_through(PATIENT) == {Rule.SPO2_BAND: T0 + minutes(10)}
    decision = ward.policy.decide(again, [], T0 + minutes(40), closed_through=ward.alerts.closed_through(PATIENT))
    assert decision.is_empty and decision.already_closed == (Rule.SPO2_BAND,)


def test_given_a_yellow_closed_by_hysteresis_when_its_readings_come_again_then_it_stays_closed() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW, at=T0)))
    refire = evaluation(finding(Rule.HEART_RATE_BAND, YELLOW, at=T0 + minutes(5)))
    ward.evaluate(refire)
    for n in (1, 2, 3):
        ward.evaluate(evaluation(at=T0 + minutes(10 + 10 * n), quiet=(Rule.HEART_RATE_BAND,)))
    (closed,) = ward.alerts.alerts.values()
    assert closed.close_reason is CloseReason.QUIET

    assert ward.evaluate(refire, T0 + minutes(60)) == []

    assert list(ward.alerts.alerts.values()) == [closed]


def test_given_a_yellow_closed_as_stale_when_a_gateway_resends_the_old_batch_then_it_stays_closed() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0)))
    old_batch = evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=T0 + minutes(60), detail="+2.6 kg"))
    ward.evaluate(old_batch)
    ward.service.sweep(T0 + minutes(60 + 72 * 60))
    (closed,) = ward.alerts.alerts.values()
    assert closed.close_reason is CloseReason.STALE

    assert ward.evaluate(old_batch, T0 + minutes(60 + 73 * 60)) == []

    assert list(ward.alerts.alerts.values()) == [closed]


def test_given_a_closed_episode_when_a_reading_measured_after_it_fires_the_rule_then_a_new_alert_is_told() -> None:
    ward = Ward()
    red_episode_closed_by_a_nurse(ward)
    at_the_watermark = evaluation(finding(at=T0 + minutes(10), evidence=("oxi-1", "oxi-2", "oxi-3")))

    assert ward.evaluate(at_the_watermark, T0 + minutes(25)) == []  # no later evidence than what was closed
    sent = ward.evaluate(evaluation(finding(at=T0 + minutes(11), evidence=("oxi-4",))), T0 + minutes(26))

    assert kinds(sent) == [NotificationKind.NEW]
    (new,) = ward.alerts.list_open(PATIENT)
    assert (new.opened_at, new.state, new.count, new.evidence) == (T0 + minutes(11), AlertState.OPEN, 1, ("oxi-4",))
    assert len(ward.alerts.alerts) == 2


def test_given_a_closed_episode_when_everything_is_run_again_then_the_watermark_is_unchanged_and_holds() -> None:
    ward = Ward()
    first, again = red_episode_closed_by_a_nurse(ward)
    watermark = dict(ward.alerts.closed_through(PATIENT))

    # WHEN the whole stream is processed again, with sweeps and another close attempt in between
    for ev, now in ((first, T0 + minutes(30)), (again, T0 + minutes(31)), (first, T0 + minutes(32))):
        assert ward.evaluate(ev, now) == []
        ward.service.sweep(now)
    ward.close_all(T0 + minutes(33))

    # THEN the watermark is the same, and still keeps the episode closed
    assert ward.alerts.closed_through(PATIENT) == watermark
    assert ward.evaluate(again, T0 + minutes(34)) == []
    assert len(ward.alerts.alerts) == 1


def test_given_a_second_episode_closed_later_then_the_watermark_moves_forward_and_never_back() -> None:
    ward = Ward()
    first, again = red_episode_closed_by_a_nurse(ward)
    later = evaluation(finding(at=T0 + minutes(120), evidence=("oxi-9",)))
    assert kinds(ward.evaluate(later)) == [NotificationKind.NEW]
    ward.close_all(T0 + minutes(130))

    assert ward.alerts.closed_through(PATIENT) == {Rule.SPO2_BAND: T0 + minutes(120)}
    for ev in (first, again, later):
        assert ward.evaluate(ev, T0 + minutes(140)) == []
    assert ward.alerts.closed_through(PATIENT) == {Rule.SPO2_BAND: T0 + minutes(120)}
    assert len(ward.alerts.alerts) == 2


def test_the_watermark_is_per_rule_so_another_rule_of_the_same_patient_still_opens() -> None:
    ward = Ward()
    red_episode_closed_by_a_nurse(ward)

    sent = ward.evaluate(
        evaluation(finding(Rule.NEWS2, RED, at=T0 + minutes(10), evidence=("oxi-2",))), T0 + minutes(40)
    )

    assert kinds(sent) == [NotificationKind.NEW]
    assert [a.rule for a in ward.alerts.list_open(PATIENT)] == [Rule.NEWS2]


@dataclass
class StaleWatermarkRead(InMemoryAlerts):
    """The first read of the watermarks comes before a concurrent close moved them (a lost race)."""

    reads: int = field(default=0)

    def closed_through(self, patient_id: str) -> Mapping[Rule, datetime]:
        self.reads += 1
        return {} if self.reads == 1 else super().closed_through(patient_id)


def test_given_a_stale_read_of_the_watermark_then_the_store_refuses_the_reopening_and_the_retry_sends_nothing() -> None:
    alerts = StaleWatermarkRead()
    ward = Ward(alerts=alerts)
    alerts.watermark[(PATIENT, Rule.SPO2_BAND)] = T0 + minutes(10)  # closed by another worker meanwhile

    outcome = ward.service.on_evaluation(evaluation(finding(at=T0 + minutes(10))), T0 + minutes(20))

    assert (outcome.conflicts, outcome.written, outcome.notified) == (1, (), 0)
    assert alerts.reads == 2 and alerts.alerts == {}


RULES = (Rule.SPO2_BAND, Rule.WEIGHT_GAIN, Rule.HEART_RATE_BAND)  # three parameters: no inhibition among them


@settings(max_examples=100, deadline=None)
@given(sequence=evaluation_sequences(RULES, max_steps=10))
def test_given_any_history_closed_by_the_nurses_when_all_of_it_is_delivered_again_then_nothing_opens(
    sequence: list[Evaluation],
) -> None:
    ward = Ward()
    for ev in sequence:
        ward.evaluate(ev)
        ward.service.sweep(ev.evaluated_at)
    end = sequence[-1].evaluated_at + minutes(5)
    ward.close_all(end)
    stored, watermark = dict(ward.alerts.alerts), dict(ward.alerts.closed_through(PATIENT))
    told = len(ward.notifier.sent)

    for n, ev in enumerate(sequence, start=1):
        ward.evaluate(ev, end + minutes(n))
        ward.service.sweep(end + minutes(n))

    assert ward.alerts.alerts == stored
    assert ward.alerts.closed_through(PATIENT) == watermark
    assert len(ward.notifier.sent) == told
