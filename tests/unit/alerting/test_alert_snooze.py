"""Snooze: a nurse holds an alert's repeats and escalation for a bounded time; a worsening breaks through.

GIVEN alerts of one patient behind the service (in-memory store, recording notifier)
WHEN a nurse snoozes one and time passes, or the patient gets worse
THEN nobody is told while it sleeps, it wakes as an acknowledged red re-triggers, and a worsening is
told at once."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dho.domain.alerts import ActionKind, AlertClosedError, AlertPolicySettings, NotificationKind, SnoozeRefused
from dho.domain.findings import Finding, Rule, Severity
from tests.unit.alerting.helpers import NURSE, PATIENT, RED, T0, YELLOW, Ward, evaluation, finding, minutes


def _news2(score: float, at_minutes: float, severity: Severity = RED) -> Finding:
    at = T0 + minutes(at_minutes)
    return Finding(PATIENT, Rule.NEWS2, severity, f"NEWS2 {score:g}", (f"r-{at_minutes}",), at, score=score)


def _snoozed_red(ward: Ward, *, until_minutes: float = 60, at_minutes: float = 2) -> None:
    ward.evaluate(evaluation(_news2(7, 0)))
    alert = ward.only(Rule.NEWS2)
    ward.service.snooze(alert.alert_id, NURSE, T0 + minutes(at_minutes), T0 + minutes(until_minutes))


def test_a_snoozed_red_is_not_escalated_until_it_wakes_then_it_is_told_again_from_the_first_tier() -> None:
    ward = Ward()
    _snoozed_red(ward, until_minutes=60)

    quiet = [ward.sweep(T0 + minutes(m)) for m in (15, 30, 45, 59)]  # the escalation steps it would have had
    woke = ward.sweep(T0 + minutes(60))

    assert quiet == [[], [], [], []]
    assert [(n.kind, n.tier) for n in woke] == [(NotificationKind.REPEAT, 0)]
    assert ward.only(Rule.NEWS2).snoozed_until is None
    # Awake and still not acknowledged: the escalation goes on from there.
    assert [(n.kind, n.tier) for n in ward.sweep(T0 + minutes(75))] == [(NotificationKind.ESCALATION, 1)]


def test_the_same_red_again_while_snoozed_is_counted_but_told_nobody() -> None:
    ward = Ward()
    _snoozed_red(ward)

    told = ward.evaluate(evaluation(_news2(7, 40)))  # the re-measurement the nurse waited for: no worse

    assert told == []
    assert ward.only(Rule.NEWS2).count == 2


def test_a_worse_score_for_the_same_rule_breaks_through_the_snooze_at_once() -> None:
    ward = Ward()
    _snoozed_red(ward)

    told = ward.evaluate(evaluation(_news2(9, 20)))

    assert [(n.kind, n.tier) for n in told] == [(NotificationKind.WORSENED, 0)]
    alert = ward.only(Rule.NEWS2)
    assert alert.snoozed_until is None and alert.score == 9
    assert [a.kind for a in alert.history] == [ActionKind.SNOOZED, ActionKind.SNOOZE_BROKEN]
    # It escalates as a new red would: the second tier 15 minutes after the break-through.
    assert [(n.kind, n.tier) for n in ward.sweep(T0 + minutes(36))] == [(NotificationKind.ESCALATION, 1)]


def test_a_snoozed_yellow_that_turns_red_breaks_through_as_a_worsening() -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND, YELLOW, at=T0)))
    ward.service.snooze(ward.only().alert_id, NURSE, T0 + minutes(5), T0 + minutes(8 * 60))

    told = ward.evaluate(evaluation(finding(Rule.SPO2_BAND, RED, at=T0 + minutes(30))))

    assert [(n.kind, n.severity) for n in told] == [(NotificationKind.WORSENED, RED)]
    assert ward.only().snoozed_until is None


def test_a_snoozed_yellow_with_a_worse_score_is_told_again_once() -> None:
    ward = Ward()
    ward.evaluate(evaluation(_news2(5, 0, YELLOW)))
    ward.service.snooze(ward.only(Rule.NEWS2).alert_id, NURSE, T0 + minutes(5), T0 + minutes(8 * 60))

    same = ward.evaluate(evaluation(_news2(5, 60, YELLOW)))
    worse = ward.evaluate(evaluation(_news2(6, 120, YELLOW)))
    after = ward.evaluate(evaluation(_news2(6, 180, YELLOW)))  # not snoozed any more: yellow is told once

    assert same == [] and after == []
    assert [(n.kind, n.severity) for n in worse] == [(NotificationKind.WORSENED, YELLOW)]


@pytest.mark.parametrize(("severity", "longest", "too_long"), [(RED, 60, 61), (YELLOW, 24 * 60, 24 * 60 + 1)])
def test_a_snooze_is_bounded_by_the_alerts_severity(severity: Severity, longest: int, too_long: int) -> None:
    ward = Ward()
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND, severity, at=T0)))
    alert = ward.only()

    with pytest.raises(SnoozeRefused, match=f"at most {longest} minutes"):
        ward.service.snooze(alert.alert_id, NURSE, T0, T0 + minutes(too_long))
    assert ward.only() == alert  # nothing changed
    snoozed = ward.service.snooze(alert.alert_id, NURSE, T0, T0 + minutes(longest))
    assert snoozed is not None and snoozed.snoozed_until == T0 + minutes(longest)


def test_a_tenant_can_forbid_snoozing_reds_and_no_snooze_ends_in_the_past() -> None:
    ward = Ward(AlertPolicySettings(red_snooze_max_minutes=0))
    ward.evaluate(evaluation(finding(Rule.SPO2_BAND, RED, at=T0)))
    alert_id = ward.only().alert_id

    with pytest.raises(SnoozeRefused, match="cannot be snoozed"):
        ward.service.snooze(alert_id, NURSE, T0, T0 + minutes(10))
    with pytest.raises(SnoozeRefused, match="future"):
        Ward().policy.snooze(ward.only(), NURSE, T0, T0)


def test_the_snooze_is_recorded_with_the_nurse_and_acknowledging_ends_it() -> None:
    ward = Ward()
    _snoozed_red(ward, until_minutes=60)
    snoozed = ward.only(Rule.NEWS2)
    (entry,) = snoozed.history
    assert (entry.kind, entry.by, entry.at, entry.until) == (ActionKind.SNOOZED, NURSE, T0 + minutes(2),
                                                             T0 + minutes(60))

    acked = ward.service.acknowledge(snoozed.alert_id, NURSE, T0 + minutes(10))

    assert acked is not None and acked.snoozed_until is None
    # Acknowledged: it re-triggers 30 minutes later, as any acknowledged red (the snooze no longer holds it).
    assert [n.kind for n in ward.sweep(T0 + minutes(40))] == [NotificationKind.REPEAT]


def test_a_closed_alert_cannot_be_snoozed() -> None:
    ward = Ward()
    _snoozed_red(ward)
    alert = ward.only(Rule.NEWS2)
    closed = ward.service.close(alert.alert_id, NURSE, T0 + minutes(5))
    assert closed is not None and [a.kind for a in closed.history] == [ActionKind.SNOOZED, ActionKind.CLOSED]

    with pytest.raises(AlertClosedError):
        ward.service.snooze(alert.alert_id, NURSE, T0 + minutes(6), T0 + minutes(30))


@settings(max_examples=100, deadline=None)
@given(scores=st.lists(st.integers(min_value=5, max_value=12), min_size=1, max_size=10))
def test_property_while_snoozed_only_a_worse_score_is_told_and_it_is_told_at_once(scores: list[int]) -> None:
    # GIVEN a NEWS2 red of 7 snoozed for the full hour, then NEWS2 evaluations every 5 minutes (a score
    # under 7 is the yellow band) with a sweep between each two
    ward = Ward()
    _snoozed_red(ward, until_minutes=60, at_minutes=1)
    for step, score in enumerate(scores):
        at = 5 * (step + 1)
        told = ward.evaluate(evaluation(_news2(score, at, RED if score >= 7 else YELLOW)))
        # THEN the first score worse than the snoozed 7 is told at once, as a worsening; nothing before it
        if score > 7:
            assert [n.kind for n in told] == [NotificationKind.WORSENED]
            assert ward.only(Rule.NEWS2).snoozed_until is None
            return
        assert told == []
        assert ward.sweep(T0 + minutes(at + 4)) == []  # and the sweep holds every escalation step
