"""The replay nurse's baseline reviews: confirming each patient's personal baseline into the plan.

Model (``BaselineReviewModel()``, docs/replay.md): ``run_in`` (14 days) after a patient's first reading the
nurse confirms the baseline learned from those readings (``dho.evaluation.baselines``) as a new plan version,
once it covers every metric the plan expects (else a day later, up to ``run_in_at_most``). After that, a
clinical alert (an episode: an event, or a false alarm the nurse looked into) or a gap of ``gap`` (3 days: a
stay in hospital) without readings makes the nurse review the baseline once the patient has been free of
clinical alerts for ``stable_for`` (14 days) since: re-confirmed from the readings of those quiet days (a
metric with too few of them keeps its previous value, and each spread is pooled with the previous one); or,
from ``stable_for`` after the episode on, from the newest ``settled_for`` (7 days) as soon as they have
stopped moving (every metric's median within a spread of the 7 days before), alerts or not: the new normal
after a recovery keeps alerting against the old baseline, so waiting for quiet days would keep the old
baseline for good. This is how a baseline follows the new normal after an event and its recovery; a baseline
is never moved while nothing happened (a slow rise must not become the new normal unseen).
``BaselineReviewModel.off()``: nobody confirms anything (every patient stays on the programme template and
provisional baselines).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime, timedelta

from dho.domain.baselines import PersonalBaseline
from dho.domain.findings import Rule
from dho.domain.plans import revise
from dho.evaluation.baselines import RUN_IN, learn_from_timeline, reviewed
from dho.ports import PlanRepository, TimelineRepository
from dho.replay.alert_log import AlertEvent, AlertEventKind
from dho.replay.nurse import REPLAY_NURSE_HPR


@dataclass(frozen=True, slots=True)
class BaselineReviewModel:
    enabled: bool = True
    run_in: timedelta = RUN_IN
    stable_for: timedelta = timedelta(days=14)
    gap: timedelta = timedelta(days=3)
    postpone: timedelta = timedelta(days=1)
    # After an episode the nurse also accepts a new normal that has stopped moving, alerts or not: the
    # newest ``settled_for`` against the ``settled_for`` before it, every metric's median within one
    # spread (None: only ``stable_for`` without clinical alerts counts).
    settled_for: timedelta | None = timedelta(days=7)
    # The run-in goes on (a day at a time) until every metric of the plan's schedule has enough readings,
    # for at most this long after the first reading; then the nurse confirms what there is.
    run_in_at_most: timedelta = timedelta(days=28)

    @classmethod
    def off(cls) -> BaselineReviewModel:
        return cls(enabled=False)


class BaselineNurse:
    """Call :meth:`saw_reading` for stored readings, :meth:`on_event` for alert events, and
    :meth:`review_due` before each batch is scored."""

    def __init__(self, model: BaselineReviewModel, plans: PlanRepository, timeline: TimelineRepository) -> None:
        self._model = model
        self._plans = plans
        self._timeline = timeline
        self._first_reading: dict[str, datetime] = {}
        self._last_reading: dict[str, datetime] = {}
        self._pending: set[str] = set()  # an episode or a gap since the baseline was confirmed
        self._last_clinical_alert: dict[str, datetime] = {}
        self._due: list[tuple[datetime, str]] = []
        self.confirmed = 0

    def saw_reading(self, patient_id: str, measured_at: datetime) -> None:
        if not self._model.enabled:
            return
        last = self._last_reading.get(patient_id)
        if last is None:
            self._first_reading[patient_id] = measured_at
            heapq.heappush(self._due, (measured_at + self._model.run_in, patient_id))
        elif measured_at - last >= self._model.gap:
            self._episode(patient_id, measured_at)
        if last is None or measured_at > last:
            self._last_reading[patient_id] = measured_at

    def on_event(self, event: AlertEvent) -> None:
        if self._model.enabled and event.kind is AlertEventKind.OPENED \
                and event.alert.rule is not Rule.MISSED_MEASUREMENTS:
            self._last_clinical_alert[event.alert.patient_id] = event.at
            self._episode(event.alert.patient_id, event.at)

    def _episode(self, patient_id: str, at: datetime) -> None:
        plan = self._plans.current(patient_id)
        if plan is not None and plan.baseline is not None and patient_id not in self._pending:
            self._pending.add(patient_id)
            heapq.heappush(self._due, (at + self._model.stable_for, patient_id))

    def review_due(self, now: datetime) -> None:
        while self._due and self._due[0][0] <= now:
            _, patient_id = heapq.heappop(self._due)
            later = self._review(patient_id, now)
            if later is not None:
                heapq.heappush(self._due, (later, patient_id))

    def _settled(self, baseline: PersonalBaseline, patient_id: str, now: datetime) -> bool:
        """Confirm the newest ``settled_for`` as the baseline if it is where the patient has settled (the
        same medians, within a spread, as the ``settled_for`` before it); whether it did."""
        span = self._model.settled_for
        if span is None:
            return False
        newest, before = (learn_from_timeline(self._timeline, patient_id, learned_from=end - span, learned_to=end,
                                              confirmed_by=REPLAY_NURSE_HPR, confirmed_at=now)
                          for end in (now, now - span))
        if newest is None or before is None or not newest.metrics \
                or set(newest.metrics) != set(before.metrics) or set(newest.metrics) < set(baseline.metrics):
            return False
        if any(abs(m.median - before.metrics[metric].median) > max(m.spread, before.metrics[metric].spread, 1e-9)
               for metric, m in newest.metrics.items()):
            return False
        plan = self._plans.current(patient_id)
        assert plan is not None
        self._plans.save(revise(plan, changed_by=REPLAY_NURSE_HPR, at=now, baseline=reviewed(newest, baseline),
                                note="baseline re-confirmed: settled after the episode"))
        self._pending.discard(patient_id)
        self.confirmed += 1
        return True

    def _review(self, patient_id: str, now: datetime) -> datetime | None:
        """Confirm the run-in's baseline, or re-confirm it after an episode once the patient is stable;
        the time to look again (None: nothing to do until the next episode)."""
        plan = self._plans.current(patient_id)
        if plan is None:
            return None
        if plan.baseline is not None:
            if patient_id not in self._pending:
                return None
            last_alert = self._last_clinical_alert.get(patient_id)
            if last_alert is not None and now - last_alert < self._model.stable_for:
                if self._settled(plan.baseline, patient_id, now):
                    return None
                return min(last_alert + self._model.stable_for, now + self._model.postpone)
            learned_from = now - self._model.stable_for
        else:
            learned_from = self._first_reading[patient_id]
        baseline = learn_from_timeline(self._timeline, patient_id, learned_from=learned_from, learned_to=now,
                                       confirmed_by=REPLAY_NURSE_HPR, confirmed_at=now, previous=plan.baseline)
        if baseline is None or (plan.baseline is None and now - learned_from < self._model.run_in_at_most
                                and not set(plan.measurement_schedule()) <= set(baseline.metrics)):
            # the run-in has not yet taught every metric the plan expects (a patient who weighed five times
            # in a fortnight): wait for more readings rather than confirm a baseline without a dry weight
            return now + self._model.postpone
        first = plan.baseline is None
        self._plans.save(revise(plan, changed_by=REPLAY_NURSE_HPR, at=now, baseline=baseline,
                                note="baseline confirmed after the run-in" if first else "baseline re-confirmed"))
        self._pending.discard(patient_id)
        self.confirmed += 1
        return None
