"""Two simple alerting rules computed straight from the readings, to compare the engine with.

Both fire on one reading (no confirmation), at the reading's arrival time, and keep each rule quiet for
24 h (by measured time) after it fired for the patient: at most one alert per rule and patient a day.
Their alerts have the shape of the replay's ``alerts.jsonl`` ``opened`` lines, so one set of metrics
scores all three.

* Fixed thresholds: SpO2 < 90 % (< 88 % in hypercapnic COPD, the bottom of their 88-92 % target: a
  nurse would not page a patient for their usual value), pulse > 110 or < 45, weight more than 2 kg
  above the lowest weight of the preceding 72 h, temperature > 38.0 °C.
* Personal baseline: the median of the patient's own first 14 days of each metric (at least 5 readings;
  no alert from that metric before): SpO2 3 points or more below it, pulse 15 or more above it; weight
  1.5 kg or more above the median of the patient's weights in the preceding 7 days (at least 3): a
  rolling reference, because weight drifts.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from dho.domain.metrics import Metric
from evaluation.readings import Reading

Alert = dict[str, Any]
DAY = timedelta(days=1)


@dataclass(frozen=True)
class FixedThresholds:
    spo2_below: float = 90.0
    spo2_below_hypercapnic: float = 88.0
    heart_rate_above: float = 110.0
    heart_rate_below: float = 45.0
    weight_gain_kg: float = 2.0
    weight_gain_within: timedelta = timedelta(hours=72)
    temperature_above: float = 38.0
    refractory: timedelta = DAY


@dataclass(frozen=True)
class PersonalBaseline:
    run_in: timedelta = timedelta(days=14)
    min_run_in_readings: int = 5
    spo2_below_median: float = 3.0
    heart_rate_above_median: float = 15.0
    weight_window: timedelta = timedelta(days=7)
    min_window_weights: int = 3
    weight_above_window_median: float = 1.5
    refractory: timedelta = DAY


class _Refractory:
    """Fires a rule at most once per ``period`` per patient."""

    def __init__(self, engine: str, patient_id: str, period: timedelta, out: list[Alert]) -> None:
        self._engine, self._patient_id, self._period, self._out = engine, patient_id, period, out
        self._last: dict[str, datetime] = {}

    def fire(self, rule: str, reading: Reading) -> None:
        last = self._last.get(rule)
        if last is not None and reading.measured_at - last < self._period:
            return
        self._last[rule] = reading.measured_at
        self._out.append({"at": reading.received_at.isoformat(), "patient_id": self._patient_id,
                          "alert_id": f"{self._engine}:{self._patient_id}:{rule}:{len(self._out)}",
                          "rule": f"{self._engine}/{rule}", "severity": "red", "event": "opened"})


def fixed_threshold_alerts(series: dict[str, list[Reading]], programmes: dict[str, str],
                           rules: FixedThresholds = FixedThresholds()) -> list[Alert]:
    out: list[Alert] = []
    for patient_id, readings in series.items():
        refractory = _Refractory("fixed", patient_id, rules.refractory, out)
        spo2_limit = (rules.spo2_below_hypercapnic if programmes.get(patient_id) == "copd_hypercapnic"
                      else rules.spo2_below)
        weights: list[Reading] = []
        for reading in readings:
            value = reading.value
            if reading.metric is Metric.SPO2 and value < spo2_limit:
                refractory.fire("spo2", reading)
            elif reading.metric is Metric.HEART_RATE and (value > rules.heart_rate_above
                                                          or value < rules.heart_rate_below):
                refractory.fire("heart_rate", reading)
            elif reading.metric is Metric.BODY_TEMPERATURE and value > rules.temperature_above:
                refractory.fire("temperature", reading)
            elif reading.metric is Metric.BODY_WEIGHT:
                recent = [w.value for w in weights if reading.measured_at - w.measured_at <= rules.weight_gain_within]
                if recent and value - min(recent) > rules.weight_gain_kg:
                    refractory.fire("weight_gain", reading)
                weights.append(reading)
    return _in_arrival_order(out)


def personal_baseline_alerts(series: dict[str, list[Reading]],
                             rules: PersonalBaseline = PersonalBaseline()) -> list[Alert]:
    out: list[Alert] = []
    for patient_id, readings in series.items():
        refractory = _Refractory("personal", patient_id, rules.refractory, out)
        medians = {metric: _run_in_median(readings, metric, rules) for metric in (Metric.SPO2, Metric.HEART_RATE)}
        weights: list[Reading] = []
        for reading in readings:
            median = medians.get(reading.metric)
            run_in_over = median is not None and reading.measured_at >= median[0]
            if reading.metric is Metric.SPO2 and run_in_over and median is not None:
                if reading.value <= median[1] - rules.spo2_below_median:
                    refractory.fire("spo2", reading)
            elif reading.metric is Metric.HEART_RATE and run_in_over and median is not None:
                if reading.value >= median[1] + rules.heart_rate_above_median:
                    refractory.fire("heart_rate", reading)
            elif reading.metric is Metric.BODY_WEIGHT:
                window = [w.value for w in weights if reading.measured_at - w.measured_at <= rules.weight_window]
                if (len(window) >= rules.min_window_weights
                        and reading.value >= statistics.median(window) + rules.weight_above_window_median):
                    refractory.fire("weight", reading)
                weights.append(reading)
    return _in_arrival_order(out)


def _run_in_median(readings: Iterable[Reading], metric: Metric,
                   rules: PersonalBaseline) -> tuple[datetime, float] | None:
    """(end of the run-in, median of the run-in values), or None without enough run-in readings."""
    values = [r for r in readings if r.metric is metric]
    if not values:
        return None
    end = values[0].measured_at + rules.run_in
    run_in = [r.value for r in values if r.measured_at < end]
    if len(run_in) < rules.min_run_in_readings:
        return None
    return end, statistics.median(run_in)


def _in_arrival_order(alerts: list[Alert]) -> list[Alert]:
    return sorted(alerts, key=lambda alert: datetime.fromisoformat(alert["at"]))
