"""In-memory AlertRepository and Notifier with the same contract as the DynamoDB and SNS adapters."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from dho.domain.alerts import SEVERITY_RANK, Alert, Notification
from dho.domain.findings import Rule
from dho.ports import AlertConflict


@dataclass
class InMemoryAlerts:
    alerts: dict[str, Alert] = field(default_factory=dict)
    open_guard: dict[tuple[str, Rule], str] = field(default_factory=dict)

    def list_open(self, patient_id: str) -> Sequence[Alert]:
        return sorted((self.alerts[i] for (p, _), i in self.open_guard.items() if p == patient_id),
                      key=lambda a: (a.opened_at, a.rule.value))

    def get(self, alert_id: str) -> Alert | None:
        return self.alerts.get(alert_id)

    def triage(self, *, limit: int | None = None) -> Sequence[Alert]:
        found = sorted((a for a in self.alerts.values() if a.is_open),
                       key=lambda a: (SEVERITY_RANK[a.severity], a.opened_at, a.alert_id))
        return found if limit is None else found[:limit]

    def save(self, alert: Alert, expected_version: int | None) -> bool:
        slot = (alert.patient_id, alert.rule)
        if expected_version is None:
            if alert.alert_id in self.alerts:
                return False
            if alert.is_open and slot in self.open_guard:
                raise AlertConflict("another alert is open for this rule")
            if alert.is_open:
                self.open_guard[slot] = alert.alert_id
        else:
            stored = self.alerts.get(alert.alert_id)
            if stored is None or stored.version != expected_version or alert.version != expected_version + 1:
                raise AlertConflict("stale version")
            if not alert.is_open and self.open_guard.get(slot) == alert.alert_id:
                del self.open_guard[slot]
        self.alerts[alert.alert_id] = alert
        return True


@dataclass
class RecordingNotifier:
    sent: list[tuple[Notification, str]] = field(default_factory=list)

    def publish(self, notification: Notification, text: str) -> None:
        self.sent.append((notification, text))
