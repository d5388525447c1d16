"""Runs the alert policy against the ports: load the open alerts, decide, write, then notify.

Order: an alert is written before anyone is told about it, and only notifications of alerts this call
wrote are published, so a replayed batch or a lost race never sends an SMS twice. On a lost race
(:class:`~dho.ports.AlertConflict`) the service reloads the open alerts and decides again, a few times.
Closed episodes are not reopened by their own readings: the store's per-rule watermark (moved in the
write that closes an alert) is read with the open alerts.

Transactional outbox: a notification is never lost once its alert is written. Each notification rides
on the write of one of its alerts (the first of them that is actually written): the store puts a
:class:`~dho.domain.alerts.PendingNotification` in the same transaction, due ``notification_grace``
(60 s) after the write by the wall clock. After SNS accepts the message the entry is deleted. If the
publish fails after the write (SNS outage, a timeout or crash between the two), the error still
propagates (SQS retries the record; the retry is a replay: it writes nothing, so it adds no entry and
sends nothing), and the entry stays: every minute the escalation sweep publishes the entries that are
due (the grace period keeps it out of the way of the publish that follows a write, and covers the
index's lag) and deletes them. A pending entry whose alerts are all closed by then (a nurse saw it on
the triage list) is deleted without a message.

Delivery is therefore at least once, not exactly once: if SNS accepted a message but its entry could
not be deleted (the delete failed, or the function died in between), or the publish path stalled for
longer than the grace period, the sweep sends it again. That is the trade-off we want: after an outage
a nurse may get the same SMS twice, never none. A redelivered text is the original one (rendered
again from the entry's facts); a red that also reached its next escalation step is told both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dho.alerting.messages import Language, MessageDetail, render_alert_text
from dho.alerting.policy import AlertPolicy, AlertWrite, Decision
from dho.domain.alerts import Alert, CloseReason, PendingNotification
from dho.domain.clock import utc_now
from dho.domain.findings import Evaluation
from dho.ports import AlertConflict, AlertRepository, Notifier, TransientStoreError

DEFAULT_ATTEMPTS = 3
DEFAULT_NOTIFICATION_GRACE = timedelta(seconds=60)
REDELIVERIES_PER_SWEEP = 100  # bounds one sweep's outbox work (it has to finish before the next tick)


@dataclass(frozen=True, slots=True)
class AlertOutcome:
    """What one call did (identifiers and counts only: safe to log and count)."""

    written: tuple[str, ...] = ()  # alert ids created or updated
    already_stored: tuple[str, ...] = ()  # creations that were replays: nothing written
    conflicts: int = 0  # writes lost to a concurrent writer (retried, or left to the next sweep)
    notified: int = 0  # notifications published (redelivered ones included)
    redelivered: int = 0  # of those, published by the sweep from the outbox (their first publish failed)
    dropped: int = 0  # outbox entries deleted unpublished: every alert they were about is closed
    unsettled: int = 0  # published, but the outbox entry could not be deleted (it will be sent again)


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
        notification_grace: timedelta = DEFAULT_NOTIFICATION_GRACE,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        """``clock``: the wall clock (default: UTC now) that dates outbox entries; the decisions use the
        ``now`` they are given (the arrival time of the readings, the schedule's time), which lags the
        wall clock when a queue is backed up."""
        self._policy = policy
        self._alerts = alerts
        self._notifier = notifier
        self._tenant_name = tenant_name
        self._language: Language = language
        self._detail = detail
        self._attempts = attempts
        self._grace = notification_grace
        self._clock = clock or utc_now

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
            outcome, lost_race = self._apply(decision, now)
            total = _sum(total, outcome)
            if not lost_race:
                return total
        raise AlertConflict(f"alerts of {evaluation.patient_id} kept changing; {self._attempts} attempts")

    def sweep(self, now: datetime) -> AlertOutcome:
        """Time-driven work for the scheduled function; a write that loses a race (a nurse acted at
        the same moment) is skipped: the next sweep sees the new state. Then the outbox: notifications
        whose first publish failed are published now (see the module doc)."""
        open_alerts = self._alerts.triage()
        decision = self._policy.sweep(open_alerts, now)
        written: list[str] = []
        conflicts = 0
        outbox = _Outbox(decision, self._due_at(now))
        for write in decision.writes:
            try:
                if self._save(write, outbox):
                    written.append(write.alert.alert_id)
            except AlertConflict:
                conflicts += 1
        notified, unsettled = self._publish(outbox.carried)
        closed_now = {write.alert.alert_id for write in decision.writes if not write.alert.is_open}
        still_open = {alert.alert_id for alert in open_alerts} - closed_now
        redelivered, dropped, late_unsettled = self._redeliver(now, still_open)
        return AlertOutcome(
            written=tuple(written),
            conflicts=conflicts,
            notified=notified + redelivered,
            redelivered=redelivered,
            dropped=dropped,
            unsettled=unsettled + late_unsettled,
        )

    def acknowledge(
        self, alert_id: str, nurse_hpr: str, now: datetime, *, expected_version: int | None = None
    ) -> Alert | None:
        """The nurse acknowledges this alert only; None if there is no such alert. With
        ``expected_version`` (the version the nurse saw) the action applies to that version only and
        raises :class:`AlertConflict` if the alert has moved on (the nurse should look again)."""
        return self._nurse_action(
            alert_id, lambda alert: self._policy.acknowledge(alert, nurse_hpr, now), expected_version
        )

    def close(
        self,
        alert_id: str,
        nurse_hpr: str,
        now: datetime,
        reason: CloseReason = CloseReason.RESOLVED,
        *,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Alert | None:
        return self._nurse_action(
            alert_id, lambda alert: self._policy.close(alert, nurse_hpr, now, reason, note), expected_version
        )

    def _nurse_action(
        self, alert_id: str, action: Callable[[Alert], Alert], expected_version: int | None = None
    ) -> Alert | None:
        for _ in range(self._attempts):
            alert = self._alerts.get(alert_id)
            if alert is None:
                return None
            if expected_version is not None and alert.version != expected_version:
                raise AlertConflict(f"alert {alert_id} is at version {alert.version}, not {expected_version}")
            changed = action(alert)
            try:
                self._alerts.save(changed, alert.version)
            except AlertConflict:
                if expected_version is not None:
                    raise  # the nurse acted on what they saw: a newer version needs a new look
                continue  # the sweep or scoring wrote it in between: act on the new version
            return changed
        raise AlertConflict(f"alert {alert_id} kept changing; {self._attempts} attempts")

    def _apply(self, decision: Decision, now: datetime) -> tuple[AlertOutcome, bool]:
        written: list[str] = []
        already: list[str] = []
        lost_race = False
        outbox = _Outbox(decision, self._due_at(now))
        for write in decision.writes:
            try:
                stored = self._save(write, outbox)
            except AlertConflict:
                lost_race = True
                break  # decide again on fresh state; what is written stays written
            (written if stored else already).append(write.alert.alert_id)
        notified, unsettled = self._publish(outbox.carried)
        outcome = AlertOutcome(tuple(written), tuple(already), int(lost_race), notified, unsettled=unsettled)
        return outcome, lost_race

    def _due_at(self, now: datetime) -> datetime:
        """When an entry written now becomes the sweep's business: a grace period after the later of
        the decision's time and the wall clock (the sweep's ticks are wall-clock times)."""
        return max(now, self._clock()) + self._grace

    def _save(self, write: AlertWrite, outbox: _Outbox) -> bool:
        """Write the alert with the outbox entries that ride on it; they count as written only if it is."""
        riding = outbox.riding_on(write.alert.alert_id)
        stored = self._alerts.save(write.alert, write.expected_version, pending=riding)
        if stored:
            outbox.carry(riding)
        return stored

    def _publish(self, pending: Sequence[PendingNotification]) -> tuple[int, int]:
        """Publish each notification, then settle its outbox entry. A failed publish raises (the rest
        stay in the outbox); a failed delete does not stop the others (that entry is sent again)."""
        sent = unsettled = 0
        for entry in pending:
            notification = entry.notification
            text = render_alert_text(
                notification, tenant_name=self._tenant_name, language=self._language, detail=self._detail
            )
            self._notifier.publish(notification, text)
            sent += 1
            unsettled += not self._settle(entry)
        return sent, unsettled

    def _settle(self, entry: PendingNotification) -> bool:
        """False only if the entry may still be in the outbox (gone already counts as settled)."""
        try:
            self._alerts.settle(entry)
        except TransientStoreError:
            return False
        return True

    def _redeliver(self, now: datetime, open_ids: set[str]) -> tuple[int, int, int]:
        """Publish the outbox entries due by ``now``; those whose alerts are all closed are only deleted."""
        due = self._alerts.due_notifications(now, limit=REDELIVERIES_PER_SWEEP)
        dropped = 0
        publish: list[PendingNotification] = []
        for entry in due:
            if open_ids.intersection(entry.notification.alert_ids):
                publish.append(entry)
            else:
                self._settle(entry)
                dropped += 1
        sent, unsettled = self._publish(publish)
        return sent, dropped, unsettled


class _Outbox:
    """The outbox entries of one decision: one per notification, due at ``due_at``, each to ride on the
    first write of one of its alerts that is actually written (a replayed creation writes nothing, so
    its entries move on to the next of their alerts, or are never written)."""

    def __init__(self, decision: Decision, due_at: datetime) -> None:
        versions = {write.alert.alert_id: write.alert.version for write in decision.writes}
        self._entries = [
            PendingNotification(note, versions[note.alert_id], due_at)
            for note in decision.notifications
            if note.alert_id in versions  # always: a notification is about alerts the decision changes
        ]
        self._carried: set[int] = set()

    def riding_on(self, alert_id: str) -> list[PendingNotification]:
        return [
            entry
            for i, entry in enumerate(self._entries)
            if i not in self._carried and alert_id in entry.notification.alert_ids
        ]

    def carry(self, entries: Sequence[PendingNotification]) -> None:
        self._carried.update(i for i, entry in enumerate(self._entries) if entry in entries)

    @property
    def carried(self) -> list[PendingNotification]:
        """The entries written, in the decision's order (the most urgent notification first)."""
        return [entry for i, entry in enumerate(self._entries) if i in self._carried]


def _sum(a: AlertOutcome, b: AlertOutcome) -> AlertOutcome:
    return AlertOutcome(
        a.written + b.written,
        a.already_stored + b.already_stored,
        a.conflicts + b.conflicts,
        a.notified + b.notified,
        a.redelivered + b.redelivered,
        a.dropped + b.dropped,
        a.unsettled + b.unsettled,
    )
