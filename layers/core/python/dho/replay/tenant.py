"""One tenant of a replay: the production services (ingest, evaluation, alerts, the readings pipeline,
the missed-measurement checks) wired to the indexed in-memory stores and a simulated clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dho.adapters.memory_alerts import CapturingNotifier, MemoryAlerts
from dho.adapters.memory_enrolments import MemoryEnrolments
from dho.adapters.memory_plans import MemoryPlans
from dho.adapters.memory_quarantine import MemoryQuarantine
from dho.adapters.memory_registry import MemoryRegistry
from dho.adapters.memory_timeline import MemoryTimeline
from dho.alerting.adherence_sweep import AdherenceSweep
from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertService
from dho.centre.enrolment import Enrolment
from dho.domain.alerts import AlertPolicySettings
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template
from dho.domain.registry import DeviceAssignment, Patient
from dho.evaluation.service import EvaluationService
from dho.ingest.service import IngestService
from dho.pipeline import ReadingsPipeline
from dho.replay.clock import SimulatedClock
from dho.replay.cohort import CohortDevice, CohortPatient, synthetic_national_id
from dho.replay.roster import ChangedPatientsRoster

# Plan fields a cohort may set per patient (docs/replay.md); the rest belong to the plan's history.
PLAN_FIELDS = frozenset({"spo2_scale", "on_home_oxygen", "limits", "trends", "expected_measurements",
                         "expected_questionnaires", "paused_until"})
_MERGED_FIELDS = frozenset({"limits", "trends"})  # merged into the template's (per metric, per field)


@dataclass
class TenantReplay:
    tenant: str
    settings: AlertPolicySettings
    clock: SimulatedClock
    registry: MemoryRegistry = field(default_factory=MemoryRegistry)
    timeline: MemoryTimeline = field(default_factory=MemoryTimeline)
    quarantine: MemoryQuarantine = field(default_factory=MemoryQuarantine)
    plans: MemoryPlans = field(default_factory=MemoryPlans)
    alerts: MemoryAlerts = field(default_factory=MemoryAlerts)
    enrolments: MemoryEnrolments = field(default_factory=MemoryEnrolments)
    notifier: CapturingNotifier = field(default_factory=CapturingNotifier)

    def __post_init__(self) -> None:
        self.alert_service = AlertService(AlertPolicy(self.settings), self.alerts, self.notifier,
                                          tenant_name=self.tenant, clock=self.clock)
        ingest = IngestService(self.tenant, self.registry, self.timeline, self.quarantine)
        evaluation = EvaluationService(self.timeline, self.plans, self.registry)
        self.pipeline = ReadingsPipeline(ingest, evaluation, self.alert_service)
        self.roster = ChangedPatientsRoster(self.registry, self.plans, self.timeline)
        self.adherence = AdherenceSweep(self.roster, self.registry, self.plans, self.timeline, self.alert_service)

    def check_adherence(self, now: datetime) -> int:
        """The missed-measurement checks of ``now``'s roster slot (the patients whose check can change
        something); returns how many were checked."""
        self.roster.now = now
        return self.adherence.run(now).checked

    def enrol(self, patient: CohortPatient, at: datetime) -> None:
        """Register the patient, save version 1 of the plan (the programme's template with the cohort's
        overrides) and the enrolment. Raises ValueError on an unknown programme or a bad override."""
        plan = plan_with_overrides(patient.patient_id, Programme(patient.programme), patient.plan_overrides, at)
        self.registry.register_patient(Patient(patient.patient_id, synthetic_national_id(patient.patient_id),
                                               patient.programme))
        self.plans.save(plan)
        start = at.date()
        self.enrolments.enrol(Enrolment(
            patient_id=patient.patient_id, name=patient.patient_id, code=patient.patient_id,
            programme=patient.programme, centre_id=self.tenant, gp_hpr=patient.gp_hpr,
            hospital_organisations=(), decision_ref="replay", decided_on=start, start=start,
            review_on=start + timedelta(days=90)))

    def assign(self, device: CohortDevice) -> None:
        self.registry.assign_device(DeviceAssignment(device.device_id, device.patient_id, device.valid_from,
                                                     device.valid_to))

    def enrolled_on(self, patient_id: str) -> date | None:
        enrolment = self.enrolments.get(patient_id)
        return None if enrolment is None else enrolment.start


def plan_with_overrides(
    patient_id: str, programme: Programme, overrides: dict[str, Any], at: datetime
) -> SelfManagementPlan:
    """Version 1 of the plan: the programme's template, ``limits`` and ``trends`` merged into it (per
    metric and field), the other fields of ``PLAN_FIELDS`` replaced."""
    unknown = set(overrides) - PLAN_FIELDS
    if unknown:
        raise ValueError(f"plan_overrides may set {', '.join(sorted(PLAN_FIELDS))}; not {', '.join(sorted(unknown))}")
    template = plan_from_template(patient_id, programme, at)
    data = template.model_dump(mode="json")
    for name, value in overrides.items():
        if name in _MERGED_FIELDS and isinstance(value, dict):
            merged = dict(data[name] or {})
            for key, part in value.items():
                known = merged.get(key)
                merged[key] = {**known, **part} if isinstance(known, dict) and isinstance(part, dict) else part
            data[name] = merged
        else:
            data[name] = value
    data["change_note"] = f"defaults of the {programme.value} programme with the cohort's overrides"
    return SelfManagementPlan.model_validate(data)
