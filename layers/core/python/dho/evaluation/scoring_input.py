"""Patient windows → the scoring kernels' arrays (one dense patient index per window)."""

from __future__ import annotations

import math
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
    # The columns (patient index, code, time, value, reading id) filled reading by reading: this loop runs
    # once per reading of every window, so it does as little as it can (a series' code looked up once per
    # run of its entries, the limits set in lists and made arrays once).
    patients: list[int] = []
    codes: list[int] = []
    times: list[float] = []
    values: list[float] = []
    reading_ids: list[str] = []
    for index, window in enumerate(windows):
        latest_at, latest_id = -math.inf, None  # the newest SpO2
        series: str | None = None
        metric_code = 0
        for entry in window.entries:
            measured = entry.value
            if measured is not None:
                if entry.series is not series:
                    series = entry.series
                    metric_code = _code_of(series)
                at = entry.measured_at.timestamp()
                patients.append(index)
                codes.append(metric_code)
                times.append(at)
                values.append(measured)
                reading_ids.append(entry.reading_id)
                if metric_code == _SPO2 and at > latest_at:
                    latest_at, latest_id = at, entry.reading_id
            elif entry.answers:
                # NEWS2 consciousness at home comes from the symptom report: new confusion -> C.
                patients.append(index)
                codes.append(_CONSCIOUSNESS)
                times.append(entry.measured_at.timestamp())
                values.append(_NEW_CONFUSION if reports_new_confusion(entry.answers) else _ALERT)
                reading_ids.append(entry.reading_id)
        if latest_id is not None:
            # Air or oxygen is a property of the patient's plan (home oxygen therapy), stated with the SpO2.
            patients.append(index)
            codes.append(_SUPPLEMENTAL_OXYGEN)
            times.append(latest_at)
            values.append(float(window.plan.on_home_oxygen))
            reading_ids.append(latest_id)

    readings = ReadingArrays.from_columns(patients, codes, times, values).sort_and_index(n_patients=len(windows))
    columns = [[math.nan] * readings.n_series for _ in range(4)]
    red_low, yellow_low, yellow_high, red_high = columns
    for index, window in enumerate(windows):
        for metric_code, limits_of_metric in _plan_limits(window.plan):
            series_index = readings.series_index(index, metric_code)
            red_low[series_index], yellow_low[series_index], yellow_high[series_index], red_high[series_index] = (
                limits_of_metric)
    limits = BandLimits(*(np.array(column, dtype=np.float64) for column in columns))
    scale = np.array([w.plan.spo2_scale for w in windows], dtype=np.int64)
    return ScoringInput(readings, reading_ids, limits, scale)


def _plan_limits(plan: SelfManagementPlan) -> tuple[tuple[int, tuple[float, float, float, float]], ...]:
    """The plan's effective limits by metric code, worked out once per plan object (a plan is frozen)."""
    return derived(plan, "scoring_limits", lambda: tuple(
        (_code_of(DomainMetric(metric).value), metric_limits.effective())
        for metric, metric_limits in plan.limits.items()))
