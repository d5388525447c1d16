"""Versioned self-management plans in memory (every version kept, the newest current)."""

from __future__ import annotations

from dho.domain.plans import PlanVersionConflict, SelfManagementPlan


class MemoryPlans:
    """:class:`~dho.ports.PlanRepository` and :class:`~dho.ports.PlanHistory`: a new version must be
    exactly one more than the newest."""

    def __init__(self) -> None:
        self._versions: dict[str, list[SelfManagementPlan]] = {}

    def save(self, plan: SelfManagementPlan) -> None:
        versions = self._versions.setdefault(plan.patient_id, [])
        expected = len(versions) + 1
        if plan.version != expected:
            raise PlanVersionConflict(f"version {plan.version} given, {expected} expected")
        versions.append(plan)

    def current(self, patient_id: str) -> SelfManagementPlan | None:
        versions = self._versions.get(patient_id)
        return versions[-1] if versions else None

    def versions_of(self, patient_id: str, *, limit: int) -> list[SelfManagementPlan]:
        return list(reversed(self._versions.get(patient_id, [])))[:limit]
