"""Injected deteriorations of documented shapes, and who gets one when.

Each episode has an onset, a shape (ramp up to full intensity, plateau, recovery) and a size:

* heart-failure weight gain: +2.3-3.2 kg over 2.5-3 days (ESC: more than 2 kg in 3 days), with
  breathlessness, more swelling, then orthopnoea in the questionnaire, and a faster pulse;
* COPD exacerbation: SpO2 4-6 points below baseline over 1-2 days (Clarke 2016: deteriorating SD
  >= 4 %), yellow symptom answers (breathless, more or discoloured sputum, more reliever) from the
  start and breathlessness at rest (red) near the bottom;
* fever: temperature up 1.5-2.5 °C within hours, for a day or two, pulse up about 10/min per °C;
* hypoglycaemia (diabetes): glucose down to 2.6-3.6 mmol/L for half a day to a day;
* cancer pain: the ESAS-r pain score up to 7-9 of 10 over half a day to a day and a half, for days (the
  plan's red: pain >= 7 two days running), tiredness up with it;
* low mood (mental health): the PHQ-9 total up to 14-19 over 3-5 days (GAD-7 up with it), and the
  patient answers in the app on the days it is at its worst, not only on the weekly day. Item 9 (thoughts
  of self-harm) stays "not at all": the simulator does not play that.

Onsets: ``recent`` (the default) puts every episode's peak in the last day of the simulated window,
because the platform only raises alerts on readings measured within 24 h of their arrival and the demo
publishes the whole window at once; a questionnaire answered once a day peaks earlier instead (pain
48-60 h before the end, so that its last two daily answers are on the plateau: two days of severe pain is
the plan's red; a low mood 26-40 h), its plateau lasting to the end; ``spread`` puts onsets anywhere
after the first third of the window (for offline evaluation at simulated times).
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from dho.domain.findings import Rule
from dho.domain.plans import Programme
from localcloud.simulator.cohort import SimPatient, TenantCohort


class Kind(StrEnum):
    HEART_FAILURE_WEIGHT_GAIN = "heart_failure_weight_gain"
    COPD_EXACERBATION = "copd_exacerbation"
    FEVER = "fever"
    HYPOGLYCAEMIA = "hypoglycaemia"
    CANCER_PAIN = "cancer_pain"
    LOW_MOOD = "low_mood"


class Onsets(StrEnum):
    RECENT = "recent"
    SPREAD = "spread"


UNIT = {Kind.HEART_FAILURE_WEIGHT_GAIN: "kg", Kind.COPD_EXACERBATION: "%", Kind.FEVER: "Cel",
        Kind.HYPOGLYCAEMIA: "mmol/L", Kind.CANCER_PAIN: "ESAS-r pain 0-10", Kind.LOW_MOOD: "PHQ-9 total 0-27"}
EXPECTED_RULES: dict[Kind, tuple[Rule, ...]] = {
    Kind.HEART_FAILURE_WEIGHT_GAIN: (Rule.WEIGHT_GAIN, Rule.SYMPTOMS),
    Kind.COPD_EXACERBATION: (Rule.SPO2_BAND, Rule.SPO2_BELOW_PERSONAL_MEAN, Rule.SYMPTOMS),
    Kind.FEVER: (Rule.TEMPERATURE_BAND,),
    Kind.HYPOGLYCAEMIA: (Rule.GLUCOSE_BAND,),
    Kind.CANCER_PAIN: (Rule.SYMPTOMS, Rule.QUESTIONNAIRE_TREND),
    Kind.LOW_MOOD: (Rule.SYMPTOMS, Rule.QUESTIONNAIRE_TREND),
}
_DESCRIBE = {
    Kind.HEART_FAILURE_WEIGHT_GAIN: "weight +{size:.1f} kg over {ramp_h:.0f} h",
    Kind.COPD_EXACERBATION: "SpO2 {size:.1f} points below baseline over {ramp_h:.0f} h",
    Kind.FEVER: "temperature +{size:.1f} °C within {ramp_h:.0f} h",
    Kind.HYPOGLYCAEMIA: "glucose down to {size:.1f} mmol/L within {ramp_h:.0f} h",
    Kind.CANCER_PAIN: "ESAS-r pain up to {size:.0f} of 10 over {ramp_h:.0f} h",
    Kind.LOW_MOOD: "PHQ-9 total up to {size:.0f} over {ramp_h:.0f} h",
}

# How long before the window's end a ``recent`` episode peaks (hours): daily answers need two days.
_RECENT_PEAK_HOURS = {Kind.CANCER_PAIN: (48.0, 60.0), Kind.LOW_MOOD: (26.0, 40.0)}
# A patient who feels this much worse answers the app on a day it does not ask (mental health: weekly).
ANSWERED_WHEN_WORSE = frozenset({Kind.LOW_MOOD})
WORSE_ENOUGH_TO_ANSWER = 0.5  # episode intensity


@dataclass(frozen=True, slots=True)
class Episode:
    """One deterioration. ``size`` is in ``UNIT[kind]``: kg gained, SpO2 points lost, °C of fever, the
    glucose level (mmol/L) reached, the pain score or the PHQ-9 total reached."""

    kind: Kind
    onset: datetime
    ramp: timedelta
    plateau: timedelta
    recovery: timedelta
    size: float

    @property
    def peak(self) -> datetime:
        return self.onset + self.ramp

    @property
    def end(self) -> datetime:
        return self.onset + self.ramp + self.plateau + self.recovery

    def intensity(self, at: datetime) -> float:
        """0 before onset and after the end, rising linearly to 1 at the peak, 1 on the plateau."""
        since = (at - self.onset).total_seconds()
        ramp, plateau, recovery = (d.total_seconds() for d in (self.ramp, self.plateau, self.recovery))
        if since <= 0 or since >= ramp + plateau + recovery:
            return 0.0
        if since < ramp:
            return since / ramp
        if since <= ramp + plateau:
            return 1.0
        return 1.0 - (since - ramp - plateau) / recovery

    def description(self) -> str:
        return _DESCRIBE[self.kind].format(size=self.size, ramp_h=self.ramp.total_seconds() / 3600)


def kinds_for(programme: Programme) -> tuple[Kind, ...]:
    return {
        Programme.HEART_FAILURE: (Kind.HEART_FAILURE_WEIGHT_GAIN,),
        Programme.COPD: (Kind.COPD_EXACERBATION, Kind.COPD_EXACERBATION, Kind.FEVER),
        Programme.COPD_HYPERCAPNIC: (Kind.COPD_EXACERBATION,),
        Programme.DIABETES: (Kind.HYPOGLYCAEMIA,),
        Programme.GENERIC: (Kind.FEVER,),
        Programme.CANCER: (Kind.CANCER_PAIN,),
        Programme.MENTAL_HEALTH: (Kind.LOW_MOOD,),
    }[programme]


def _shape(kind: Kind, rng: random.Random) -> tuple[timedelta, timedelta, timedelta, float]:
    def hours(low: float, high: float) -> timedelta:
        return timedelta(hours=rng.uniform(low, high))

    if kind is Kind.HEART_FAILURE_WEIGHT_GAIN:
        return hours(60, 72), hours(24, 48), hours(36, 60), round(rng.uniform(2.3, 3.2), 2)
    if kind is Kind.COPD_EXACERBATION:
        return hours(24, 48), hours(36, 72), hours(48, 72), round(rng.uniform(4.0, 6.0), 1)
    if kind is Kind.FEVER:
        return hours(4, 8), hours(18, 42), hours(8, 16), round(rng.uniform(1.5, 2.5), 1)
    if kind is Kind.CANCER_PAIN:
        return hours(12, 36), hours(60, 96), hours(24, 48), float(rng.randint(7, 9))
    if kind is Kind.LOW_MOOD:
        return hours(72, 120), hours(72, 168), hours(72, 120), float(rng.randint(14, 19))
    return hours(3, 6), hours(10, 20), hours(4, 8), round(rng.uniform(2.6, 3.6), 1)


def plan_episodes(cohort: TenantCohort, start: datetime, end: datetime, fraction: float, seed: int,
                  kinds: Sequence[Kind], onsets: Onsets) -> dict[str, Episode]:
    """Episodes by patient id: ``fraction`` of the patients eligible for each kind (at least one per kind
    when anyone is eligible and fraction > 0), chosen and shaped from the tenant's own seed."""
    rng = random.Random(f"{seed}:{cohort.tenant}:episodes")
    chosen: dict[str, tuple[SimPatient, Kind]] = {}
    for kind in dict.fromkeys(kinds):
        eligible = [p for p in cohort.patients
                    if p.patient_id not in chosen and kind in kinds_for(p.programme)
                    and _choose_kind(p, rng_for(seed, p)) is kind]
        count = min(len(eligible), math.ceil(fraction * len(eligible))) if fraction > 0 else 0
        for patient in rng.sample(eligible, count):
            chosen[patient.patient_id] = (patient, kind)
    episodes = {}
    for patient in cohort.patients:
        if patient.patient_id not in chosen:
            continue
        _, kind = chosen[patient.patient_id]
        ramp, plateau, recovery, size = _shape(kind, rng)
        if onsets is Onsets.RECENT:
            # the peak in the last day, the plateau lasting to the end of the window
            low, high = _RECENT_PEAK_HOURS.get(kind, (2.0, 20.0))
            peak = end - timedelta(hours=rng.uniform(low, min(high, plateau.total_seconds() / 3600)))
            onset = max(start, peak - ramp)
        else:
            earliest = start + (end - start) / 3
            latest = max(earliest, end - ramp - timedelta(hours=12))
            onset = earliest + (latest - earliest) * rng.random()
        episodes[patient.patient_id] = Episode(kind, onset, ramp, plateau, recovery, size)
    return episodes


def rng_for(seed: int, patient: SimPatient) -> random.Random:
    return random.Random(f"{seed}:{patient.rng_key}:kind")


def _choose_kind(patient: SimPatient, rng: random.Random) -> Kind:
    """Which deterioration this patient would have (COPD: two exacerbations to one fever)."""
    return rng.choice(kinds_for(patient.programme))


def episode_record(patient: SimPatient, episode: Episode, window_end: datetime) -> dict[str, Any]:
    return {
        "tenant": patient.tenant,
        "patient_id": patient.patient_id,
        "programme": patient.programme.value,
        "kind": episode.kind.value,
        "description": episode.description(),
        "onset": episode.onset.isoformat(timespec="seconds"),
        "peak": episode.peak.isoformat(timespec="seconds"),
        "plateau_end": (episode.peak + episode.plateau).isoformat(timespec="seconds"),
        "end": episode.end.isoformat(timespec="seconds"),
        "size": episode.size,
        "unit": UNIT[episode.kind],
        "active_at_window_end": episode.intensity(window_end) > 0,
        "expected_rules": [rule.value for rule in EXPECTED_RULES[episode.kind]],
        "devices": [d.device_id for d in patient.devices],
    }
