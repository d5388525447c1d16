"""Runs the alert policy against the ports: load the open alerts, decide, write, then notify.

Order: an alert is written before anyone is told about it, and only notifications of alerts this call
wrote are published, so a replayed batch or a lost race never sends an SMS twice. The price: if
publishing fails after the write (the error propagates, SQS retries the record), the retry finds
nothing new to say; a red is then told at its next escalation step (``red_repeat_minutes``) and is on
the triage list at once. On a lost race (:class:`~dho.ports.AlertConflict`) the service reloads the
open alerts and decides again, a few times. Closed episodes are not reopened by their own readings: the
store's per-rule watermark (moved in the write that closes an alert) is read with the open alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from dho.alerting.messages import Language, MessageDetail, render_alert_text
from dho.alerting.policy import AlertPolicy, Decision
from dho.domain.alerts import Alert, CloseReason
from dho.domain.findings import Evaluation
from dho.ports import AlertConflict, AlertRepository, Notifier

DEFAULT_ATTEMPTS = 3


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What one call did (identifiers and counts only: safe to log and count)."""

    written: tuple[str, ...] = ()  # alert ids created or updated
    already_stored: tuple[str, ...] = ()  # creations that were replays: nothing written
    conflicts: int = 0  # writes lost to a concurrent writer (retried, or left to the next sweep)
    notified: int = 0  # notifications published


class AlertService:
    def __init__(
        self,
        policy: AlertPolicy,
        alerts: AlertRepository,
        notifier: Notifier,
        *,
        tenant_name: str,
        language: Language = "nb",
        detail: MessageDetail = MessageDetail.RULE,
        attempts: int = DEFAULT_ATTEMPTS,
    ) -> None:
        self._policy = policy
        self._alerts = alerts
        self._notifier = notifier
        self._tenant_name = tenant_name
        self._language: Language = language
        self._detail = detail
        self._attempts = attempts

    def on_evaluation(self, evaluation: Evaluation, now: datetime) -> AlertOutcome:
        """Apply one evaluation (from scoring) to the patient's alerts and tell the nurses."""
        total = AlertOutcome()
        for _ in range(self._attempts):
            open_alerts = self._alerts.list_open(evaluation.patient_id)
            # The watermarks matter only to a rule that fired without an open alert (it may raise one);
            # most evaluations have none, and skip that read.
            open_rules = {alert.rule for alert in open_alerts}
            could_raise = any(finding.rule not in open_rules for finding in evaluation.findings)
            closed_through = self._alerts.closed_through(evaluation.patient_id) if could_raise else {}
            decision = self._policy.decide(evaluation, open_alerts, now, closed_through=closed_through)
            outcome, lost_race = self._apply(decision)
            total = _sum(total, outcome)
            if not lost_race:
                return total
        raise AlertConflict(f"alerts of {evaluation.patient_id} kept changing; {self._attempts} attempts")

    def sweep(self, now: datetime) -> AlertOutcome:
        """Time-driven work for the scheduled function; a write that loses a race (a nurse acted at
        the same moment) is skipped: the next sweep sees the new state."""
        decision = self._policy.sweep(self._alerts.triage(), now)
        written: list[str] = []
        conflicts = 0
        for write in decision.writes:
            try:
                if self._alerts.save(write.alert, write.expected_version):
                    written.append(write.alert.alert_id)
            except AlertConflict:
                conflicts += 1
        notified = self._publish(decision, set(written))
        return AlertOutcome(written=tuple(written), conflicts=conflicts, notified=notified)

    def acknowledge(self, alert_id: str, nurse_hpr: str, now: datetime) -> Alert | None:
        """The nurse acknowledges this alert only; None if there is no such alert."""
        return self._nurse_action(alert_id, lambda alert: self._policy.acknowledge(alert, nurse_hpr, now))

    def close(
        self, alert_id: str, nurse_hpr: str, now: datetime, reason: CloseReason = CloseReason.RESOLVED
    ) -> Alert | None:
        return self._nurse_action(alert_id, lambda alert: self._policy.close(alert, nurse_hpr, now, reason))

    def _nurse_action(self, alert_id: str, action: Callable[[Alert], Alert]) -> Alert | None:
        for _ in range(self._attempts):
            alert = self._alerts.get(alert_id)
            if alert is None:
                return None
            changed = action(alert)
            try:
                self._alerts.save(changed, alert.version)
            except AlertConflict:
                continue  # the sweep or scoring wrote it in between: act on the new version
            return changed
        raise AlertConflict(f"alert {alert_id} kept changing; {self._attempts} attempts")

    def _apply(self, decision: Decision) -> tuple[AlertOutcome, bool]:
        written: list[str] = []
        already: list[str] = []
        lost_race = False
        for write in decision.writes:
            try:
                stored = self._alerts.save(write.alert, write.expected_version)
            except AlertConflict:
                lost_race = True
                break  # decide again on fresh state; what is written stays written
            (written if stored else already).append(write.alert.alert_id)
        notified = self._publish(decision, set(written))
        return AlertOutcome(tuple(written), tuple(already), int(lost_race), notified), lost_race

    def _publish(self, decision: Decision, written: set[str]) -> int:
        sent = 0
        for notification in decision.notifications:
            if written.intersection(notification.alert_ids):
                text = render_alert_text(
                    notification, tenant_name=self._tenant_name, language=self._language, detail=self._detail
                )
                self._notifier.publish(notification, text)
                sent += 1
        return sent


def _sum(a: AlertOutcome, b: AlertOutcome) -> AlertOutcome:
    return AlertOutcome(
        a.written + b.written, a.already_stored + b.already_stored, a.conflicts + b.conflicts, a.notified + b.notified
    )
