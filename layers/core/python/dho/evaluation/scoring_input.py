"""Patient windows → the scoring kernels' arrays (one dense patient index per window)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np
from numpy.typing import NDArray

from dho.domain.derived import derived
from dho.domain.metrics import Metric as DomainMetric
from dho.domain.plans import SelfManagementPlan
from dho.domain.symptom_zones import reports_new_confusion
from dho.evaluation.windows import PatientWindow
from dho.scoring.api import BandLimits, ReadingArrays, SortedReadings
from dho.scoring.codes import Acvpu, Observation
from dho.scoring.codes import Metric as Code


@dataclass(frozen=True, slots=True)
class ScoringInput:
    readings: SortedReadings
    reading_ids: list[str]  # per input position; ``readings.order`` maps sorted -> input
    limits: BandLimits
    spo2_scale: NDArray[np.int64]

    def reading_id_at(self, sorted_index: int) -> str:
        return self.reading_ids[int(self.readings.order[sorted_index])]


# Plain ints and floats, looked up once (enum attribute access is slow in the per-reading loop).
_SPO2 = int(Code.SPO2)
_CONSCIOUSNESS = int(Observation.CONSCIOUSNESS)
_SUPPLEMENTAL_OXYGEN = int(Observation.SUPPLEMENTAL_OXYGEN)
_NEW_CONFUSION, _ALERT = float(Acvpu.NEW_CONFUSION), float(Acvpu.ALERT)


@cache
def _code_of(series: str) -> int:
    return int(Code.from_name(series))


def build_scoring_input(windows: Sequence[PatientWindow]) -> ScoringInput:
    # One tuple per reading (patient index, code, time, value, reading id), split into columns at the end:
    # this loop runs once per reading of every window, so it does as little as it can.
    rows: list[tuple[int, int, float, float, str]] = []
    add = rows.append
    for index, window in enumerate(windows):
        latest_spo2: tuple[float, str] | None = None
        for entry in window.entries:
            at = entry.measured_at.timestamp()
            measured = entry.value
            if measured is not None:
                metric_code = _code_of(entry.series)
                add((index, metric_code, at, measured, entry.reading_id))
                if metric_code == _SPO2 and (latest_spo2 is None or at > latest_spo2[0]):
                    latest_spo2 = (at, entry.reading_id)
            elif entry.answers:
                # NEWS2 consciousness at home comes from the symptom report: new confusion -> C.
                acvpu = _NEW_CONFUSION if reports_new_confusion(entry.answers) else _ALERT
                add((index, _CONSCIOUSNESS, at, acvpu, entry.reading_id))
        if latest_spo2 is not None:
            # Air or oxygen is a property of the patient's plan (home oxygen therapy), stated with the SpO2.
            add((index, _SUPPLEMENTAL_OXYGEN, latest_spo2[0], float(window.plan.on_home_oxygen), latest_spo2[1]))
    patient, code, time, value, ids = zip(*rows, strict=True) if rows else ((), (), (), (), ())
    reading_ids = list(ids)

    readings = ReadingArrays.from_columns(patient, code, time, value).sort_and_index(n_patients=len(windows))
    limits = BandLimits.none(readings.n_series)
    for index, window in enumerate(windows):
        for metric_code, (red_low, yellow_low, yellow_high, red_high) in _plan_limits(window.plan):
            limits.set(readings.series_index(index, metric_code),
                       red_low=red_low, yellow_low=yellow_low, yellow_high=yellow_high, red_high=red_high)
    scale = np.array([w.plan.spo2_scale for w in windows], dtype=np.int64)
    return ScoringInput(readings, reading_ids, limits, scale)


def _plan_limits(plan: SelfManagementPlan) -> tuple[tuple[int, tuple[float, float, float, float]], ...]:
    """The plan's effective limits by metric code, worked out once per plan object (a plan is frozen)."""
    return derived(plan, "scoring_limits", lambda: tuple(
        (_code_of(DomainMetric(metric).value), metric_limits.effective())
        for metric, metric_limits in plan.limits.items()))
