"""Property (hypothesis): delivering every evaluation of a sequence more than once, as SQS may, gives the
same alerts and the same notifications as delivering each once; also when the centre closes or opens
during the sequence (opening hours)."""

from __future__ import annotations

from datetime import datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertPolicySettings, Notification, Route
from dho.domain.findings import Evaluation, Rule, Severity
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.unit.alerting.helpers import POLICIES, evaluation_sequences

RULES = (Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN, Rule.WEIGHT_GAIN)


def run(
    deliveries: list[tuple[Evaluation, int]], policy: AlertPolicySettings = POLICIES[0]
) -> tuple[dict[str, Alert], list[tuple[Notification, str]]]:
    alerts, notifier = InMemoryAlerts(), RecordingNotifier()
    service = AlertService(AlertPolicy(policy), alerts, notifier, tenant_name="Bodø")
    last: datetime | None = None
    for ev, times in deliveries:
        for attempt in range(times):  # a redelivery comes a little later, before anything else happens
            service.on_evaluation(ev, ev.evaluated_at + timedelta(seconds=30 * attempt))
        if last is not None:
            service.sweep(ev.evaluated_at)
        last = ev.evaluated_at
    return alerts.alerts, notifier.sent


@settings(max_examples=150, deadline=None)
@given(
    sequence=evaluation_sequences(RULES),
    repeats=st.lists(st.integers(min_value=1, max_value=3), min_size=12, max_size=12),
    policy=st.sampled_from(POLICIES),
)
def test_given_any_evaluation_sequence_when_each_is_delivered_again_then_alerts_and_messages_are_as_once(
    sequence: list[Evaluation], repeats: list[int], policy: AlertPolicySettings
) -> None:
    once = run([(ev, 1) for ev in sequence], policy)
    again = run([(ev, times) for ev, times in zip(sequence, repeats, strict=False)], policy)
    assert again == once
    # what the subscriptions rely on: an out-of-hours notification is a red at the last tier (the clinic's)
    last = len(policy.tier_after_minutes) - 1
    assert all((n.severity, n.tier) == (Severity.RED, last) for n, _ in once[1] if n.route is Route.OUT_OF_HOURS)
