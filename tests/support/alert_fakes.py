"""In-memory AlertRepository and Notifier with the same contract as the DynamoDB and SNS adapters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dho.domain.alerts import SEVERITY_RANK, Alert, Notification
from dho.domain.findings import Rule
from dho.ports import AlertConflict


@dataclass
class InMemoryAlerts:
    alerts: dict[str, Alert] = field(default_factory=dict)
    open_guard: dict[tuple[str, Rule], str] = field(default_factory=dict)
    watermark: dict[tuple[str, Rule], datetime] = field(default_factory=dict)

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

    def save(self, alert: Alert, expected_version: int | None) -> bool:
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
        return True


@dataclass
class RecordingNotifier:
    sent: list[tuple[Notification, str]] = field(default_factory=list)

    def publish(self, notification: Notification, text: str) -> None:
        self.sent.append((notification, text))
