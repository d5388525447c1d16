"""Opening hours in the alert policy (README "Scoring and alerts"), with an injected clock: while the centre
is closed a red goes on the out-of-hours route, straight to the last tier (the out-of-hours clinic), and
repeats there; at opening an unacknowledged one is handed to the centre; a yellow waits for the opening
and is told then, once, unless it ended before."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from dho.alerting.policy import AlertPolicy
from dho.domain.alerts import AlertPolicySettings, AlertState, CloseReason, Notification, NotificationKind, Route
from dho.domain.findings import Rule
from dho.domain.opening_hours import OpeningHours
from tests.unit.alerting.helpers import NURSE, PATIENT, RED, YELLOW, Ward, evaluation, finding, minutes

SETTINGS = AlertPolicySettings(opening_hours=OpeningHours())  # 08:00 to 15:30 Europe/Oslo, Monday to Friday
FRIDAY_0900 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)  # Oslo is UTC+1 in November
FRIDAY_1520 = datetime(2026, 11, 20, 14, 20, tzinfo=UTC)
FRIDAY_2000 = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)
MONDAY_0755 = datetime(2026, 11, 23, 6, 55, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
LAST_TIER = len(SETTINGS.tier_after_minutes) - 1
OOH, CENTRE = Route.OUT_OF_HOURS, Route.CENTRE
NEW, REPEAT, ESCALATION = NotificationKind.NEW, NotificationKind.REPEAT, NotificationKind.ESCALATION
ONE_MINUTE = timedelta(minutes=1)


def told(notes: list[Notification]) -> list[tuple[NotificationKind, int, Route]]:
    return [(n.kind, n.tier, n.route) for n in notes]


def sweep_every(ward: Ward, start: datetime, end: datetime, step: timedelta = ONE_MINUTE) -> list[Notification]:
    """The scheduled sweep, every ``step`` from ``start`` up to (not including) ``end``."""
    sent: list[Notification] = []
    at = start
    while at < end:
        sent += ward.sweep(at)
        at += step
    return sent


# ---- reds -----------------------------------------------------------------------------------------------


def test_a_red_while_the_centre_is_open_goes_to_the_centre_at_tier_0() -> None:
    ward = Ward(SETTINGS)
    assert told(ward.evaluate(evaluation(finding(at=FRIDAY_0900)))) == [(NEW, 0, CENTRE)]
    assert ward.only().route is CENTRE


def test_a_red_while_the_centre_is_closed_goes_straight_to_the_out_of_hours_clinic() -> None:
    ward = Ward(SETTINGS)
    ev = evaluation(finding(at=FRIDAY_2000))

    assert told(ward.evaluate(ev)) == [(NEW, LAST_TIER, OOH)]
    alert = ward.only()
    assert (alert.route, alert.tier, alert.next_notify_at) == (OOH, LAST_TIER, ev.evaluated_at + minutes(15))
    # a redelivered batch is a replay: nothing is written or sent
    assert ward.evaluate(ev, ev.evaluated_at + minutes(1)) == []


def test_an_out_of_hours_red_repeats_at_the_clinic_on_the_schedule_then_waits_for_the_opening() -> None:
    ward = Ward(SETTINGS)
    ev = evaluation(finding(at=FRIDAY_2000))
    ward.evaluate(ev)
    start = ev.evaluated_at

    night = sweep_every(ward, start + minutes(1), MONDAY_0800)

    # the day schedule's times (every 15 min for 2 h), every one to the clinic, then silence till Monday
    assert told(night) == [(REPEAT, LAST_TIER, OOH)] * 8
    assert ward.only().last_notified_at == start + minutes(120)
    assert ward.only().next_notify_at == MONDAY_0800


def test_at_opening_an_unacknowledged_out_of_hours_red_is_handed_to_the_centre_and_escalates_as_by_day() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(at=FRIDAY_2000)))
    sweep_every(ward, FRIDAY_2000, MONDAY_0800, minutes(5))

    morning = sweep_every(ward, MONDAY_0800, MONDAY_0800 + minutes(31))

    # the centre at opening, then the second nurse and the clinic again if nobody takes it
    assert told(morning) == [(REPEAT, 0, CENTRE), (ESCALATION, 1, CENTRE), (ESCALATION, 2, CENTRE)]
    assert ward.only().route is CENTRE and ward.only().escalation_started_at == MONDAY_0800


def test_a_red_raised_just_before_opening_is_told_to_the_clinic_then_to_the_centre_at_opening() -> None:
    ward = Ward(SETTINGS)
    assert told(ward.evaluate(evaluation(finding(at=MONDAY_0755 - minutes(1)), at=MONDAY_0755))) == [
        (NEW, LAST_TIER, OOH)
    ]
    assert ward.only().next_notify_at == MONDAY_0800  # before its next step at 08:10

    assert told(sweep_every(ward, MONDAY_0755 + minutes(1), MONDAY_0800 + minutes(10))) == [(REPEAT, 0, CENTRE)]


def test_a_centre_cycle_still_running_at_closing_moves_to_the_clinic_at_its_next_step() -> None:
    ward = Ward(SETTINGS)
    ev = evaluation(finding(at=FRIDAY_1520 - minutes(1)), at=FRIDAY_1520)
    assert told(ward.evaluate(ev)) == [(NEW, 0, CENTRE)]

    # 15:35 in Oslo: closed; the clinic is told at once, and its repeats follow
    evening = sweep_every(ward, FRIDAY_1520 + minutes(1), FRIDAY_1520 + minutes(46))
    assert told(evening) == [(ESCALATION, LAST_TIER, OOH), (REPEAT, LAST_TIER, OOH), (REPEAT, LAST_TIER, OOH)]
    assert ward.only().escalation_started_at == FRIDAY_1520 + minutes(15)


def test_an_acknowledged_red_out_of_hours_is_not_handed_over_and_re_triggers_at_the_clinic() -> None:
    ward = Ward(SETTINGS)
    ev = evaluation(finding(at=FRIDAY_2000))
    ward.evaluate(ev)
    ward.service.acknowledge(ward.only().alert_id, NURSE, ev.evaluated_at + minutes(5))

    assert told(sweep_every(ward, ev.evaluated_at + minutes(6), ev.evaluated_at + minutes(36))) == [
        (REPEAT, LAST_TIER, OOH)
    ]
    assert ward.only().state is AlertState.OPEN


def test_a_red_closed_by_a_nurse_in_the_night_is_not_told_at_opening() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(at=FRIDAY_2000)))
    ward.close_all(FRIDAY_2000 + minutes(20), CloseReason.REFERRED)

    assert sweep_every(ward, FRIDAY_2000 + minutes(21), MONDAY_0800 + minutes(60), minutes(5)) == []


def test_without_opening_hours_the_centre_never_closes() -> None:
    ward = Ward()
    assert told(ward.evaluate(evaluation(finding(at=FRIDAY_2000)))) == [(NEW, 0, CENTRE)]
    assert told(ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=FRIDAY_2000)))) == [(NEW, 0, CENTRE)]


# ---- yellows ----------------------------------------------------------------------------------------------


def test_a_yellow_while_the_centre_is_closed_waits_and_is_told_at_opening_exactly_once() -> None:
    ward = Ward(SETTINGS)
    ev = evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=FRIDAY_2000))

    assert ward.evaluate(ev) == []
    alert = ward.only(Rule.WEIGHT_GAIN)
    assert (alert.state, alert.notifications_sent, alert.next_notify_at) == (AlertState.OPEN, 0, MONDAY_0800)
    assert ward.evaluate(ev, ev.evaluated_at + minutes(1)) == []  # a replay
    assert sweep_every(ward, ev.evaluated_at, MONDAY_0800, minutes(5)) == []

    at_opening = ward.sweep(MONDAY_0800)

    assert told(at_opening) == [(NEW, 0, CENTRE)] and at_opening[0].severity is YELLOW
    assert ward.sweep(MONDAY_0800) == []  # the same tick again (a retried invocation)
    assert sweep_every(ward, MONDAY_0800 + minutes(1), MONDAY_0800 + minutes(120)) == []
    alert = ward.only(Rule.WEIGHT_GAIN)
    assert (alert.notifications_sent, alert.next_notify_at, alert.last_notified_at) == (1, None, MONDAY_0800)
    assert ward.alerts.outbox == {}  # its outbox entry rode on the sweep's write and was settled


def test_a_yellow_that_closes_itself_before_opening_is_never_told() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(Rule.HEART_RATE_BAND, YELLOW, at=FRIDAY_2000)))
    for n in (1, 2, 3):  # three quiet evaluations: hysteresis closes it
        ward.evaluate(evaluation(at=FRIDAY_2000 + minutes(30 * n), quiet=(Rule.HEART_RATE_BAND,)))
    assert ward.alerts.list_open(PATIENT) == []

    assert sweep_every(ward, FRIDAY_2000, MONDAY_0800 + minutes(30), minutes(5)) == []


def test_a_yellow_that_goes_stale_before_a_late_opening_is_never_told() -> None:
    mondays = AlertPolicySettings(opening_hours=OpeningHours(days=("mon",)))
    ward = Ward(mondays)
    tuesday = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=tuesday)))
    assert ward.only(Rule.WEIGHT_GAIN).next_notify_at == datetime(2026, 11, 30, 7, 0, tzinfo=UTC)

    assert sweep_every(ward, tuesday, datetime(2026, 11, 30, 9, 0, tzinfo=UTC), minutes(30)) == []
    (closed,) = ward.alerts.alerts.values()
    assert closed.close_reason is CloseReason.STALE and closed.notifications_sent == 0


def test_a_yellow_a_nurse_acknowledged_before_opening_is_not_told() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=FRIDAY_2000)))
    ward.service.acknowledge(ward.only(Rule.WEIGHT_GAIN).alert_id, NURSE, FRIDAY_2000 + minutes(60))

    assert sweep_every(ward, FRIDAY_2000, MONDAY_0800 + minutes(30), minutes(5)) == []


def test_a_waiting_yellow_that_turns_red_goes_to_the_clinic_and_to_the_centre_at_opening_as_a_red() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND, YELLOW, at=FRIDAY_2000)))
    later = FRIDAY_2000 + minutes(60)

    assert told(ward.evaluate(evaluation(finding(Rule.SPO2_BAND, RED, at=later)))) == [
        (NotificationKind.WORSENED, LAST_TIER, OOH)
    ]
    sweep_every(ward, later + minutes(1), MONDAY_0800, minutes(5))
    at_opening = ward.sweep(MONDAY_0800)
    assert told(at_opening) == [(REPEAT, 0, CENTRE)] and at_opening[0].severity is RED


def test_a_yellow_whose_opening_moved_waits_for_the_new_one() -> None:
    earlier = Ward(SETTINGS)
    earlier.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=FRIDAY_2000)))
    # the tenant now opens at 10:00: the sweep at 08:00 finds the centre still closed
    later_hours = AlertPolicySettings(opening_hours=OpeningHours(opens=datetime(2026, 1, 1, 10, 0).time()))
    ward = Ward(later_hours, alerts=earlier.alerts)

    assert ward.sweep(MONDAY_0800) == []
    assert ward.only(Rule.WEIGHT_GAIN).next_notify_at == MONDAY_0800 + timedelta(hours=2)
    assert told(ward.sweep(MONDAY_0800 + timedelta(hours=2))) == [(NEW, 0, CENTRE)]


def test_yellows_of_one_patient_that_waited_are_told_in_one_message_at_opening() -> None:
    ward = Ward(SETTINGS)
    ward.evaluate(evaluation(finding(Rule.WEIGHT_GAIN, YELLOW, at=FRIDAY_2000),
                             finding(Rule.HEART_RATE_BAND, YELLOW, at=FRIDAY_2000)))

    (note,) = ward.sweep(MONDAY_0800)
    assert (note.kind, note.tier, note.route, len(note.alert_ids)) == (NEW, 0, CENTRE, 2)


def test_the_decision_is_pure_the_route_depends_only_on_the_time_given() -> None:
    policy = AlertPolicy(SETTINGS)
    ev = evaluation(finding(at=FRIDAY_2000))
    by_night = policy.decide(ev, [], FRIDAY_2000)
    assert by_night == policy.decide(ev, [], FRIDAY_2000)
    assert [n.route for n in by_night.notifications] == [OOH]
    assert [n.route for n in policy.decide(ev, [], MONDAY_0800).notifications] == [CENTRE]
