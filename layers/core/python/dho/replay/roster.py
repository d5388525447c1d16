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
from datetime import UTC, datetime, timedelta
from heapq import heappop, heappush

from dho.adapters.memory_registry import MemoryRegistry
from dho.domain.registry import ROSTER_SLOTS, roster_slot
from dho.evaluation.adherence import expected, overdue_at
from dho.ports import LatestEntries, PlanRepository

_AFTER_EVERYTHING = timedelta(days=365 * 100)
_JUST_BEFORE = timedelta(microseconds=1)
_DUE_NOW = datetime.min.replace(tzinfo=UTC)  # before any tick


class ChangedPatientsRoster:
    """:class:`~dho.ports.Roster` over a registry. Set :attr:`now` to the tick before each round; call
    :meth:`changed` when a patient has new readings the pipeline does not evaluate.

    Who is due is kept as an index per slot (a heap by the moment after which each patient may be due), so a
    round looks at the patients whose moment has passed, not at every patient of its slot."""

    def __init__(self, registry: MemoryRegistry, plans: PlanRepository, timeline: LatestEntries) -> None:
        self._registry = registry
        self._plans = plans
        self._timeline = timeline
        self._recheck_after: dict[str, datetime | None] = {}  # absent: changed since the last check
        # After an evaluation: from its time until the verdict can next change, a check decides its verdict again.
        self._decided: dict[str, tuple[datetime, datetime | None]] = {}
        # Per slot: (moment, patient, version); the patient may be due at a tick after the moment. An entry
        # whose version is not the patient's latest is stale (a later call moved the patient's moment).
        self._due: list[list[tuple[datetime, str, int]]] = [[] for _ in range(ROSTER_SLOTS)]
        self._version: dict[str, int] = {}
        self._slot_of: dict[str, int] = {}
        self._slot_patients: list[Sequence[str]] = [() for _ in range(ROSTER_SLOTS)]  # as the registry last gave them
        self.now: datetime | None = None

    def changed(self, patient_id: str) -> None:
        """The patient's readings changed without an evaluation: check them at their next slot."""
        self._recheck_after.pop(patient_id, None)
        self._decided.pop(patient_id, None)
        self._index(patient_id, _DUE_NOW)

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
        self._index(patient_id, until_at)

    def patients_in_slot(self, slot: int, *, limit: int) -> Sequence[str]:
        now = self.now
        if now is None:
            raise RuntimeError("set now before the round")
        in_slot = self._registry.patients_in_slot(slot, limit=limit)
        if in_slot != self._slot_patients[slot]:  # patients registered since: never checked, due
            for patient_id in in_slot:
                if patient_id not in self._version:
                    self._index(patient_id, _DUE_NOW)
            self._slot_patients[slot] = list(in_slot)
        heap = self._due[slot]
        candidates: set[str] = set()
        while heap and heap[0][0] < now:  # due strictly after the moment
            _, patient_id, version = heappop(heap)
            if version != self._version.get(patient_id):
                continue  # stale
            decided = self._decided.get(patient_id)
            if decided is not None and decided[0] <= now and (decided[1] is None or now <= decided[1]):
                if decided[1] is not None:  # the evaluation's verdict holds until then
                    heappush(heap, (decided[1], patient_id, version))
                continue
            candidates.add(patient_id)
        if not candidates:
            return []
        due = [patient_id for patient_id in in_slot if patient_id in candidates]  # the registry's order
        for patient_id in candidates.difference(due):  # beyond the limit: still due at a later round
            heappush(heap, (_DUE_NOW, patient_id, self._version[patient_id]))
        for patient_id in due:
            self._recheck_after[patient_id] = after = self._next_change(patient_id, now)
            self._decided.pop(patient_id, None)
            self._index(patient_id, after)
        return due

    def _index(self, patient_id: str, after: datetime | None) -> None:
        """Index the patient as due at a tick after ``after`` (None: not until a change)."""
        version = self._version[patient_id] = self._version.get(patient_id, 0) + 1
        if after is None:
            return
        slot = self._slot_of.get(patient_id)
        if slot is None:
            slot = self._slot_of[patient_id] = roster_slot(patient_id)
        heappush(self._due[slot], (after, patient_id, version))

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
