"""Alerts, their watermarks, the sweep's due index and the notification outbox in memory, indexed per
patient and by due time (bisect), with the DynamoDB adapter's contract (``dho.ports.AlertRepository``):
one open alert per patient + rule, optimistic versions, closed episodes never reopened, the outbox
written with its alert. Every stored change can be watched (``watch``): a replay records them."""

from __future__ import annotations

from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime

from dho.domain.alerts import SEVERITY_RANK, Alert, Notification, PendingNotification
from dho.domain.findings import Rule
from dho.ports import AlertConflict

AlertWatcher = Callable[[Alert | None, Alert], None]  # (the stored alert before, the alert now stored)


class _DueIndex:
    """(due time, id) pairs sorted, with each id's current due time."""

    def __init__(self) -> None:
        self._sorted: list[tuple[datetime, str]] = []
        self._due: dict[str, datetime] = {}

    def put(self, key: str, due: datetime | None) -> None:
        old = self._due.pop(key, None)
        if old is not None:
            del self._sorted[bisect_left(self._sorted, (old, key))]
        if due is not None:
            self._due[key] = due
            insort(self._sorted, (due, key))

    def due_by(self, now: datetime, limit: int | None) -> list[str]:
        """Ids due at or before ``now``, the longest due first."""
        end = bisect_right(self._sorted, (now, "\uffff"))
        if limit is not None:
            end = min(end, limit)
        return [key for _, key in self._sorted[:end]]

    def earliest(self) -> datetime | None:
        return self._sorted[0][0] if self._sorted else None


class MemoryAlerts:
    """:class:`~dho.ports.AlertRepository` and :class:`~dho.ports.AlertHistory` in memory."""

    def __init__(self) -> None:
        self._alerts: dict[str, Alert] = {}
        self._open: dict[str, dict[Rule, str]] = {}  # patient -> rule -> id of its open alert
        self._history: dict[str, list[tuple[datetime, str]]] = {}  # patient -> (opened_at, id) sorted
        self._watermarks: dict[str, dict[Rule, datetime]] = {}
        self._sweep = _DueIndex()
        self._outbox: dict[str, PendingNotification] = {}  # outbox key -> entry
        self._outbox_due = _DueIndex()
        self._watchers: list[AlertWatcher] = []

    def watch(self, watcher: AlertWatcher) -> None:
        """Call ``watcher(before, after)`` after every stored change (``before`` None for a creation)."""
        self._watchers.append(watcher)

    def next_sweep_due(self) -> datetime | None:
        """The earliest ``sweep_due_at`` on the index (when the escalation sweep next has work)."""
        return self._sweep.earliest()

    def next_notification_due(self) -> datetime | None:
        return self._outbox_due.earliest()

    # ---- AlertRepository ----------------------------------------------------------------------------

    def list_open(self, patient_id: str) -> Sequence[Alert]:
        ids = self._open.get(patient_id)
        if not ids:
            return []
        return sorted((self._alerts[i] for i in ids.values()), key=lambda a: (a.opened_at, a.rule.value))

    def closed_through(self, patient_id: str) -> Mapping[Rule, datetime]:
        return dict(self._watermarks.get(patient_id, {}))

    def get(self, alert_id: str) -> Alert | None:
        return self._alerts.get(alert_id)

    def triage(self, *, limit: int | None = None) -> Sequence[Alert]:
        found = sorted(
            (self._alerts[i] for rules in self._open.values() for i in rules.values()),
            key=lambda a: (SEVERITY_RANK[a.severity], a.opened_at, a.alert_id),
        )
        return found if limit is None else found[:limit]

    def due_alerts(self, now: datetime, *, limit: int) -> Sequence[Alert]:
        return [a for a in (self._alerts[i] for i in self._sweep.due_by(now, limit)) if a.is_open]

    def index_for_sweep(self, alert: Alert, sweep_due_at: datetime | None) -> bool:
        if self._alerts.get(alert.alert_id) != alert:
            return False
        self._sweep.put(alert.alert_id, sweep_due_at if alert.is_open else None)
        return True

    def open_ids(self, alert_ids: Collection[str]) -> set[str]:
        return {i for i in alert_ids if i in self._alerts and self._alerts[i].is_open}

    def save(
        self,
        alert: Alert,
        expected_version: int | None,
        *,
        pending: Sequence[PendingNotification] = (),
        sweep_due_at: datetime | None = None,
    ) -> bool:
        patient, rule = alert.patient_id, alert.rule
        open_rules = self._open.setdefault(patient, {})
        before = self._alerts.get(alert.alert_id)
        if expected_version is None:
            if before is not None:
                return False  # a replayed creation: nothing written
            if alert.is_open and rule in open_rules:
                raise AlertConflict("another alert is open for this rule")
            closed = self._watermarks.get(patient, {}).get(rule)
            if alert.is_open and closed is not None and alert.last_evidence_at <= closed:
                raise AlertConflict("an episode with evidence this new is closed already")
            insort(self._history.setdefault(patient, []), (alert.opened_at, alert.alert_id))
        elif before is None or before.version != expected_version or alert.version != expected_version + 1:
            raise AlertConflict("stale version")
        if alert.is_open:
            open_rules[rule] = alert.alert_id
        else:
            if open_rules.get(rule) == alert.alert_id:
                del open_rules[rule]
            marks = self._watermarks.setdefault(patient, {})  # in the same write as the close; only forward
            marks[rule] = max(alert.last_evidence_at, marks.get(rule, alert.last_evidence_at))
        self._alerts[alert.alert_id] = alert
        for entry in pending:
            self._outbox[entry.key] = entry
            self._outbox_due.put(entry.key, entry.due_at)
        self._sweep.put(alert.alert_id, sweep_due_at if alert.is_open else None)
        for watcher in self._watchers:
            watcher(before, alert)
        return True

    def due_notifications(self, now: datetime, *, limit: int | None = None) -> Sequence[PendingNotification]:
        return [self._outbox[key] for key in self._outbox_due.due_by(now, limit)]

    def settle(self, pending: PendingNotification) -> bool:
        if self._outbox.pop(pending.key, None) is None:
            return False
        self._outbox_due.put(pending.key, None)
        return True

    # ---- AlertHistory -------------------------------------------------------------------------------

    def opened_between(
        self, patient_id: str, start: datetime, end: datetime, *, limit: int = 1000
    ) -> Sequence[Alert]:
        history = self._history.get(patient_id, [])
        low, high = bisect_left(history, (start,)), bisect_left(history, (end,))
        return [self._alerts[i] for _, i in history[low:min(high, low + limit)]]


class CapturingNotifier:
    """:class:`~dho.ports.Notifier` that keeps what it is asked to publish instead of sending it."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []

    def publish(self, notification: Notification, text: str) -> None:
        self.sent.append(notification)
