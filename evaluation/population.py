"""Who is in the cohort: each patient's programme, usual values, scatter and habits.

Each patient is drawn from a generator seeded by ``(seed, index)``; the programme follows from the index
and the cohort size (fixed proportions).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from dho.domain.plans import Programme
from evaluation.assumptions import CohortAssumptions

HYPERCAPNIC_TARGET_LOW = 88.0  # below their 88-92 % target: outside the hypercapnic template's bands


class SymptomHabit(StrEnum):
    NEVER_ANSWERS = "never_answers"
    FREQUENT_REPORTER = "frequent_reporter"
    USUAL = "usual"


@dataclass(frozen=True, slots=True)
class Usual:
    """The patient's usual values when stable (canonical units) and their day-to-day scatter (SD)."""

    spo2: float
    heart_rate: float
    systolic: float
    diastolic: float
    weight: float
    temperature: float
    spo2_sd: float
    heart_rate_sd: float
    systolic_sd: float
    weight_sd: float


@dataclass(frozen=True, slots=True)
class Patient:
    index: int
    patient_id: str
    programme: Programme
    usual: Usual
    adherence: float
    twice_daily: bool
    habit: SymptomHabit
    yellow_day: float  # chance of a worse-than-usual answer on a stable day
    traits: tuple[str, ...]  # the chronic abnormalities drawn (for the report's false-alert causes)

    def record(self) -> dict[str, Any]:
        return {"patient_id": self.patient_id, "programme": self.programme.value, "adherence": self.adherence,
                "twice_daily": self.twice_daily, "habit": self.habit.value, "yellow_day": self.yellow_day,
                "traits": list(self.traits), "usual": {k: getattr(self.usual, k) for k in Usual.__slots__}}


def patient_id(index: int) -> str:
    return f"P-EV{index:06d}"


def programme_of(index: int, count: int, mix: dict[str, float]) -> Programme:
    """Programmes in fixed proportions: the first ``round(share * count)`` indices by cumulative share."""
    position = (index + 0.5) / count
    cumulative = 0.0
    for name, share in mix.items():
        cumulative += share
        if position < cumulative:
            return Programme(name)
    return Programme(list(mix)[-1])


def draw_patient(index: int, count: int, seed: int, a: CohortAssumptions) -> Patient:
    rng = random.Random(f"{seed}:{index}:patient")
    programme = programme_of(index, count, a.programme_mix)
    traits: list[str] = []
    uniform = rng.uniform
    heart_rate_sd = uniform(*a.heart_rate_sd)
    systolic = uniform(*a.hf_systolic)
    if programme is Programme.HEART_FAILURE:
        spo2 = uniform(94.0, 98.0)
        heart_rate = uniform(*a.hf_heart_rate)
        if rng.random() < a.hf_atrial_fibrillation_share:
            traits.append("atrial_fibrillation")
            heart_rate, heart_rate_sd = uniform(78.0, 100.0), uniform(*a.af_heart_rate_sd)
        elif rng.random() < a.hf_bradycardic_share:
            traits.append("low_pulse")
            heart_rate = uniform(46.0, 52.0)
        if rng.random() < a.hf_low_systolic_share:
            traits.append("low_blood_pressure")
            systolic = uniform(*a.hf_low_systolic)
    else:
        if programme is Programme.COPD_HYPERCAPNIC:
            spo2 = uniform(*a.hypercapnic_spo2_baseline)
            if spo2 < HYPERCAPNIC_TARGET_LOW:
                traits.append("low_spo2")
        elif rng.random() < a.copd_low_spo2_share:
            spo2 = uniform(*a.copd_low_spo2_baseline)
            traits.append("low_spo2")
        else:
            spo2 = uniform(*a.copd_spo2_baseline)
        heart_rate = uniform(*a.copd_heart_rate)
        if rng.random() < a.copd_tachycardic_share:
            traits.append("high_pulse")
            heart_rate = uniform(100.0, 110.0)
    roll = rng.random()
    if roll < a.never_answers_share:
        habit, yellow_day = SymptomHabit.NEVER_ANSWERS, 0.0
    elif roll < a.never_answers_share + a.frequent_reporter_share:
        habit, yellow_day = SymptomHabit.FREQUENT_REPORTER, uniform(*a.frequent_reporter_yellow_day)
    else:
        habit, yellow_day = SymptomHabit.USUAL, a.usual_yellow_day
    usual = Usual(
        spo2=round(spo2, 1), heart_rate=round(heart_rate, 1), systolic=round(systolic, 1),
        diastolic=round(min(systolic - 30, uniform(60.0, 85.0)), 1),
        weight=round(min(140.0, max(45.0, rng.gauss(84.0 if programme is Programme.HEART_FAILURE else 72.0, 15.0))), 1),
        temperature=round(uniform(36.4, 37.0), 2), spo2_sd=round(uniform(*a.spo2_sd), 2),
        heart_rate_sd=round(heart_rate_sd, 2), systolic_sd=round(uniform(*a.systolic_sd), 2),
        weight_sd=round(uniform(*a.weight_sd), 2),
    )
    return Patient(index=index, patient_id=patient_id(index), programme=programme, usual=usual,
                   adherence=round(uniform(*a.adherence), 3), twice_daily=rng.random() < a.twice_daily_share,
                   habit=habit, yellow_day=round(yellow_day, 3), traits=tuple(traits))
