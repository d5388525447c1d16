"""The vital signs a home device can measure: canonical UCUM unit, accepted aliases, plausible range.

Values are converted to the canonical unit on the way in, so everything downstream (timeline,
scoring, FHIR export) sees one unit per metric.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum


class Metric(StrEnum):
    SPO2 = "spo2"
    HEART_RATE = "heart_rate"
    RESPIRATORY_RATE = "respiratory_rate"
    SYSTOLIC_BP = "systolic_bp"
    DIASTOLIC_BP = "diastolic_bp"
    BODY_WEIGHT = "body_weight"
    BODY_TEMPERATURE = "body_temperature"
    BLOOD_GLUCOSE = "blood_glucose"


def _same(value: float) -> float:
    return value


def _pounds_to_kg(value: float) -> float:
    return value * 0.45359237  # international avoirdupois pound, exact


def _grams_to_kg(value: float) -> float:
    return value / 1000.0


def _fahrenheit_to_celsius(value: float) -> float:
    return (value - 32.0) * 5.0 / 9.0


def _glucose_mg_dl_to_mmol_l(value: float) -> float:
    return value / 18.016  # glucose 180.16 g/mol: 1 mmol/L = 18.016 mg/dL


def _kpa_to_mmhg(value: float) -> float:
    return value * 7.500615758


Conversion = Callable[[float], float]


@dataclass(frozen=True, slots=True)
class MetricSpec:
    metric: Metric
    canonical_unit: str
    conversions: Mapping[str, Conversion]
    plausible_min: float
    plausible_max: float
    decimals: int

    def to_canonical(self, value: float, unit: str) -> float | None:
        """The value in the canonical unit, or None if ``unit`` is not one we know for this metric."""
        convert = self.conversions.get(unit.strip())
        if convert is None:
            convert = self.conversions.get(unit.strip().lower())
        return None if convert is None else round(convert(value), self.decimals)

    def is_plausible(self, canonical_value: float) -> bool:
        return self.plausible_min <= canonical_value <= self.plausible_max


_PER_MINUTE = {"/min": _same, "1/min": _same, "bpm": _same, "beats/min": _same, "breaths/min": _same}
_MM_HG = {"mm[Hg]": _same, "mmhg": _same, "mm hg": _same, "kpa": _kpa_to_mmhg}

# Plausible ranges are what a living person at home can show, wide on purpose: they catch device
# faults and unit mix-ups, not clinical abnormality (that is the scoring engine's job).
METRIC_SPECS: dict[Metric, MetricSpec] = {
    spec.metric: spec
    for spec in (
        MetricSpec(Metric.SPO2, "%", {"%": _same, "percent": _same}, 50, 100, 1),
        MetricSpec(Metric.HEART_RATE, "/min", _PER_MINUTE, 20, 300, 1),
        MetricSpec(Metric.RESPIRATORY_RATE, "/min", _PER_MINUTE, 3, 80, 1),
        MetricSpec(Metric.SYSTOLIC_BP, "mm[Hg]", _MM_HG, 40, 300, 1),
        MetricSpec(Metric.DIASTOLIC_BP, "mm[Hg]", _MM_HG, 20, 200, 1),
        MetricSpec(
            Metric.BODY_WEIGHT,
            "kg",
            {"kg": _same, "g": _grams_to_kg, "[lb_av]": _pounds_to_kg, "lb": _pounds_to_kg,
             "lbs": _pounds_to_kg},
            20, 400, 2,
        ),
        MetricSpec(
            Metric.BODY_TEMPERATURE,
            "Cel",
            {"Cel": _same, "cel": _same, "°c": _same, "c": _same, "degc": _same,
             "[degF]": _fahrenheit_to_celsius, "[degf]": _fahrenheit_to_celsius,
             "°f": _fahrenheit_to_celsius, "f": _fahrenheit_to_celsius, "degf": _fahrenheit_to_celsius},
            25, 45, 2,
        ),
        MetricSpec(
            Metric.BLOOD_GLUCOSE,
            "mmol/L",
            {"mmol/L": _same, "mmol/l": _same, "mg/dL": _glucose_mg_dl_to_mmol_l,
             "mg/dl": _glucose_mg_dl_to_mmol_l},
            # What a glucometer can read: it shows HI above 33.3 mmol/L (600 mg/dL). A number above that
            # is a fault or a mg/dL value sent as mmol/L (54 "mmol/L" would be 3.0, a hypo).
            0.5, 33.3, 2,
        ),
    )
}

# Metrics a device reports only together (one cuff inflation gives both pressures).
PANELS: tuple[frozenset[Metric], ...] = (frozenset({Metric.SYSTOLIC_BP, Metric.DIASTOLIC_BP}),)
