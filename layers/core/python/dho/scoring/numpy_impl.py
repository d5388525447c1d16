"""NumPy (vectorised, no numba) version of the indexing + band + trend pipeline.

The baseline the numba kernels are benchmarked against, and a second implementation tested equal
to ``reference``. Same inputs, outputs and conventions as the numba kernels; recurrences (EWMA,
CUSUM) run column by column across all series at once (position k of every series long enough),
windowed statistics lag by lag across all readings at once. Window sums are accumulated oldest
reading first, as in the reference, so results agree to rounding.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import NDArray

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


def sort_and_index(
    patient: NDArray[np.int32],
    code: NDArray[np.int8],
    time: F64,
    value: F64,
    n_patients: int,
    n_codes: int,
) -> tuple[I64, I64, F64, F64]:
    """(order, offsets, sorted time, sorted value), stable by (patient, code, time) via ``np.lexsort``."""
    key = patient.astype(np.int64) * n_codes + code
    d_key = np.diff(key)
    if bool((d_key >= 0).all()) and bool((np.diff(time)[d_key == 0] >= 0).all()):
        order = np.arange(time.size, dtype=np.int64)  # already sorted: no permutation
        sorted_time, sorted_value = time, value
    else:
        order = np.lexsort((time, key))
        key = key[order]
        sorted_time, sorted_value = time[order], value[order]
    offsets = np.zeros(n_patients * n_codes + 1, dtype=np.int64)
    np.cumsum(np.bincount(key, minlength=n_patients * n_codes), out=offsets[1:])
    return order, offsets, sorted_time, sorted_value


def _series_of_reading(offsets: I64) -> I64:
    return np.repeat(np.arange(offsets.size - 1, dtype=np.int64), np.diff(offsets))


def classify_bands(
    offsets: I64, value: F64, red_low: F64, yellow_low: F64, yellow_high: F64, red_high: F64
) -> NDArray[np.int8]:
    series = _series_of_reading(offsets)
    red = (value < red_low[series]) | (value > red_high[series])
    yellow = (value < yellow_low[series]) | (value > yellow_high[series])
    return np.where(red, np.int8(2), np.where(yellow, np.int8(1), np.int8(0))).astype(np.int8)


class _Columns:
    """Position k of every series with more than k readings, longest series first."""

    def __init__(self, offsets: I64) -> None:
        lengths = np.diff(offsets)
        by_length = np.argsort(-lengths, kind="stable")
        self.series = by_length[lengths[by_length] > 0]
        self.starts = offsets[:-1][self.series]
        self._neg_lengths = -lengths[self.series]  # ascending
        self.max_length = int(lengths.max()) if lengths.size else 0

    def positions(self, k: int) -> tuple[int, I64]:
        n_active = int(np.searchsorted(self._neg_lengths, -k, side="left"))
        return n_active, self.starts[:n_active] + k


def ewma(offsets: I64, time: F64, value: F64, half_life_h: float) -> tuple[F64, F64]:
    """Same as ``trends.ewma_kernel``."""
    lam = math.log(2.0) / (half_life_h * SECONDS_PER_HOUR)
    baseline = np.empty(value.size)
    residual = np.full(value.size, np.nan)
    cols = _Columns(offsets)
    m = value[cols.starts].copy()
    baseline[cols.starts] = m
    for k in range(1, cols.max_length):
        n_active, idx = cols.positions(k)
        alpha = -np.expm1(-(time[idx] - time[idx - 1]) * lam)
        r = value[idx] - m[:n_active]
        m[:n_active] = m[:n_active] + alpha * r
        baseline[idx] = m[:n_active]
        residual[idx] = r
    return baseline, residual


def cusum(offsets: I64, residual: F64, sigma: F64, k: float) -> tuple[F64, F64]:
    """Same as ``trends.cusum_kernel``."""
    up = np.empty(residual.size)
    down = np.empty(residual.size)
    cols = _Columns(offsets)
    sg = sigma[cols.series]
    su = np.zeros(cols.series.size)
    sd = np.zeros(cols.series.size)
    with np.errstate(divide="ignore", invalid="ignore"):
        for col in range(cols.max_length):
            n_active, idx = cols.positions(col)
            r = residual[idx]
            z = r / sg[:n_active]
            known = ~np.isnan(r)
            new_up = su[:n_active] + (z - k)
            new_down = sd[:n_active] - (z + k)
            su[:n_active] = np.where(known, np.where(new_up > 0.0, new_up, 0.0), su[:n_active])
            sd[:n_active] = np.where(known, np.where(new_down > 0.0, new_down, 0.0), sd[:n_active])
            up[idx] = su[:n_active]
            down[idx] = sd[:n_active]
    no_sigma = ~(sigma > 0.0)[_series_of_reading(offsets)]
    up[no_sigma] = np.nan
    down[no_sigma] = np.nan
    return up, down


class _Lags:
    """Per reading j, the number of earlier readings of its series with time >= time[j] - window_s.

    ``readings(lag)`` lists the readings having at least ``lag`` of them, so a loop over lags from
    the largest down to 0 adds window members oldest first.
    """

    def __init__(self, offsets: I64, time: F64, window_s: float) -> None:
        n = time.size
        position = np.arange(n, dtype=np.int64) - np.repeat(offsets[:-1], np.diff(offsets))
        edge = time - window_s
        self.count = np.zeros(n, dtype=np.int64)
        active = np.arange(n, dtype=np.int64)
        lag = 1
        while active.size:
            active = active[position[active] >= lag]
            active = active[time[active - lag] >= edge[active]]  # times ascend: later lags only shrink
            self.count[active] += 1
            lag += 1
        self._by_count = np.argsort(-self.count, kind="stable")
        self._neg_sorted = -self.count[self._by_count]  # ascending
        self.max_count = int(self.count.max()) if n else 0

    def readings(self, lag: int) -> I64:
        n_sel = int(np.searchsorted(self._neg_sorted, -lag, side="right"))
        return self._by_count[:n_sel]


def slope_and_change(offsets: I64, time: F64, value: F64, window_s: float) -> tuple[F64, F64]:
    """Same as ``trends.slope_and_change_kernel``."""
    lags = _Lags(offsets, time, window_s)
    c = lags.count + 1  # the window includes reading j (which adds dt = dx = 0)
    s_t, s_x, s_tt, s_tx = (np.zeros(time.size) for _ in range(4))
    for lag in range(lags.max_count, 0, -1):
        j = lags.readings(lag)
        dt = time[j - lag] - time[j]
        dx = value[j - lag] - value[j]
        s_t[j] += dt
        s_x[j] += dx
        s_tt[j] += dt * dt
        s_tx[j] += dt * dx
    sxx = s_tt - s_t * s_t / c
    with np.errstate(divide="ignore", invalid="ignore"):
        slope = np.where(sxx > 0.0, (s_tx - s_t * s_x / c) / sxx * SECONDS_PER_DAY, np.nan)
    change = np.where(c >= 2, value - value[np.arange(time.size) - lags.count], np.nan)
    return slope, change


def below_rolling_mean(
    offsets: I64, time: F64, value: F64, window_s: float, k: float, min_prior: int, sd_floor: float
) -> NDArray[np.bool_]:
    """Same as ``trends.below_rolling_mean_kernel``."""
    lags = _Lags(offsets, time, window_s)
    c = lags.count
    s_d = np.zeros(time.size)
    s_dd = np.zeros(time.size)
    for lag in range(lags.max_count, 0, -1):
        j = lags.readings(lag)
        d = value[j - lag] - value[j]
        s_d[j] += d
        s_dd[j] += d * d
    with np.errstate(divide="ignore", invalid="ignore"):
        var = (s_dd - s_d * s_d / c) / (c - 1)
        sd = np.where(var > 0.0, np.sqrt(np.where(var > 0.0, var, 0.0)), 0.0)
        sd = np.where(sd < sd_floor, sd_floor, sd)
        result: NDArray[np.bool_] = (c >= min_prior) & (s_d / c - k * sd > 0.0)
    return result


def band_trend_pipeline(
    offsets: I64,
    time: F64,
    value: F64,
    limits: tuple[F64, F64, F64, F64],
    sigma: F64,
    half_life_h: float,
    cusum_k: float,
    change_window_s: float,
    rolling_window_s: float,
    rolling_k: float,
    rolling_min_prior: int,
    rolling_sd_floor: float,
) -> dict[str, NDArray[np.generic]]:
    """All per-reading outputs of the pipeline (see bench/README.md) on sorted, indexed arrays."""
    band = classify_bands(offsets, value, *limits)
    baseline, residual = ewma(offsets, time, value, half_life_h)
    up, down = cusum(offsets, residual, sigma, cusum_k)
    slope, change = slope_and_change(offsets, time, value, change_window_s)
    below = below_rolling_mean(offsets, time, value, rolling_window_s, rolling_k, rolling_min_prior, rolling_sd_floor)
    return {
        "band": band,
        "ewma": baseline,
        "residual": residual,
        "cusum_up": up,
        "cusum_down": down,
        "slope_per_day": slope,
        "change": change,
        "below_rolling_mean": below,
    }
