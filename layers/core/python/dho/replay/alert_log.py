"""The replay's record of alert changes: one :class:`AlertEvent` per stored change that a person would
notice (opened, worsened, escalated, acknowledged, closed), as the lines of ``alerts.jsonl``."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dho.adapters.memory_alerts import AlertWatcher
from dho.domain.alerts import Alert, AlertState
from dho.domain.clock import to_canonical
from dho.domain.findings import Severity


class AlertEventKind(StrEnum):
    OPENED = "opened"
    WORSENED = "worsened"  # a yellow alert turned red
    ESCALATED = "escalated"  # an unacknowledged red told again (a repeat or the next tier), or re-triggered
    ACKNOWLEDGED = "acknowledged"
    CLOSED = "closed"  # by a nurse, or by itself (a yellow's quiet evaluations or staleness)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    at: datetime
    tenant: str
    alert: Alert
    kind: AlertEventKind

    def as_json(self) -> dict[str, Any]:
        """The line of ``alerts.jsonl`` (docs/replay.md): identifiers, rule, severity and tier, no values."""
        return {
            "at": to_canonical(self.at), "tenant": self.tenant, "patient_id": self.alert.patient_id,
            "alert_id": self.alert.alert_id, "rule": self.alert.rule.value, "severity": self.alert.severity.value,
            "event": self.kind.value, "tier": self.alert.tier,
        }


def changes(before: Alert | None, after: Alert) -> list[AlertEventKind]:
    """What a person would notice in one stored change of an alert (usually one thing, or nothing)."""
    if before is None:
        return [AlertEventKind.OPENED] if after.is_open else [AlertEventKind.OPENED, AlertEventKind.CLOSED]
    kinds: list[AlertEventKind] = []
    if before.severity is Severity.YELLOW and after.severity is Severity.RED:
        kinds.append(AlertEventKind.WORSENED)
    elif after.severity is Severity.RED and after.notifications_sent > before.notifications_sent:
        kinds.append(AlertEventKind.ESCALATED)
    if after.state is AlertState.ACKNOWLEDGED and before.state is not AlertState.ACKNOWLEDGED:
        kinds.append(AlertEventKind.ACKNOWLEDGED)
    if before.is_open and not after.is_open:
        kinds.append(AlertEventKind.CLOSED)
    return kinds


@dataclass
class AlertLog:
    """Collects the events of every tenant in the order they happened in the replay."""

    events: list[AlertEvent] = field(default_factory=list)

    def watcher(self, tenant: str, *listeners: Callable[[AlertEvent], None]) -> AlertWatcher:
        """A store watcher that records the tenant's changes and hands each event to ``listeners``
        (the tenant's nurse model)."""
        def record(before: Alert | None, after: Alert) -> None:
            for kind in changes(before, after):
                event = AlertEvent(after.updated_at, tenant, after, kind)
                self.events.append(event)
                for listener in listeners:
                    listener(event)
        return record

    def by_rule_and_severity(self) -> dict[str, dict[str, int]]:
        """Alerts opened, per rule and the highest severity each reached (a worsened yellow counts as red)."""
        highest: dict[str, tuple[str, Severity]] = {}
        for event in self.events:
            rule, severity = event.alert.rule.value, event.alert.severity
            known = highest.get(event.alert.alert_id)
            if known is None or severity is Severity.RED:
                highest[event.alert.alert_id] = (rule, severity)
        counts: dict[str, Counter[str]] = {}
        for rule, severity in highest.values():
            counts.setdefault(rule, Counter())[severity.value] += 1
        return {rule: dict(sorted(c.items())) for rule, c in sorted(counts.items())}

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(e.kind.value for e in self.events).items()))
