"""The roster of the replay's hourly missed-measurement round, leaving out the patients whose check
cannot change anything. A check decides on one rule from the verdict of ``dho.evaluation.adherence`` (a
pure function of the plan, the newest measurement of each expected metric or questionnaire, and the time);
as time passes the verdict changes only when a deadline (newest measurement or end of a pause + the schedule's interval
and grace) is passed. The same verdict decided again changes nothing, whatever happened to the alert in
between: an open alert has counted its evidence already, a closed episode's watermark refuses it. So a
patient is checked again only once a deadline passes or a new reading arrives; a patient the readings
pipeline evaluates (its evaluation includes the same verdict) counts as checked at the batch's start, and
its verdict as decided for as long as it holds after the evaluation's own time. Production checks
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
        # After an evaluation: from its time until the verdict can next change, a check decides its verdict again.
        self._decided: dict[str, tuple[datetime, datetime | None]] = {}
        self.now: datetime | None = None
        self.skipped = 0

    def changed(self, patient_id: str) -> None:
        """The patient's readings changed without an evaluation: check them at their next slot."""
        self._recheck_after.pop(patient_id, None)
        self._decided.pop(patient_id, None)

    def evaluated(self, patient_id: str, at: datetime, decided_at: datetime | None = None) -> None:
        """The readings pipeline is about to evaluate the patient at ``decided_at`` (``at`` if not given), no
        earlier than ``at`` (the batch's start), with the adherence verdict (``EvaluationService``): that counts
        as a check at ``at``, and a check from ``decided_at`` until the verdict can next change would decide
        the evaluation's verdict again. A slot tick between ``at``'s next change and ``decided_at`` (a reading
        of the batch measured after it, or a deadline passing in between) still checks: its verdict is one
        nobody decided. Call :meth:`changed` if the evaluation fails."""
        until_at, until_decided = self._next_changes(patient_id, at, decided_at or at)
        self._recheck_after[patient_id] = until_at
        if decided_at is None or until_at is None or decided_at <= until_at:
            self._decided.pop(patient_id, None)  # nothing to add to the skip from ``at``
        else:
            self._decided[patient_id] = (decided_at, until_decided)

    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        now = self.now
        if now is None:
            raise RuntimeError("set now before the round")
        due: list[str] = []
        for patient_id in self._registry.patients_in_slot(slot, limit=limit):
            if patient_id in self._recheck_after:
                after = self._recheck_after[patient_id]
                if after is None or now <= after or self._decided_at(patient_id, now):
                    self.skipped += 1
                    continue
            due.append(patient_id)
            self._recheck_after[patient_id] = self._next_change(patient_id, now)
            self._decided.pop(patient_id, None)
        return due

    def _decided_at(self, patient_id: str, now: datetime) -> bool:
        """Whether the verdict at ``now`` is the one the patient's last evaluation decided."""
        decided = self._decided.get(patient_id)
        if decided is None:
            return False
        start, end = decided
        return start <= now and (end is None or now <= end)

    def _next_change(self, patient_id: str, now: datetime) -> datetime | None:
        """After which moment the verdict can differ from the one at ``now`` (None: never, until a change)."""
        return self._next_changes(patient_id, now, now)[0]

    def _next_changes(
        self, patient_id: str, first: datetime, second: datetime
    ) -> tuple[datetime | None, datetime | None]:
        """:meth:`_next_change` at two moments, reading the newest measurements once."""
        plan = self._plans.current(patient_id)
        if plan is None:
            return first, second  # no plan of its own: the template's, dated now; check every time
        newest_of: list[tuple[datetime, datetime]] = []  # (measured, deadline) per expected series measured
        everything = max(first, second) + _AFTER_EVERYTHING
        for item in expected(plan):
            newest = self._timeline.latest(patient_id, item.series, before=everything)
            if newest is not None:
                newest_of.append((newest.measured_at, overdue_at(plan, item.schedule, newest.measured_at)))
        return _next(plan.paused_until, newest_of, first), _next(plan.paused_until, newest_of, second)


def _next(
    paused_until: datetime | None, newest_of: Sequence[tuple[datetime, datetime]], now: datetime
) -> datetime | None:
    """The next change of the verdict after ``now`` from each series' newest (measured, deadline)."""
    moments: list[datetime] = []
    if paused_until is not None and now < paused_until:
        moments.append(paused_until - _JUST_BEFORE)
    for measured, deadline in newest_of:
        if measured > now:  # measured "in the future" (a clock ahead, or later in the batch): visible later
            moments.append(measured - _JUST_BEFORE)
        elif now <= deadline:  # overdue strictly after it
            moments.append(deadline)
    return min(moments, default=None)
