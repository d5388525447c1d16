"""The roster of the replay's hourly missed-measurement round, leaving out the patients whose check
cannot change anything. A check decides on one rule from the verdict of ``dho.evaluation.adherence`` (a
pure function of the plan, the newest measurement of each expected metric or questionnaire, and the time);
as time passes the verdict changes only when a deadline (newest measurement or end of a pause + the schedule's interval
and grace) is passed. The same verdict decided again changes nothing, whatever happened to the alert in
between: an open alert has counted its evidence already, a closed episode's watermark refuses it. So a
patient is checked again only once a deadline passes or a new reading arrives; a patient the readings
pipeline evaluates (its evaluation includes the same verdict) counts as checked then. Production checks
everybody every hour (cheap one at a time); a replay of a thousand patients over months would spend most
of its time re-deriving "nothing changed"."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dho.adapters.memory_registry import MemoryRegistry
from dho.evaluation.adherence import expected, overdue_at
from dho.ports import LatestEntries, PlanRepository

_AFTER_EVERYTHING = timedelta(days=365 * 100)
_JUST_BEFORE = timedelta(microseconds=1)


class ChangedPatientsRoster:
    """:class:`~dho.ports.Roster` over a registry. Set :attr:`now` to the tick before each round; call
    :meth:`changed` when a patient has new readings the pipeline does not evaluate."""

    def __init__(self, registry: MemoryRegistry, plans: PlanRepository, timeline: LatestEntries) -> None:
        self._registry = registry
        self._plans = plans
        self._timeline = timeline
        self._recheck_after: dict[str, datetime | None] = {}  # absent: changed since the last check
        self.now: datetime | None = None
        self.skipped = 0

    def changed(self, patient_id: str) -> None:
        """The patient's readings changed without an evaluation: check them at their next slot."""
        self._recheck_after.pop(patient_id, None)

    def evaluated(self, patient_id: str, at: datetime) -> None:
        """The readings pipeline is about to evaluate the patient at ``at`` or later, with the adherence
        verdict (``EvaluationService``): that counts as a check at ``at``. Call :meth:`changed` if the
        evaluation fails."""
        self._recheck_after[patient_id] = self._next_change(patient_id, at)

    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        now = self.now
        if now is None:
            raise RuntimeError("set now before the round")
        due: list[str] = []
        for patient_id in self._registry.patients_in_slot(slot, limit=limit):
            if patient_id in self._recheck_after:
                after = self._recheck_after[patient_id]
                if after is None or now <= after:
                    self.skipped += 1
                    continue
            due.append(patient_id)
            self._recheck_after[patient_id] = self._next_change(patient_id, now)
        return due

    def _next_change(self, patient_id: str, now: datetime) -> datetime | None:
        """After which moment the verdict can differ from the one at ``now`` (None: never, until a change)."""
        plan = self._plans.current(patient_id)
        if plan is None:
            return now  # no plan of its own: the template's, dated now; check every time
        moments: list[datetime] = []
        paused_until = plan.paused_until
        if paused_until is not None and now < paused_until:
            moments.append(paused_until - _JUST_BEFORE)
        everything = now + _AFTER_EVERYTHING
        for item in expected(plan):
            newest = self._timeline.latest(patient_id, item.series, before=everything)
            if newest is None:
                continue
            if newest.measured_at > now:  # measured "in the future" (a clock ahead): visible later
                moments.append(newest.measured_at - _JUST_BEFORE)
                continue
            deadline = overdue_at(plan, item.schedule, newest.measured_at)
            if now <= deadline:  # overdue strictly after it
                moments.append(deadline)
        return min(moments, default=None)
