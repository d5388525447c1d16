"""In-memory AlertRepository (with its notification outbox) and Notifier with the same contract as the
DynamoDB and SNS adapters; the notifier can be taken down to play an SNS outage."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dho.domain.alerts import SEVERITY_RANK, Alert, Notification, PendingNotification
from dho.domain.findings import Rule
from dho.ports import AlertConflict, TransientStoreError


@dataclass
class InMemoryAlerts:
    alerts: dict[str, Alert] = field(default_factory=dict)
    open_guard: dict[tuple[str, Rule], str] = field(default_factory=dict)
    watermark: dict[tuple[str, Rule], datetime] = field(default_factory=dict)
    outbox: dict[tuple[str, str], PendingNotification] = field(default_factory=dict)  # (patient, key)
    settled: list[PendingNotification] = field(default_factory=list)  # taken out of the outbox, in order
    sweep_due: dict[str, datetime] = field(default_factory=dict)  # alert id -> due at (the store's DUE index)

    def closed_through(self, patient_id: str) -> Mapping[Rule, datetime]:
        return {rule: at for (p, rule), at in self.watermark.items() if p == patient_id}

    def list_open(self, patient_id: str) -> Sequence[Alert]:
        return sorted(
            (self.alerts[i] for (p, _), i in self.open_guard.items() if p == patient_id),
            key=lambda a: (a.opened_at, a.rule.value),
        )

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def triage(self, *, limit: int | None = None) -> Sequence[Alert]:
        found = sorted(
            (a for a in self.alerts.values() if a.is_open),
            key=lambda a: (SEVERITY_RANK[a.severity], a.opened_at, a.alert_id),
        )
        return found if limit is None else found[:limit]

    def due_alerts(self, now: datetime, *, limit: int) -> Sequence[Alert]:
        due = sorted((at, i) for i, at in self.sweep_due.items() if at <= now)
        return [self.alerts[i] for _, i in due[:limit] if self.alerts[i].is_open]

    def index_for_sweep(self, alert: Alert, sweep_due_at: datetime | None) -> bool:
        if self.alerts.get(alert.alert_id) != alert:
            return False
        if alert.is_open and sweep_due_at is not None:
            self.sweep_due[alert.alert_id] = sweep_due_at
        else:
            self.sweep_due.pop(alert.alert_id, None)
        return True

    def open_ids(self, alert_ids: Collection[str]) -> set[str]:
        return {i for i in alert_ids if i in self.alerts and self.alerts[i].is_open}

    def due_notifications(self, now: datetime, *, limit: int | None = None) -> Sequence[PendingNotification]:
        due = sorted(
            (p for p in self.outbox.values() if p.due_at <= now),
            key=lambda p: (p.due_at, p.notification.alert_id, p.alert_version),
        )
        return due if limit is None else due[:limit]

    def settle(self, pending: PendingNotification) -> bool:
        if self.outbox.pop((pending.notification.patient_id, pending.key), None) is None:
            return False
        self.settled.append(pending)
        return True

    def save(
        self,
        alert: Alert,
        expected_version: int | None,
        *,
        pending: Sequence[PendingNotification] = (),
        sweep_due_at: datetime | None = None,
    ) -> bool:
        slot = (alert.patient_id, alert.rule)
        if expected_version is None:
            if alert.alert_id in self.alerts:
                return False
            if alert.is_open and slot in self.open_guard:
                raise AlertConflict("another alert is open for this rule")
            closed = self.watermark.get(slot)
            if alert.is_open and closed is not None and alert.last_evidence_at <= closed:
                raise AlertConflict("an episode with evidence this new is closed already")
            if alert.is_open:
                self.open_guard[slot] = alert.alert_id
        else:
            stored = self.alerts.get(alert.alert_id)
            if stored is None or stored.version != expected_version or alert.version != expected_version + 1:
                raise AlertConflict("stale version")
            if not alert.is_open and self.open_guard.get(slot) == alert.alert_id:
                del self.open_guard[slot]
        if not alert.is_open:  # in the same write as the close; it only moves forward
            self.watermark[slot] = max(alert.last_evidence_at, self.watermark.get(slot, alert.last_evidence_at))
        self.alerts[alert.alert_id] = alert
        for entry in pending:  # in the same write as the alert (nothing above wrote yet if it failed)
            self.outbox[(entry.notification.patient_id, entry.key)] = entry
        if alert.is_open and sweep_due_at is not None:
            self.sweep_due[alert.alert_id] = sweep_due_at
        else:
            self.sweep_due.pop(alert.alert_id, None)
        return True


@dataclass
class RecordingNotifier:
    """Records what it is asked to publish. ``down``: every publish fails as SNS does when it is
    unreachable (nothing is recorded)."""

    sent: list[tuple[Notification, str]] = field(default_factory=list)
    down: bool = False
    failed: int = 0

    def publish(self, notification: Notification, text: str) -> None:
        if self.down:
            self.failed += 1
            raise TransientStoreError("ServiceUnavailable")
        self.sent.append((notification, text))
