"""Property (hypothesis): the sweep reads only the alerts due by its tick (the store's due index, from
``AlertPolicy.sweep_due_at``), and that changes nothing a nurse would notice: the alerts and messages are
those of a sweep that reads every open alert, through repeats, escalations, acknowledgements, the
centre's closing and opening, and stale yellows closing days later."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertPolicySettings, Notification
from dho.domain.findings import Evaluation, Rule
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.unit.alerting.helpers import NURSE, POLICIES, T0, evaluation_sequences, minutes

RULES = (Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN, Rule.WEIGHT_GAIN)
# Every 7 minutes through the evaluations and the escalation loops, then the next mornings (the centre
# opens) and past the 72 hours after which a yellow without new evidence closes itself.
TICKS = (*(T0 + minutes(7 * i) for i in range(1, 45)), T0 + timedelta(hours=23), T0 + timedelta(hours=24, minutes=5),
         T0 + timedelta(hours=74), T0 + timedelta(hours=98))  # fmt: skip


class SweepsEveryOpenAlert(InMemoryAlerts):
    """The sweep before the due index: every open alert, every tick."""

    def due_alerts(self, now: datetime, *, limit: int) -> Sequence[Alert]:
        return self.triage()


def run(
    alerts: InMemoryAlerts, sequence: list[Evaluation], policy: AlertPolicySettings, acknowledge_at: int | None
) -> tuple[dict[str, Alert], list[tuple[Notification, str]]]:
    notifier = RecordingNotifier()
    service = AlertService(AlertPolicy(policy), alerts, notifier, tenant_name="Bodø")
    events: list[tuple[datetime, int, object]] = [(ev.evaluated_at, 0, ev) for ev in sequence]
    events += [(tick, 1, None) for tick in TICKS]
    if acknowledge_at is not None:
        events.append((TICKS[acknowledge_at], 2, "acknowledge"))
    for at, _, what in sorted(events, key=lambda e: (e[0], e[1])):
        if isinstance(what, Evaluation):
            service.on_evaluation(what, at)
        elif what == "acknowledge":  # a nurse takes every open alert
            for alert in alerts.triage():
                service.acknowledge(alert.alert_id, NURSE, at)
        else:
            service.sweep(at)
    return alerts.alerts, notifier.sent


@settings(max_examples=120, deadline=None)
@given(
    sequence=evaluation_sequences(RULES),
    policy=st.sampled_from(POLICIES),
    acknowledge_at=st.none() | st.integers(min_value=0, max_value=len(TICKS) - 1),
)
def test_given_any_alert_history_a_sweep_of_the_due_alerts_does_what_a_sweep_of_every_open_alert_does(
    sequence: list[Evaluation], policy: AlertPolicySettings, acknowledge_at: int | None
) -> None:
    assert run(InMemoryAlerts(), sequence, policy, acknowledge_at) == run(
        SweepsEveryOpenAlert(), sequence, policy, acknowledge_at
    )


@settings(max_examples=120, deadline=None)
@given(sequence=evaluation_sequences(RULES), policy=st.sampled_from(POLICIES), later=st.integers(0, 6000))
def test_before_its_due_time_the_sweep_leaves_an_alert_as_it_is(
    sequence: list[Evaluation], policy: AlertPolicySettings, later: int
) -> None:
    alerts = InMemoryAlerts()
    service = AlertService(AlertPolicy(policy), alerts, RecordingNotifier(), tenant_name="Bodø")
    for ev in sequence:
        service.on_evaluation(ev, ev.evaluated_at)
    now = sequence[-1].evaluated_at + minutes(later)
    for alert in alerts.triage():
        due = AlertPolicy(policy).sweep_due_at(alert)
        if due is None or now < due:
            assert AlertPolicy(policy).sweep([alert], now).is_empty
