"""Evaluate the patients a batch touched: their current plan and recent window, scored together, and
whether they keep the plan's measurement and questionnaire schedules (missed measurements: a reading or
answer that ends the silence makes the rule quiet, which closes its open alert at once)."""

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

    def evaluate(self, evaluated_at_by_patient: Mapping[str, datetime]) -> list[Evaluation]:
        """``evaluated_at`` per patient comes from the batch's own data (the newest arrival or measured
        time of its fresh readings), so a replayed batch is evaluated exactly as the first delivery was."""
        windows = [
            load_window(self._timeline, self._plan_of(patient_id, at), at)
            for patient_id, at in sorted(evaluated_at_by_patient.items())
        ]
        return [self._with_adherence(window, ev) for window, ev in zip(windows, evaluate(windows), strict=True)]

    def _with_adherence(self, window: PatientWindow, evaluation: Evaluation) -> Evaluation:
        """The missed-measurements verdict as of the evaluation time (the newest reading per expected series
        from the window, or one bounded query for a series the window does not hold)."""
        at = window.evaluated_at
        verdict = missed_measurements(window.plan, newest_measured(self._timeline, window.plan, at, window.entries), at)
        return verdict.added_to(evaluation)

    def _plan_of(self, patient_id: str, at: datetime) -> SelfManagementPlan:
        return plan_in_force(self._plans, self._registry, patient_id, at)
