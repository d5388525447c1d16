"""A synthetic cohort per tenant: patients with programmes, personal baselines, devices and ids.

Everything is drawn from a random generator seeded by ``(seed, tenant, patient index)``, so a patient
does not change when the cohort grows (patient 7 of bodo is the same with ``--patients 10`` or 100).
National ids are synthetic test numbers (month + 80, as events/registry.json), never real people.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from dho.domain.identifiers import with_check_digits
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, plan_from_template

# The pseudonym alphabet of dho.domain.identifiers.new_patient_id (Crockford-style, no I, L, O, U);
# drawn here from a seeded generator so the cohort is reproducible.
PSEUDONYM_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class DeviceKind(StrEnum):
    """The thing-name prefix of each kind of device (``oxi-0001``), as in events/registry.json."""

    OXIMETER = "oxi"
    BP_CUFF = "bpm"
    SCALE = "scale"
    THERMOMETER = "thermo"
    GLUCOMETER = "gluco"
    APP = "app"


MODELS: dict[DeviceKind, str] = {
    DeviceKind.OXIMETER: "Nonin 3230",
    DeviceKind.BP_CUFF: "Omron M7 Intelli IT",
    DeviceKind.SCALE: "A&D UC-352BLE",
    DeviceKind.THERMOMETER: "Braun ThermoScan 7",
    DeviceKind.GLUCOMETER: "Contour Next One",
    DeviceKind.APP: "DHO patient app 1.4",
}

DEVICES_OF: dict[Programme, tuple[DeviceKind, ...]] = {
    Programme.COPD: (DeviceKind.OXIMETER, DeviceKind.THERMOMETER, DeviceKind.APP),
    Programme.COPD_HYPERCAPNIC: (DeviceKind.OXIMETER, DeviceKind.THERMOMETER, DeviceKind.APP),
    Programme.HEART_FAILURE: (DeviceKind.SCALE, DeviceKind.BP_CUFF, DeviceKind.APP),
    Programme.DIABETES: (DeviceKind.GLUCOMETER, DeviceKind.SCALE),
    Programme.GENERIC: (DeviceKind.OXIMETER, DeviceKind.BP_CUFF, DeviceKind.THERMOMETER),
    # Followed by what they report in the app: ESAS-r daily (cancer), PHQ-9 and GAD-7 weekly (mental health).
    Programme.CANCER: (DeviceKind.APP,),
    Programme.MENTAL_HEALTH: (DeviceKind.APP,),
}

# The programme of patient i is PATTERN[i % 20]: the mix of a municipality's follow-up service (guess:
# COPD 30 %, heart failure 25 %, diabetes 15 %, hypercapnic COPD 10 %, generic 10 %, cancer 5 %, mental
# health 5 %), interleaved so the first seven patients cover every programme, and fixed per index so a
# patient keeps their programme when the cohort grows.
_C, _H, _D, _X, _G = (Programme.COPD, Programme.HEART_FAILURE, Programme.DIABETES, Programme.COPD_HYPERCAPNIC,
                      Programme.GENERIC)
_K, _M = Programme.CANCER, Programme.MENTAL_HEALTH
PATTERN: tuple[Programme, ...] = (_C, _H, _D, _X, _G, _K, _M, _C, _H, _D, _C, _H, _C, _X, _H, _D, _C, _G, _H, _C)

# Some devices report in another unit the platform converts (an imported scale in pounds, a
# glucometer left in mg/dL, a thermometer in Fahrenheit): (kind, metric) -> [(unit, share)].
_UNIT_CHOICES: dict[tuple[DeviceKind, Metric], tuple[tuple[str, float], ...]] = {
    (DeviceKind.SCALE, Metric.BODY_WEIGHT): (("kg", 0.9), ("[lb_av]", 0.1)),
    (DeviceKind.GLUCOMETER, Metric.BLOOD_GLUCOSE): (("mmol/L", 0.9), ("mg/dL", 0.1)),
    (DeviceKind.THERMOMETER, Metric.BODY_TEMPERATURE): (("Cel", 0.95), ("[degF]", 0.05)),
}


@dataclass(frozen=True, slots=True)
class Device:
    device_id: str
    kind: DeviceKind
    model: str
    units: dict[Metric, str] = field(default_factory=dict)  # metrics reported in a non-canonical unit

    def unit_of(self, metric: Metric, canonical: str) -> str:
        return self.units.get(metric, canonical)


@dataclass(frozen=True, slots=True)
class Baselines:
    """The patient's usual values (canonical units) and how much their readings scatter around them."""

    spo2: float
    heart_rate: float
    systolic_bp: float
    diastolic_bp: float
    body_weight: float
    body_temperature: float
    blood_glucose: float  # fasting


@dataclass(frozen=True, slots=True)
class SimPatient:
    tenant: str
    index: int
    patient_id: str
    national_id: str
    programme: Programme
    baselines: Baselines
    miss_rate: float  # share of scheduled measurements this patient skips
    devices: tuple[Device, ...]

    @property
    def rng_key(self) -> str:
        return f"{self.tenant}:{self.index}"

    def device(self, kind: DeviceKind) -> Device | None:
        return next((d for d in self.devices if d.kind is kind), None)


@dataclass(frozen=True, slots=True)
class TenantCohort:
    tenant: str
    patients: tuple[SimPatient, ...]


def programmes_for(count: int) -> list[Programme]:
    return [PATTERN[index % len(PATTERN)] for index in range(count)]


def synthetic_national_id(rng: random.Random) -> str:
    """A synthetic fødselsnummer (month + 80) of someone born 1936-1971, with valid check digits."""
    while True:
        day, month, year = rng.randint(1, 28), rng.randint(1, 12) + 80, rng.randint(36, 71)
        individual = rng.randint(0, 499)  # 000-499: born 1900-1999
        number = with_check_digits(f"{day:02d}{month:02d}{year:02d}{individual:03d}")
        if number is not None:
            return number


def _pseudonym(rng: random.Random) -> str:
    return "P-" + "".join(rng.choice(PSEUDONYM_ALPHABET) for _ in range(8))


def _clipped_gauss(rng: random.Random, mean: float, sd: float, low: float, high: float) -> float:
    return min(high, max(low, rng.gauss(mean, sd)))


def _baselines(programme: Programme, rng: random.Random) -> Baselines:
    spo2 = {Programme.COPD: (95.0, 1.0, 93.5, 97.0), Programme.COPD_HYPERCAPNIC: (91.0, 0.6, 90.0, 92.0)}.get(
        programme, (97.0, 0.8, 95.5, 99.0))
    systolic = _clipped_gauss(rng, 128, 10, 108, 148)
    heart_rate = _clipped_gauss(rng, 82 if programme in (Programme.COPD, Programme.COPD_HYPERCAPNIC) else 72,
                                7, 58, 92)
    return Baselines(
        spo2=round(_clipped_gauss(rng, *spo2), 1),
        heart_rate=round(heart_rate, 1),
        systolic_bp=round(systolic, 1),
        diastolic_bp=round(min(systolic - 35, _clipped_gauss(rng, 78, 7, 62, 92)), 1),
        body_weight=round(_clipped_gauss(rng, 82 if programme is not Programme.COPD else 72, 14, 48, 135), 1),
        body_temperature=round(_clipped_gauss(rng, 36.75, 0.12, 36.55, 37.0), 2),
        blood_glucose=round(_clipped_gauss(rng, 7.0, 0.8, 5.6, 8.6), 2),
    )


def _unit_overrides(kind: DeviceKind, rng: random.Random) -> dict[Metric, str]:
    units: dict[Metric, str] = {}
    for (choice_kind, metric), choices in _UNIT_CHOICES.items():
        if choice_kind is kind:
            draw, cumulative = rng.random(), 0.0
            for unit, share in choices:
                cumulative += share
                if draw < cumulative:
                    if unit != choices[0][0]:
                        units[metric] = unit
                    break
    return units


class _DeviceNumbers:
    """Thing names are unique across tenants (an MQTT client id is a thing name, and tenants share a
    broker and an AWS account), so numbering continues from one tenant to the next."""

    def __init__(self) -> None:
        self._next: dict[DeviceKind, int] = {}

    def take(self, kind: DeviceKind) -> str:
        number = self._next.get(kind, 1)
        self._next[kind] = number + 1
        return f"{kind.value}-{number:04d}"


def build_cohorts(tenants: list[str], patients_per_tenant: int, seed: int) -> list[TenantCohort]:
    numbers = _DeviceNumbers()
    cohorts = []
    for tenant in tenants:
        taken_ids: set[str] = set()
        patients = []
        for index, programme in enumerate(programmes_for(patients_per_tenant)):
            rng = random.Random(f"{seed}:{tenant}:{index}:cohort")
            patient_id = _pseudonym(rng)
            while patient_id in taken_ids:
                patient_id = _pseudonym(rng)
            taken_ids.add(patient_id)
            national_id = synthetic_national_id(rng)
            baselines = _baselines(programme, rng)
            devices = tuple(
                Device(numbers.take(kind), kind, MODELS[kind], _unit_overrides(kind, rng))
                for kind in DEVICES_OF[programme]
            )
            patients.append(SimPatient(
                tenant=tenant, index=index, patient_id=patient_id, national_id=national_id, programme=programme,
                baselines=baselines, miss_rate=round(rng.uniform(0.02, 0.12), 3), devices=devices,
            ))
        cohorts.append(TenantCohort(tenant, tuple(patients)))
    return cohorts


def registry_document(cohort: TenantCohort, enrolled_at: datetime) -> dict[str, Any]:
    """The tenant's registry in the shape of events/registry.json (``patients``, ``assignments``), plus
    ``devices`` (kind and model, for registering IoT things) and ``plans`` (version 1 from the
    programme template, as SelfManagementPlan JSON)."""
    valid_from = enrolled_at.isoformat().replace("+00:00", "Z")
    return {
        "tenant": cohort.tenant,
        "patients": [
            {"patient_id": p.patient_id, "programme": p.programme.value, "national_id": p.national_id}
            for p in cohort.patients
        ],
        "assignments": [
            {"device_id": d.device_id, "patient_id": p.patient_id, "valid_from": valid_from}
            for p in cohort.patients for d in p.devices
        ],
        "devices": [
            {"device_id": d.device_id, "kind": d.kind.value, "model": d.model, "patient_id": p.patient_id}
            for p in cohort.patients for d in p.devices
        ],
        "plans": [
            plan_from_template(p.patient_id, p.programme, enrolled_at).model_dump(mode="json")
            for p in cohort.patients
        ],
    }
