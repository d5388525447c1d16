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
publish fails after the write (SNS outage, a timeout), the error is not raised: the alert is decided and
stored, so failing the caller would only hold up other patients; the entry stays (counted as
``deferred``), and so do the other entries of that call, which are not tried (one failure is taken as
an outage). Every minute the escalation sweep publishes the entries that are due (the grace period
keeps it out of the way of the publish that follows a write, and covers the index's lag) and deletes
them; a crash between write and publish leaves the entry there too. A pending entry whose alerts are
all closed by then (a nurse saw it on the triage list) is deleted without a message.

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
from dho.domain.clock import Clock, require_aware, utc_now
from dho.domain.findings import Evaluation
from dho.ports import AlertConflict, AlertRepository, Notifier, TransientStoreError

DEFAULT_ATTEMPTS = 3
DEFAULT_NOTIFICATION_GRACE = timedelta(seconds=60)
REDELIVERIES_PER_SWEEP = 100  # bounds one sweep's outbox work (it has to finish before the next tick)
# Bounds one sweep's alert writes (one transaction each, then the SMS): far more than a tenant has due in a
# minute, and finished well within the function's timeout. The longest due go first; the rest stay due for
# the next tick.
ESCALATIONS_PER_SWEEP = 200


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
    deferred: int = 0  # not published (SNS failed, or publishing was held): left in the outbox for the sweep


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
        clock: Clock | None = None,
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

    def on_evaluation(self, evaluation: Evaluation, now: datetime, *, publish: bool = True) -> AlertOutcome:
        """Apply one evaluation (from scoring) to the patient's alerts and tell the nurses. ``publish``
        False leaves the notifications in the outbox for the sweep (the caller saw SNS fail already and
        will not wait on it again for every patient)."""
        total = AlertOutcome()
        for _ in range(self._attempts):
            open_alerts = self._alerts.list_open(evaluation.patient_id)
            if not open_alerts and not evaluation.findings:
                # Nothing open and nothing fired (most evaluations): the policy would decide nothing.
                require_aware(now)
                return total
            # The watermarks matter only to a rule that fired without an open alert (it may raise one);
            # most evaluations have none, and skip that read.
            open_rules = {alert.rule for alert in open_alerts}
            could_raise = any(finding.rule not in open_rules for finding in evaluation.findings)
            closed_through = self._alerts.closed_through(evaluation.patient_id) if could_raise else {}
            decision = self._policy.decide(evaluation, open_alerts, now, closed_through=closed_through)
            outcome, lost_race = self._apply(decision, now, publish=publish)
            total = _sum(total, outcome)
            publish = publish and not outcome.deferred
            if not lost_race:
                return total
        raise AlertConflict(f"alerts of {evaluation.patient_id} kept changing; {self._attempts} attempts")

    def sweep(self, now: datetime) -> AlertOutcome:
        """Time-driven work for the scheduled function, on the alerts due by ``now`` only (every write
        stores when the alert is next due: :meth:`AlertPolicy.sweep_due_at`); a write that loses a race (a
        nurse acted at the same moment) is skipped: the next sweep sees the new state. Then the outbox:
        notifications whose first publish failed are published now (see the module doc).

        A retried tick (Lambda retries an asynchronous invocation with the same event, so the same
        ``now``) finds nothing due that the first attempt wrote: each write moved the alert's due time
        past ``now``, and its outbox entry is due a grace period after the wall clock."""
        due = self._alerts.due_alerts(now, limit=ESCALATIONS_PER_SWEEP)
        decision = self._policy.sweep(due, now)
        written: list[str] = []
        conflicts = 0
        outbox = _Outbox(decision, self._due_at(now))
        for write in decision.writes:
            try:
                if self._save(write, outbox):
                    written.append(write.alert.alert_id)
            except AlertConflict:
                conflicts += 1
        published = self._publish(outbox.carried)
        redelivered, dropped = self._redeliver(now, publish=not published.deferred)
        return AlertOutcome(
            written=tuple(written),
            conflicts=conflicts,
            notified=published.sent + redelivered.sent,
            redelivered=redelivered.sent,
            dropped=dropped,
            unsettled=published.unsettled + redelivered.unsettled,
            deferred=published.deferred + redelivered.deferred,
        )

    def index_open_alerts(self) -> int:
        """Put every open alert on the sweep's due index (once, after upgrading a tenant whose alerts were
        written before the index existed: until then the sweep does not see them). Returns how many were
        placed; an alert that changed meanwhile was placed by that write."""
        return sum(
            self._alerts.index_for_sweep(alert, self._policy.sweep_due_at(alert)) for alert in self._alerts.triage()
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

    def snooze(
        self,
        alert_id: str,
        nurse_hpr: str,
        now: datetime,
        until: datetime,
        *,
        note: str | None = None,
        expected_version: int | None = None,
    ) -> Alert | None:
        """The nurse snoozes this alert until ``until`` (bounded per severity: :meth:`AlertPolicy.snooze`)."""
        return self._nurse_action(
            alert_id, lambda alert: self._policy.snooze(alert, nurse_hpr, now, until, note), expected_version
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
                self._alerts.save(changed, alert.version, sweep_due_at=self._policy.sweep_due_at(changed))
            except AlertConflict:
                if expected_version is not None:
                    raise  # the nurse acted on what they saw: a newer version needs a new look
                continue  # the sweep or scoring wrote it in between: act on the new version
            return changed
        raise AlertConflict(f"alert {alert_id} kept changing; {self._attempts} attempts")

    def _apply(self, decision: Decision, now: datetime, *, publish: bool) -> tuple[AlertOutcome, bool]:
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
        published = self._publish(outbox.carried, publish=publish)
        outcome = AlertOutcome(
            tuple(written), tuple(already), int(lost_race), published.sent,
            unsettled=published.unsettled, deferred=published.deferred,
        )
        return outcome, lost_race

    def _due_at(self, now: datetime) -> datetime:
        """When an entry written now becomes the sweep's business: a grace period after the later of
        the decision's time and the wall clock (the sweep's ticks are wall-clock times)."""
        return max(now, self._clock()) + self._grace

    def _save(self, write: AlertWrite, outbox: _Outbox) -> bool:
        """Write the alert with the outbox entries that ride on it; they count as written only if it is."""
        riding = outbox.riding_on(write.alert.alert_id)
        due = self._policy.sweep_due_at(write.alert)
        stored = self._alerts.save(write.alert, write.expected_version, pending=riding, sweep_due_at=due)
        if stored:
            outbox.carry(riding)
        return stored

    def _publish(self, pending: Sequence[PendingNotification], *, publish: bool = True) -> _Published:
        """Publish each notification, then settle its outbox entry. A failed publish is not raised: that
        entry and the ones after it stay in the outbox (deferred; SNS is taken to be down, and every
        further try could wait out the client's timeouts); a failed delete does not stop the others
        (that entry is sent again)."""
        sent = unsettled = deferred = 0
        for entry in pending:
            if not publish:
                deferred += 1
                continue
            notification = entry.notification
            text = render_alert_text(
                notification, tenant_name=self._tenant_name, language=self._language, detail=self._detail
            )
            try:
                self._notifier.publish(notification, text)
            except Exception:  # any SNS error (outage, throttling, a policy or key problem): the outbox has it
                publish = False
                deferred += 1
                continue
            sent += 1
            unsettled += not self._settle(entry)
        return _Published(sent, unsettled, deferred)

    def _settle(self, entry: PendingNotification) -> bool:
        """False only if the entry may still be in the outbox (gone already counts as settled)."""
        try:
            self._alerts.settle(entry)
        except TransientStoreError:
            return False
        return True

    def _redeliver(self, now: datetime, *, publish: bool) -> tuple[_Published, int]:
        """Publish the outbox entries due by ``now``; those whose alerts are all closed are only deleted."""
        due = self._alerts.due_notifications(now, limit=REDELIVERIES_PER_SWEEP)
        if not due:
            return _Published(), 0
        open_ids = self._alerts.open_ids({i for entry in due for i in entry.notification.alert_ids})
        dropped = 0
        to_publish: list[PendingNotification] = []
        for entry in due:
            if open_ids.intersection(entry.notification.alert_ids):
                to_publish.append(entry)
            else:
                self._settle(entry)
                dropped += 1
        return self._publish(to_publish, publish=publish), dropped


@dataclass(frozen=True, slots=True)
class _Published:
    sent: int = 0
    unsettled: int = 0  # sent, but the outbox entry may still be there
    deferred: int = 0  # not sent: left in the outbox


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
        a.deferred + b.deferred,
    )
