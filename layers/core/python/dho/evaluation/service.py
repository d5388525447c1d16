"""Evaluate the patients a batch touched: their current plan and recent window, scored together, and
whether they keep the plan's measurement and questionnaire schedules (missed measurements: a reading or
answer that ends the silence makes the rule quiet, which closes its open alert at once).

Reads per batch: one consistent batched read of the patients' newest-readings summaries (which series each
has, and how recent), then per patient its plan and one query per series that can have entries in the
window. The summary is written in the transaction that stores each reading, so a consistent read of it
sees the batch just stored."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dho.domain.findings import Evaluation
from dho.domain.plans import SelfManagementPlan
from dho.evaluation.adherence import missed_measurements, newest_measured, plan_in_force
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import PatientWindow, load_window
from dho.ports import PlanRepository, Registry, ScoringTimeline


class EvaluationService:
    def __init__(self, timeline: ScoringTimeline, plans: PlanRepository, registry: Registry) -> None:
        self._timeline = timeline
        self._plans = plans
        self._registry = registry
        self._plans_of_batch: dict[tuple[str, datetime], SelfManagementPlan] = {}

    def evaluate(self, evaluated_at_by_patient: Mapping[str, datetime]) -> list[Evaluation]:
        """``evaluated_at`` per patient comes from the batch's own data (the newest arrival or measured
        time of its fresh readings), so a replayed batch is evaluated exactly as the first delivery was."""
        self._plans_of_batch.clear()
        patients = sorted(evaluated_at_by_patient)
        newest = self._timeline.newest_of(patients, consistent=True) if patients else {}
        windows = [
            load_window(self._timeline, self.plan_in_force(patient_id, at), at, newest.get(patient_id))
            for patient_id, at in sorted(evaluated_at_by_patient.items())
        ]
        return [self._with_adherence(window, ev) for window, ev in zip(windows, evaluate(windows), strict=True)]

    def plan_in_force(self, patient_id: str, at: datetime) -> SelfManagementPlan:
        """The plan the last :meth:`evaluate` scored the patient with (the advice to the device uses it too,
        without a second read), or else the one in force at ``at``, read now. The memo lives for one
        :meth:`evaluate` call, so a plan saved since is read at the next batch."""
        key = (patient_id, at)
        if key not in self._plans_of_batch:
            self._plans_of_batch[key] = plan_in_force(self._plans, self._registry, patient_id, at)
        return self._plans_of_batch[key]

    def _with_adherence(self, window: PatientWindow, evaluation: Evaluation) -> Evaluation:
        """The missed-measurements verdict as of the evaluation time (the newest reading per expected series
        from the window, or one bounded query for a series the window does not hold)."""
        at = window.evaluated_at
        measured = newest_measured(self._timeline, window.plan, at, window.entries)
        return missed_measurements(window.plan, measured, at).added_to(evaluation)
