"""Evaluate the patients a batch touched: their current plan and recent window, scored together."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from dho.domain.findings import Evaluation
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import load_window
from dho.ports import PlanRepository, Registry, TimelineRepository


class EvaluationService:
    def __init__(self, timeline: TimelineRepository, plans: PlanRepository, registry: Registry) -> None:
        self._timeline = timeline
        self._plans = plans
        self._registry = registry

    def evaluate(self, evaluated_at_by_patient: Mapping[str, datetime]) -> list[Evaluation]:
        """``evaluated_at`` per patient is the newest arrival time of their readings in the batch, so a
        replayed batch is evaluated exactly as the first delivery was (same time, same data)."""
        windows = [
            load_window(self._timeline, self._plan_of(patient_id, at), at)
            for patient_id, at in sorted(evaluated_at_by_patient.items())
        ]
        return evaluate(windows)

    def _plan_of(self, patient_id: str, at: datetime) -> SelfManagementPlan:
        plan = self._plans.current(patient_id)
        if plan is not None:
            return plan
        # No personal plan yet: the programme's template applies until a nurse saves version 1.
        patient = self._registry.get_patient(patient_id)
        programme = patient.programme if patient else Programme.GENERIC.value
        try:
            return plan_from_template(patient_id, Programme(programme), at)
        except ValueError:
            return plan_from_template(patient_id, Programme.GENERIC, at)
