"""The replay's services on the unit tests' fakes, which scan every entry per query: the reference the
indexed in-memory stores are compared with (tests/unit/replay/test_replay_equivalence.py, bench.replay)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from dho.domain.alerts import Alert, AlertPolicySettings, PendingNotification
from dho.replay.clock import SimulatedClock
from dho.replay.tenant import TenantReplay
from tests.support.alert_fakes import InMemoryAlerts
from tests.support.fakes import InMemoryPlans, InMemoryQuarantine, InMemoryRegistry, InMemoryTimeline


class _ScanningAlerts(InMemoryAlerts):
    """The unit tests' alert fake (it scans) with the hooks the replay reads: the baseline's store."""

    def __init__(self) -> None:
        super().__init__()
        self._watchers: list[Any] = []

    def watch(self, watcher: Any) -> None:
        self._watchers.append(watcher)

    def save(self, alert: Alert, expected_version: int | None, *, pending: Any = (),
             sweep_due_at: datetime | None = None) -> bool:
        before = self.alerts.get(alert.alert_id)
        stored = super().save(alert, expected_version, pending=pending, sweep_due_at=sweep_due_at)
        if stored:
            for watcher in self._watchers:
                watcher(before, alert)
        return stored

    def next_sweep_due(self) -> datetime | None:
        return min(self.sweep_due.values(), default=None)

    def next_notification_due(self) -> datetime | None:
        entries: list[PendingNotification] = list(self.outbox.values())
        return min((e.due_at for e in entries), default=None)


def scanning_tenant(name: str, settings: AlertPolicySettings, clock: SimulatedClock) -> TenantReplay:
    """The same services on the unit tests' fakes (tests/support), which scan every entry per query."""
    return TenantReplay(name, settings, clock, registry=InMemoryRegistry(),  # type: ignore[arg-type]
                        timeline=InMemoryTimeline(), quarantine=InMemoryQuarantine(),  # type: ignore[arg-type]
                        plans=InMemoryPlans(), alerts=_ScanningAlerts())  # type: ignore[arg-type]
