"""Events (the ground truth) and minor colds (not events), each with its shape over time.

An event has a prodrome (changes building from ``prodrome_start`` to ``onset``), the onset (the day the
exacerbation or decompensation is clinically recognised: treatment starts, or admission), possibly a
hospital stay without readings, and a recovery that ends on a new baseline.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from dho.domain.plans import Programme
from evaluation.assumptions import CohortAssumptions

DAY = timedelta(days=1)


class EventKind(StrEnum):
    COPD_EXACERBATION = "copd_exacerbation"
    HF_DECOMPENSATION = "heart_failure_decompensation"


@dataclass(frozen=True, slots=True)
class Event:
    kind: EventKind
    prodrome_start: datetime
    onset: datetime
    admitted_until: datetime | None  # no readings in [onset, admitted_until)
    recovery_start: datetime
    recovery_end: datetime
    spo2_drop: float
    heart_rate_rise: float
    weight_gain: float
    temperature_rise: float
    symptomatic: bool
    new_spo2_shift: float  # the baseline after recovery, relative to before
    new_heart_rate_shift: float
    new_weight_shift: float

    def intensity(self, at: datetime) -> float:
        """0 before the prodrome, rising linearly to 1 at onset, 1 until recovery starts (at the residual
        level the stay left after an admission), then down to 0 at the end of recovery."""
        if at < self.prodrome_start or at >= self.recovery_end:
            return 0.0
        if at < self.onset:
            return (at - self.prodrome_start) / (self.onset - self.prodrome_start)
        start_level = 1.0 if self.admitted_until is None else self._residual_after_stay
        if at < self.recovery_start:
            return start_level
        return start_level * (1.0 - (at - self.recovery_start) / (self.recovery_end - self.recovery_start))

    @property
    def _residual_after_stay(self) -> float:
        # a COPD patient comes home still recovering; a heart-failure patient comes home diuresed
        return 0.5 if self.kind is EventKind.COPD_EXACERBATION else 0.0

    def new_baseline_share(self, at: datetime) -> float:
        """How much of the new baseline applies: 0 before recovery, 1 once it is over."""
        if at <= self.recovery_start:
            return 0.0
        return min(1.0, (at - self.recovery_start) / (self.recovery_end - self.recovery_start))

    def admitted(self, at: datetime) -> bool:
        return self.admitted_until is not None and self.onset <= at < self.admitted_until

    def record(self, patient_id: str, programme: Programme) -> dict[str, Any]:
        def iso(value: datetime | None) -> str | None:
            return None if value is None else value.isoformat(timespec="seconds")

        return {"patient_id": patient_id, "programme": programme.value, "kind": self.kind.value,
                "onset": iso(self.onset), "prodrome_start": iso(self.prodrome_start),
                "admitted_until": iso(self.admitted_until), "recovery_start": iso(self.recovery_start),
                "recovery_end": iso(self.recovery_end),
                "spo2_drop": self.spo2_drop, "heart_rate_rise": self.heart_rate_rise,
                "weight_gain": self.weight_gain, "symptomatic": self.symptomatic}


@dataclass(frozen=True, slots=True)
class Cold:
    start: datetime
    end: datetime
    fever: bool

    def intensity(self, at: datetime) -> float:
        """A triangle: up to 1 at mid-course and down again."""
        if not self.start <= at < self.end:
            return 0.0
        half = (self.end - self.start) / 2
        return 1.0 - abs((at - self.start) - half) / half


def _poisson_times(rng: random.Random, rate_per_day: float, first: float, last: float) -> list[float]:
    times: list[float] = []
    t = first
    while rate_per_day > 0:
        t += rng.expovariate(rate_per_day)
        if t >= last:
            return times
        times.append(t)
    return times


def plan_events(programme: Programme, start: datetime, days: int, rng: random.Random,
                a: CohortAssumptions) -> list[Event]:
    """Onsets as a Poisson process at the patient's own rate (a gamma draw around the programme's), no
    onset in the run-in and at least ``min_days_between_events`` between onsets."""
    yearly = {Programme.COPD: a.copd_exacerbations_per_year,
              Programme.COPD_HYPERCAPNIC: a.hypercapnic_exacerbations_per_year,
              Programme.HEART_FAILURE: a.hf_decompensations_per_year}.get(programme, 0.0)
    shape = a.rate_heterogeneity_shape
    own_rate = rng.gammavariate(shape, yearly / shape) / 365.0 if yearly > 0 else 0.0
    events: list[Event] = []
    last_onset = -math.inf
    for day in _poisson_times(rng, own_rate, float(a.run_in_days), float(days)):
        if day - last_onset < a.min_days_between_events:
            continue
        last_onset = day
        events.append(_shape(programme, start + timedelta(days=day), rng, a))
    return events


def _shape(programme: Programme, onset: datetime, rng: random.Random, a: CohortAssumptions) -> Event:
    uniform = rng.uniform
    symptomatic = rng.random() >= a.symptom_silent_event_share
    if programme is Programme.HEART_FAILURE:
        low, high = a.hf_weight_gain_kg
        gain = min(high, max(low, rng.lognormvariate(math.log(a.hf_weight_gain_median_kg), 0.45)))
        admitted = rng.random() < a.hf_admitted_share
        stay = uniform(*a.hf_stay_days) * DAY if admitted else None
        recovery_start = onset + (stay if stay else uniform(1, 3) * DAY)
        return Event(
            kind=EventKind.HF_DECOMPENSATION, prodrome_start=onset - uniform(*a.hf_prodrome_days) * DAY,
            onset=onset, admitted_until=onset + stay if stay else None, recovery_start=recovery_start,
            recovery_end=recovery_start + uniform(*a.hf_recovery_days) * DAY, spo2_drop=round(uniform(0.0, 1.5), 1),
            heart_rate_rise=round(uniform(*a.hf_heart_rate_rise), 1), weight_gain=round(gain, 2),
            temperature_rise=0.0, symptomatic=symptomatic, new_spo2_shift=0.0, new_heart_rate_shift=0.0,
            new_weight_shift=round(uniform(*a.hf_new_dry_weight_shift) if admitted else uniform(-1.0, 0.0), 2),
        )
    damp = 1 / 3 if rng.random() < a.physiology_silent_share else 1.0
    admitted = rng.random() < a.copd_admitted_share
    stay = uniform(*a.copd_stay_days) * DAY if admitted else None
    recovery_start = onset + (stay if stay else uniform(1, 3) * DAY)
    return Event(
        kind=EventKind.COPD_EXACERBATION, prodrome_start=onset - uniform(*a.copd_prodrome_days) * DAY, onset=onset,
        admitted_until=onset + stay if stay else None, recovery_start=recovery_start,
        recovery_end=recovery_start + uniform(*a.copd_recovery_days) * DAY,
        spo2_drop=round(damp * uniform(*a.copd_spo2_drop), 1),
        heart_rate_rise=round(damp * uniform(*a.copd_heart_rate_rise), 1), weight_gain=0.0,
        temperature_rise=round(damp * uniform(*a.copd_temperature_rise), 2), symptomatic=symptomatic,
        new_spo2_shift=round(uniform(*a.copd_new_spo2_shift), 1),
        new_heart_rate_shift=round(uniform(*a.copd_new_heart_rate_shift), 1), new_weight_shift=0.0,
    )


def plan_colds(start: datetime, days: int, rng: random.Random, a: CohortAssumptions) -> list[Cold]:
    colds = []
    for day in _poisson_times(rng, a.cold_rate_per_year / 365.0, -5.0, float(days)):
        begin = start + timedelta(days=day)
        colds.append(Cold(begin, begin + uniform_days(rng, a.cold_days), rng.random() < a.cold_fever_share))
    return colds


def uniform_days(rng: random.Random, bounds: tuple[float, float]) -> timedelta:
    return rng.uniform(*bounds) * DAY
