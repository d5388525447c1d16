"""Builders for alert-policy tests: findings and evaluations of one patient at plain datetimes, and a
ward (the policy behind the service, with in-memory alerts)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

from hypothesis import strategies as st

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.domain.alerts import Alert, AlertPolicySettings, CloseReason, Notification
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.opening_hours import OpeningHours
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
PATIENT = "P-7K3QX9M2"
RED, YELLOW = Severity.RED, Severity.YELLOW
NURSE = "1234567"
# For the properties over evaluation_sequences (from T0, Friday 09:00 in Oslo, up to 2 hours): no opening
# hours (the centre never closes), a centre that closes at 09:45 during them, one that opens at 09:30.
POLICIES = (
    AlertPolicySettings(),
    AlertPolicySettings(opening_hours=OpeningHours(opens=time(8), closes=time(9, 45))),
    AlertPolicySettings(opening_hours=OpeningHours(opens=time(9, 30), closes=time(15, 30))),
)


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)


def finding(
    rule: Rule = Rule.SPO2_BAND,
    severity: Severity = RED,
    at: datetime = T0,
    evidence: tuple[str, ...] | None = None,
    detail: str = "SpO2 86 % (limit 90 %)",
    patient: str = PATIENT,
) -> Finding:
    ids = evidence if evidence is not None else (f"oxi-1-{at:%H%M%S}",)
    return Finding(patient_id=patient, rule=rule, severity=severity, detail=detail, evidence=ids, observed_at=at)


def evaluation(
    *findings: Finding, at: datetime | None = None, quiet: tuple[Rule, ...] = (), patient: str = PATIENT
) -> Evaluation:
    evaluated_at = at or max((f.observed_at for f in findings), default=T0) + timedelta(seconds=30)
    return Evaluation(patient_id=patient, evaluated_at=evaluated_at, findings=findings, quiet_rules=frozenset(quiet))


@st.composite
def evaluation_sequences(draw: st.DrawFn, rules: Sequence[Rule], max_steps: int = 12) -> list[Evaluation]:
    """Evaluations every 10 minutes; each fires some of ``rules`` (either colour, on evidence up to 15
    minutes old) and finds some of the others quiet."""
    sequence: list[Evaluation] = []
    for step in range(draw(st.integers(min_value=1, max_value=max_steps))):
        at = T0 + minutes(10 * step)
        fired = draw(st.lists(st.sampled_from(rules), unique=True, max_size=len(rules)))
        found = tuple(
            finding(
                rule,
                draw(st.sampled_from(Severity)),
                at=at - minutes(draw(st.integers(0, 15))),
                evidence=(f"r{step}-{draw(st.integers(0, 2))}",),
            )
            for rule in fired
        )
        quiet = tuple(r for r in rules if r not in fired and draw(st.booleans()))
        sequence.append(evaluation(*found, at=at, quiet=quiet))
    return sequence


class Ward:
    """The policy behind the service, with in-memory alerts and a notifier that records."""

    def __init__(self, settings: AlertPolicySettings | None = None, alerts: InMemoryAlerts | None = None) -> None:
        self.policy = AlertPolicy(settings)
        self.alerts = alerts or InMemoryAlerts()
        self.notifier = RecordingNotifier()
        self.service = AlertService(self.policy, self.alerts, self.notifier, tenant_name="Bodø")

    def evaluate(self, ev: Evaluation, now: datetime | None = None) -> list[Notification]:
        before = len(self.notifier.sent)
        self.service.on_evaluation(ev, now or ev.evaluated_at)
        return [n for n, _ in self.notifier.sent[before:]]

    def sweep(self, now: datetime) -> list[Notification]:
        before = len(self.notifier.sent)
        self.service.sweep(now)
        return [n for n, _ in self.notifier.sent[before:]]

    def only(self, rule: Rule = Rule.SPO2_BAND) -> Alert:
        (alert,) = [a for a in self.alerts.alerts.values() if a.rule is rule and a.is_open]
        return alert

    def close_all(self, now: datetime, reason: CloseReason = CloseReason.NO_ACTION_NEEDED) -> None:
        """A nurse closes every open alert of the patient."""
        for alert in self.alerts.list_open(PATIENT):
            self.service.close(alert.alert_id, NURSE, now, reason)
