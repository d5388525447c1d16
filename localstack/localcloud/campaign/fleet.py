"""The campaign's patients and devices: simulator cohorts for two municipalities, registered once, with
patients handed out to one part each (so no part inherits another's open alerts or readings)."""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from dho.adapters.dynamodb_plans import DynamoDbPlans
from dho.adapters.dynamodb_registry import DynamoDbRegistry
from dho.domain.metrics import Metric
from dho.domain.plans import SelfManagementPlan
from localcloud.registry_seed import seed_registry
from localcloud.simulator.cohort import Device, DeviceKind, SimPatient, TenantCohort, build_cohorts, registry_document
from localcloud.simulator.payloads import encode, measurement_document, readings_topic, symptom_document
from localcloud.simulator.physiology import PatientBody
from localcloud.simulator.rhythm import DEVICE_OF_TASK

TENANTS = ("bodo", "sunnfjord")
_TASK_OF_DEVICE = {kind: next(t for t, k in DEVICE_OF_TASK.items() if k is kind) for kind in DeviceKind}


@dataclass(frozen=True)
class FleetDevice:
    patient: SimPatient
    device: Device

    @property
    def tenant(self) -> str:
        return self.patient.tenant

    @property
    def device_id(self) -> str:
        return self.device.device_id

    @property
    def patient_id(self) -> str:
        return self.patient.patient_id

    @property
    def topic(self) -> str:
        return readings_topic(self.tenant, self.device_id)


@dataclass
class Fleet:
    cohorts: list[TenantCohort]
    enrolled_at: datetime
    seed: int
    _free: list[SimPatient] = field(default_factory=list)

    @classmethod
    def build(cls, patients_per_tenant: int, now: datetime, *, seed: int = 11) -> Fleet:
        cohorts = build_cohorts(list(TENANTS), patients_per_tenant, seed)
        interleaved = [p for group in itertools.zip_longest(*(c.patients for c in cohorts)) for p in group if p]
        return cls(cohorts, now - timedelta(days=30), seed, interleaved)

    @property
    def things(self) -> dict[str, str]:
        """device (thing name) -> tenant: the stand-in for certificates attached to things."""
        return {d.device_id: p.tenant for c in self.cohorts for p in c.patients for d in p.devices}

    @property
    def national_ids(self) -> list[str]:
        return [p.national_id for c in self.cohorts for p in c.patients]

    def register(self, dynamodb: Any, tables: dict[str, str]) -> None:
        for cohort in self.cohorts:
            document = registry_document(cohort, self.enrolled_at)
            seed_registry(DynamoDbRegistry(dynamodb, tables[cohort.tenant]), document)
            plans = DynamoDbPlans(dynamodb, tables[cohort.tenant])
            for plan in document["plans"]:
                plans.save(SelfManagementPlan.model_validate(plan))

    def take_devices(self, count: int, *, kind: DeviceKind | None = None, tenant: str | None = None,
                     one_per_patient: bool = False) -> list[FleetDevice]:
        """``count`` devices of patients no other part has had (whole patients are handed out)."""
        taken: list[FleetDevice] = []
        for patient in list(self._free):
            if len(taken) >= count:
                break
            devices = [d for d in patient.devices if kind is None or d.kind is kind]
            if not devices or (tenant is not None and patient.tenant != tenant):
                continue
            self._free.remove(patient)
            taken.extend(FleetDevice(patient, d) for d in devices[: 1 if one_per_patient else None])
        if len(taken) < count:
            raise ValueError(f"the fleet has only {len(taken)} free devices of the {count} asked for "
                             f"(kind {kind}, tenant {tenant}): build it with more patients")
        return taken[:count]


def reading_document(device: FleetDevice, reading_id: str, measured_at: datetime, rng: random.Random,
                     overrides: dict[Metric, float] | None = None) -> dict[str, Any]:
    """A plausible reading of this device's patient (the simulator's physiology), values overridable."""
    body = PatientBody(device.patient, None, measured_at - timedelta(days=1), rng)
    if device.device.kind is DeviceKind.APP:
        return symptom_document(device.device, reading_id, measured_at, body.questionnaire(), body.answers(measured_at))
    values = dict(body.measure(_TASK_OF_DEVICE[device.device.kind], measured_at))
    values.update(overrides or {})
    return measurement_document(device.device, reading_id, measured_at, values)


def reading_payload(device: FleetDevice, reading_id: str, measured_at: datetime, rng: random.Random,
                    overrides: dict[Metric, float] | None = None) -> str:
    return encode(reading_document(device, reading_id, measured_at, rng, overrides))
