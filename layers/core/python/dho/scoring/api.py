"""Typed public API of the scoring kernels: bands, NEWS2, trends, the heart-failure weight rule.

Importing this module compiles the numba kernels eagerly (a few seconds), so a Lambda function
pays it during init (SnapStart snapshot), never on its first request.

Usage::

    readings = ReadingArrays.from_columns(patient, metric, time, value).sort_and_index()
    bands = classify_bands(readings, limits)          # per reading, sorted order
    result = trends(readings, TrendParams(), sigma=per_series(n, {Metric.SPO2: 2.0}))
    score = news2(readings, eval_time=now, window_h=1.0, spo2_scale=scales)

Per-reading outputs are in sorted order; ``readings.to_input_order(x)`` maps them back.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dho.scoring.arrays import ReadingArrays, SortedReadings, per_series
from dho.scoring.bands import classify_bands_kernel
from dho.scoring.codes import (
    N_CODES,
    NEWS2_SOURCE_CODES,
    Acvpu,
    Metric,
    News2Band,
    News2Param,
    Observation,
    Spo2Scale,
)
from dho.scoring.news2 import news2_kernel
from dho.scoring.trend_params import HEART_FAILURE_WINDOW_H, TrendParams
from dho.scoring.trends import SECONDS_PER_HOUR, slope_and_change_kernel, trend_kernel

__all__ = [
    "BandLimits",
    "News2Result",
    "ReadingArrays",
    "SortedReadings",
    "TrendParams",
    "TrendResult",
    "band_trend_pipeline",
    "classify_bands",
    "news2",
    "per_series",
    "trends",
    "weight_gain_alerts",
]

F64 = NDArray[np.float64]

# ESC heart-failure patient guidance: weight up more than 2 kg in 3 days -> contact the nurse (window: trend_params).
HEART_FAILURE_WEIGHT_GAIN_KG = 2.0


def _per_series_array(x: float | ArrayLike, n_series: int, name: str) -> F64:
    """Writeable contiguous float64 array of length n_series (the kernels' signature) from x."""
    arr = np.asarray(x, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(n_series, float(arr))
    if arr.shape != (n_series,):
        raise ValueError(f"{name} must be a scalar or have one entry per series ({n_series})")
    return np.require(arr, requirements=["C", "W"])


def _per_patient_array(x: float | ArrayLike, n_patients: int, dtype: type[np.generic], name: str) -> NDArray[Any]:
    arr = np.asarray(x)
    if arr.ndim == 0:
        return np.full(n_patients, arr, dtype=dtype)
    if arr.shape != (n_patients,):
        raise ValueError(f"{name} must be a scalar or have one entry per patient ({n_patients})")
    return np.require(arr.astype(dtype, copy=False), requirements=["C", "W"])


# --- bands -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BandLimits:
    """Absolute personal limits per series (length n_series; NaN = no limit on that side).

    Edges: ``value < red_low`` or ``> red_high`` is red, else ``< yellow_low`` or ``> yellow_high``
    is yellow, else green: a value exactly on a limit gets the milder band. Limits relative to a
    personal baseline are converted here (``relative_to_baseline``) so the kernel sees only
    absolute limits; combine plan limits with ``tightest``.
    """

    red_low: F64
    yellow_low: F64
    yellow_high: F64
    red_high: F64

    @classmethod
    def none(cls, n_series: int) -> BandLimits:
        """No limits anywhere (every reading green); fill in with ``set``."""
        return cls(*(np.full(n_series, np.nan) for _ in range(4)))

    @classmethod
    def relative_to_baseline(
        cls,
        baseline: ArrayLike,
        *,
        red_below: float = math.nan,
        yellow_below: float = math.nan,
        yellow_above: float = math.nan,
        red_above: float = math.nan,
    ) -> BandLimits:
        """Limits at baseline - below / baseline + above (per series baseline; NaN = no limit).

        E.g. SpO2 yellow 3 points below the personal baseline: ``yellow_below=3``.
        """
        b = np.asarray(baseline, dtype=np.float64)
        return cls(b - red_below, b - yellow_below, b + yellow_above, b + red_above)

    def set(
        self,
        series: int,
        *,
        red_low: float = math.nan,
        yellow_low: float = math.nan,
        yellow_high: float = math.nan,
        red_high: float = math.nan,
    ) -> None:
        """Set the four limits of one series (index from ``SortedReadings.series_index``)."""
        self.red_low[series] = red_low
        self.yellow_low[series] = yellow_low
        self.yellow_high[series] = yellow_high
        self.red_high[series] = red_high

    def tightest(self, other: BandLimits) -> BandLimits:
        """Per side the stricter limit of the two (a NaN limit yields to a defined one).

        "Yellow below baseline - 3 or below 92" = ``relative.tightest(absolute)``.
        """
        return BandLimits(
            np.fmax(self.red_low, other.red_low),
            np.fmax(self.yellow_low, other.yellow_low),
            np.fmin(self.yellow_high, other.yellow_high),
            np.fmin(self.red_high, other.red_high),
        )

    def validated(self, n_series: int) -> tuple[F64, F64, F64, F64]:
        """Contiguous float64 arrays of length n_series; rejects limits out of order."""
        arrays = tuple(_per_series_array(a, n_series, "band limit") for a in self._as_tuple())
        rl, yl, yh, rh = arrays
        with np.errstate(invalid="ignore"):
            ordered = [(rl, yl), (yl, yh), (yh, rh), (rl, yh), (yl, rh), (rl, rh)]
            if any(bool((lo > hi).any()) for lo, hi in ordered):
                raise ValueError("band limits must satisfy red_low <= yellow_low <= yellow_high <= red_high")
        return rl, yl, yh, rh

    def _as_tuple(self) -> tuple[F64, F64, F64, F64]:
        return self.red_low, self.yellow_low, self.yellow_high, self.red_high


def classify_bands(readings: SortedReadings, limits: BandLimits) -> NDArray[np.int8]:
    """``Band`` code (0 green, 1 yellow, 2 red) per reading, in sorted order."""
    rl, yl, yh, rh = limits.validated(readings.n_series)
    bands = np.empty(readings.value.size, dtype=np.int8)  # NumPy allocation: see ``trends``
    classify_bands_kernel(readings.offsets, readings.value, rl, yl, yh, rh, bands)
    return bands


# --- trends ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrendResult:
    """Per-reading trend outputs in sorted order (units: the metric's unit unless stated)."""

    ewma: F64  # baseline after the reading
    residual: F64  # value - baseline before it; NaN for a series' first reading
    cusum_up: F64  # SD units; NaN where sigma is unknown
    cusum_down: F64  # SD units; NaN where sigma is unknown
    slope_per_day: F64  # least squares over change_window_h; NaN with < 2 readings
    change: F64  # latest - earliest within change_window_h; NaN with 1 reading
    below_rolling_mean: NDArray[np.bool_] = field(repr=False)


def trends(
    readings: SortedReadings, params: TrendParams | None = None, sigma: float | ArrayLike = math.nan
) -> TrendResult:
    """EWMA/residual, CUSUM, slope, change and the rolling-mean rule for every reading.

    ``sigma``: per-series residual SD in the metric's unit (scalar or length n_series), e.g. from the
    plan or the patient's stable history (Clarke 2016: stable SpO2 <= 2 %). NaN = no CUSUM.
    """
    p = params or TrendParams()
    sg = _per_series_array(sigma, readings.n_series, "sigma")
    n = readings.value.size
    # Outputs allocated by NumPy and filled in place: NumPy advises transparent huge pages for large
    # arrays, and one (6, n) block faults in far fewer pages than six arrays (page faults cost more
    # than the arithmetic at n = 1e6). The rows are independent C-contiguous float64 arrays.
    block = np.empty((6, n), dtype=np.float64)
    outputs = (*block, np.empty(n, dtype=np.bool_))
    trend_kernel(
        readings.offsets,
        readings.time,
        readings.value,
        sg,
        p.half_life_h,
        p.cusum_k,
        p.change_window_h * SECONDS_PER_HOUR,
        p.rolling_window_h * SECONDS_PER_HOUR,
        p.rolling_k,
        p.rolling_min_prior,
        p.rolling_sd_floor,
        *outputs,
    )
    return TrendResult(*outputs)


def band_trend_pipeline(
    readings: SortedReadings,
    limits: BandLimits,
    params: TrendParams | None = None,
    sigma: float | ArrayLike = math.nan,
) -> tuple[NDArray[np.int8], TrendResult]:
    """Bands and trends of every reading (the benchmarked pipeline, see bench/README.md)."""
    return classify_bands(readings, limits), trends(readings, params, sigma)


def weight_gain_alerts(
    readings: SortedReadings,
    threshold_kg: float = HEART_FAILURE_WEIGHT_GAIN_KG,
    window_h: float = HEART_FAILURE_WINDOW_H,
) -> NDArray[np.bool_]:
    """Heart-failure rule per reading: body weight up by more than threshold_kg within window_h.

    Uses the change (latest - earliest weight in the trailing window, lower edge inclusive), which
    is how patients are taught the rule ("compare with 3 days ago"). The least-squares slope x 3
    days is smoother but lags a step change; show it as the trend, do not alert on it. Only
    BODY_WEIGHT readings can be True. Consider window_h a little over 72 (e.g. 74) when weights
    are taken at slightly varying clock times.
    """
    _, change = slope_and_change_kernel(readings.offsets, readings.time, readings.value, window_h * SECONDS_PER_HOUR)
    is_weight = readings.code_of_reading() == Metric.BODY_WEIGHT
    alerts: NDArray[np.bool_] = is_weight & (change > threshold_kg)
    return alerts


# --- NEWS2 -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class News2Result:
    """NEWS2 per patient. Sub-scores are in ``News2Param`` order; -1 = missing."""

    subscores: NDArray[np.int8]  # shape (n_patients, 7)
    total: NDArray[np.int16]  # sum of the present sub-scores (a partial score if any is missing)
    present: NDArray[np.uint8]  # bit News2Param.X set when that parameter was scored
    any_three: NDArray[np.bool_]  # a single parameter scored 3
    band: NDArray[np.int8]  # News2Band code

    def is_present(self, patient: int, param: News2Param) -> bool:
        return bool(self.present[patient] >> param & 1)

    def band_of(self, patient: int) -> News2Band:
        return News2Band(int(self.band[patient]))


_VALID_ACVPU = np.array([c.value for c in Acvpu], dtype=np.float64)


def news2(
    readings: SortedReadings,
    eval_time: float | ArrayLike,
    window_h: float,
    spo2_scale: int | ArrayLike = Spo2Scale.SCALE_1,
) -> News2Result:
    """NEWS2 of every patient from the latest reading of each parameter in [eval_time - window, eval_time].

    Parameters come from the codes in ``NEWS2_SOURCE_CODES`` (SUPPLEMENTAL_OXYGEN: 0 air / 1 oxygen;
    CONSCIOUSNESS: an ``Acvpu`` code). ``spo2_scale`` per patient (1 or 2) comes from the plan.
    Raises ``ValueError`` for an unknown consciousness code, an oxygen value other than 0/1, or a
    scale other than 1/2. Edges and conventions: ``dho.scoring.news2``.
    """
    if readings.n_codes != N_CODES:
        raise ValueError("readings must use the dho.scoring code space")
    if not (window_h >= 0 and math.isfinite(window_h)):
        raise ValueError("window_h must be a finite number of hours >= 0")
    n_p = readings.n_patients
    eval_t = _per_patient_array(eval_time, n_p, np.float64, "eval_time")
    if not np.isfinite(eval_t).all():
        raise ValueError("eval_time must be finite")
    scale = _per_patient_array(spo2_scale, n_p, np.int64, "spo2_scale")
    if not np.isin(scale, [Spo2Scale.SCALE_1, Spo2Scale.SCALE_2]).all():
        raise ValueError("spo2_scale must be 1 or 2 for every patient")
    scale = scale.astype(np.int8)
    codes = readings.code_of_reading()
    acvpu = readings.value[codes == Observation.CONSCIOUSNESS]
    if not np.isin(acvpu, _VALID_ACVPU).all():
        bad = sorted(set(acvpu[~np.isin(acvpu, _VALID_ACVPU)].tolist()))
        raise ValueError(f"unknown consciousness (ACVPU) code(s): {bad}")
    oxygen = readings.value[codes == Observation.SUPPLEMENTAL_OXYGEN]
    if not np.isin(oxygen, [0.0, 1.0]).all():
        raise ValueError("supplemental oxygen readings must be 0 (air) or 1 (oxygen)")
    source = np.asarray(NEWS2_SOURCE_CODES, dtype=np.int64)
    sub, total, present, any_three, band = news2_kernel(
        readings.offsets,
        readings.time,
        readings.value,
        N_CODES,
        source,
        eval_t,
        window_h * SECONDS_PER_HOUR,
        scale,
    )
    return News2Result(sub, total, present, any_three, band)
