"""The hourly missed-measurement checks, run by the every-minute escalation sweep (``escalate_alerts``).

Checking every patient every minute would be 60 times the work for nothing (a schedule is hours long), so
each patient has a stable slot, a minute of the hour (:func:`~dho.domain.registry.roster_slot`, a hash of
the id), and each tick checks the patients of the slot of its own minute: every patient once an hour, the
load spread evenly over the hour, a retried tick checking the same patients. Per patient: the plan in
force (one query), the newest reading of each expected metric and answer of each expected questionnaire
(one query each, newest first, limit 1), then the verdict (:func:`~dho.evaluation.adherence.missed_measurements`)
goes to the alert service as an evaluation at the tick's time: an overdue metric or questionnaire raises
(or keeps) the one yellow MISSED_MEASUREMENTS alert of the patient, dedup, e-mail, opening hours and
outbox as for any yellow; a schedule kept again (a reading or answer the readings pipeline did not
evaluate, a pause, a plan without expectations) closes it. Before that, while a metric or questionnaire is
due but not yet past its grace, the patient's device (the app, for a questionnaire) is reminded once
(``dho.advice.overdue_reminders``, from the same newest readings); a failed reminder fails nothing else.
A tick missed (the schedule's retry_attempts=0) leaves its slot to the next hour. At most
``max_patients`` a tick (``MAX_PATIENTS_PER_TICK``: 6,000 patients a tenant), so a tick ends in time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from dho.advice.overdue_reminders import OverdueReminders
from dho.alerting.service import AlertService
from dho.domain.advice import SendOutcome
from dho.domain.findings import Evaluation
from dho.domain.plans import SelfManagementPlan
from dho.domain.registry import ROSTER_SLOTS
from dho.evaluation.adherence import Measured, missed_measurements, newest_measured, plan_in_force
from dho.ports import AlertConflict, LatestEntries, PlanRepository, Registry, Roster, TransientStoreError

MAX_PATIENTS_PER_TICK = 100


@dataclass(frozen=True, slots=True)
class AdherenceOutcome:
    """What one tick's checks did (counts only: safe to log)."""

    checked: int = 0
    overdue: int = 0  # patients with an overdue metric or questionnaire
    notified: int = 0
    failed: int = 0  # patients whose check failed (throttled, a lost race): checked again next hour
    reminded: int = 0  # overdue reminders sent to devices


class AdherenceSweep:
    def __init__(
        self,
        roster: Roster,
        registry: Registry,
        plans: PlanRepository,
        timeline: LatestEntries,
        alerts: AlertService,
        *,
        reminders: OverdueReminders | None = None,
        max_patients: int = MAX_PATIENTS_PER_TICK,
    ) -> None:
        self._roster = roster
        self._registry = registry
        self._plans = plans
        self._timeline = timeline
        self._alerts = alerts
        self._reminders = reminders  # None: no reminders to devices (replays, tools)
        self._max_patients = max_patients

    def run(self, now: datetime) -> AdherenceOutcome:
        """Check the patients of ``now``'s slot (its minute of the hour, UTC)."""
        slot = now.astimezone(UTC).minute % ROSTER_SLOTS
        checked = overdue = notified = failed = reminded = 0
        for patient_id in self._roster.patients_in_slot(slot, limit=self._max_patients):
            try:
                plan = plan_in_force(self._plans, self._registry, patient_id, now)
                newest = newest_measured(self._timeline, plan, now)
            except TransientStoreError:
                failed += 1
                continue
            reminded += self._remind(plan, newest, now)
            try:
                verdict = missed_measurements(plan, newest, now)
                evaluation = verdict.added_to(Evaluation(patient_id, now, (), frozenset()))
                outcome = self._alerts.on_evaluation(evaluation, now)
            except (TransientStoreError, AlertConflict):
                failed += 1  # one patient's trouble does not stop the others; the next hour retries
                continue
            checked += 1
            overdue += verdict.finding is not None
            notified += outcome.notified
        return AdherenceOutcome(checked, overdue, notified, failed, reminded)

    def _remind(self, plan: SelfManagementPlan, newest: Mapping[str, Measured | None], now: datetime) -> int:
        if self._reminders is None:
            return 0
        try:
            return sum(a.outcome is SendOutcome.SENT for a in self._reminders.remind(plan, newest, now))
        except Exception:  # the patient is reminded at the next hourly check; the alert decision goes on
            return 0
