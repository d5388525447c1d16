"""Numba kernels: per-series trends on CSR arrays (readings sorted by series, then time).

``trend_kernel`` computes every trend output in one pass (what ``dho.scoring.api.trends`` runs);
``slope_and_change_kernel`` computes only slope and change (the heart-failure weight rule).
Definitions (all in ``reference.py``, the plain-Python definition these are tested against):

* EWMA: time-aware, ``alpha = 1 - exp(-dt * ln 2 / half_life)`` (as ``-expm1``), dt = time since
  the previous reading, so old readings weigh half as much every half-life however irregular the
  sampling. The first reading starts the baseline; residual = value - EWMA *before* the reading
  (NaN for the first reading).
* CUSUM, one-sided both ways, in SD units: ``z = residual / sigma`` (sigma per series, the metric's
  unit); ``up = max(0, up + (z - k))``, ``down = max(0, down - (z + k))``; never reset (the alert
  layer deduplicates); NaN for a series whose sigma is NaN or <= 0. The alarm level h (SD units)
  is applied by the caller: ``up > h``.
* Slope: least squares over the change window (including j), units per day; times and values are
  taken relative to reading j (dt, dx), which keeps epoch seconds well conditioned and allows one
  pass: ``(S(dt dx) - S(dt) S(dx)/c) / (S(dt^2) - S(dt)^2/c) * 86400``; NaN with < 2 readings or
  all at one time. Change: value[j] - earliest value in the window; NaN with 1 reading.
* Below rolling mean: over the *prior* readings in the rolling window (at least min_prior >= 2),
  ``value[j] < mean - k * max(SD, sd_floor)``, SD the sample SD (n - 1); evaluated on
  d = value[i] - value[j] as ``S(d)/c - k*SD > 0`` with ``SD^2 = (S(d^2) - S(d)^2/c)/(c - 1)``
  (negative rounding clamped to 0), which is exactly 0 for identical values. Strictly below.

Units: time in epoch seconds (float64), values in the metric's UCUM unit. Every kernel works series
by series (``offsets[s]:offsets[s+1]``) and never looks across series.

Window convention (all windowed kernels): the window of reading j holds the readings i of the same
series with ``time[i] >= time[j] - window_s`` and i <= j (or i < j where it says "prior"). The
lower edge is inclusive, so daily weights taken at the same clock time 3 days apart are in one 72 h
window. Readings with equal times are ordered by their position (stable sort of the input).

The arithmetic (operation order included) is the same as in ``reference.py`` and ``numpy_impl.py``
so the three agree to rounding; change all three together.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0


@njit(cache=False, nogil=True)
def _window_start(time: NDArray[np.float64], start: int, j: int, window_s: float) -> int:
    """Advance start to the first reading with time >= time[j] - window_s (times ascend)."""
    edge = time[j] - window_s
    while time[start] < edge:
        start += 1
    return start


@njit(cache=False, nogil=True)
def _slope_at(time: NDArray[np.float64], value: NDArray[np.float64], start: int, j: int) -> float:
    """Least-squares slope per day of readings start..j (c = j - start + 1 >= 2 readings).

    With dt = time[i] - time[j] and dx = value[i] - value[j] (shifted to reading j, which keeps
    epoch seconds well conditioned and lets one pass do; j itself adds zeros):
    ``slope = (S(dt dx) - S(dt) S(dx) / c) / (S(dt^2) - S(dt)^2 / c) * 86400``, NaN if the
    denominator is not > 0 (all readings at one time).
    """
    tj = time[j]
    xj = value[j]
    c = j - start + 1
    s_t = 0.0
    s_x = 0.0
    s_tt = 0.0
    s_tx = 0.0
    for i in range(start, j):
        dt = time[i] - tj
        dx = value[i] - xj
        s_t += dt
        s_x += dx
        s_tt += dt * dt
        s_tx += dt * dx
    sxx = s_tt - s_t * s_t / c
    if sxx > 0.0:
        return (s_tx - s_t * s_x / c) / sxx * SECONDS_PER_DAY
    return np.nan


@njit(
    "Tuple((float64[::1], float64[::1]))(int64[::1], float64[::1], float64[::1], float64)",
    cache=False,
    nogil=True,
)
def slope_and_change_kernel(
    offsets: NDArray[np.int64],
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    window_s: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares slope (units per day) and change (latest - earliest) over a trailing window.

    The window of reading j includes j itself. Slope (formula in ``_slope_at``) is NaN with fewer
    than 2 readings or when all share one time; change is NaN when the window holds only j.
    """
    n = value.size
    slope = np.empty(n, dtype=np.float64)
    change = np.empty(n, dtype=np.float64)
    for s in range(offsets.size - 1):
        start = offsets[s]
        for j in range(offsets[s], offsets[s + 1]):
            start = _window_start(time, start, j, window_s)
            if j - start < 1:
                slope[j] = np.nan
                change[j] = np.nan
            else:
                slope[j] = _slope_at(time, value, start, j)
                change[j] = value[j] - value[start]
    return slope, change


@njit(
    "Tuple((float64[::1], float64[::1], float64[::1], float64[::1], float64[::1], float64[::1], boolean[::1]))"
    "(int64[::1], float64[::1], float64[::1], float64[::1], float64, float64, float64, float64, float64,"
    " int64, float64)",
    cache=False,
    nogil=True,
)
def trend_kernel(
    offsets: NDArray[np.int64],
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    sigma: NDArray[np.float64],
    half_life_h: float,
    cusum_k: float,
    change_window_s: float,
    rolling_window_s: float,
    rolling_k: float,
    rolling_min_prior: int,
    rolling_sd_floor: float,
) -> tuple[
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.float64],
    NDArray[np.bool_],
]:
    """All trend outputs in one pass per series (what ``dho.scoring.api.trends`` runs).

    Returns (ewma, residual, cusum_up, cusum_down, slope_per_day, change, below_rolling_mean);
    definitions in the module docstring. One loop over the union of the two windows feeds both the
    slope sums and the rolling sums, each from its own start, oldest reading first (the order of
    ``reference.py``).
    """
    n = value.size
    ewma = np.empty(n, dtype=np.float64)
    residual = np.empty(n, dtype=np.float64)
    up = np.empty(n, dtype=np.float64)
    down = np.empty(n, dtype=np.float64)
    slope = np.empty(n, dtype=np.float64)
    change = np.empty(n, dtype=np.float64)
    below = np.zeros(n, dtype=np.bool_)
    lam = math.log(2.0) / (half_life_h * SECONDS_PER_HOUR)
    for s in range(offsets.size - 1):
        lo = offsets[s]
        hi = offsets[s + 1]
        if lo == hi:
            continue
        sg = sigma[s]
        has_sigma = sg > 0.0
        m = value[lo]
        su = 0.0
        sd = 0.0
        start_change = lo
        start_rolling = lo
        for j in range(lo, hi):
            xj = value[j]
            if j == lo:
                ewma[j] = m
                residual[j] = np.nan
            else:
                alpha = -math.expm1(-(time[j] - time[j - 1]) * lam)
                r = xj - m
                m = m + alpha * r
                ewma[j] = m
                residual[j] = r
                if has_sigma:
                    z = r / sg
                    su = su + (z - cusum_k)
                    su = su if su > 0.0 else 0.0
                    sd = sd - (z + cusum_k)
                    sd = sd if sd > 0.0 else 0.0
            up[j] = su if has_sigma else np.nan
            down[j] = sd if has_sigma else np.nan
            start_change = _window_start(time, start_change, j, change_window_s)
            start_rolling = _window_start(time, start_rolling, j, rolling_window_s)
            # Both windows end at j: one loop over their union feeds the slope sums (change window)
            # and the rolling sums (prior readings), each from its own start, oldest first.
            c_change = j - start_change + 1
            c_rolling = j - start_rolling
            s_t = 0.0
            s_x = 0.0
            s_tt = 0.0
            s_tx = 0.0
            s_d = 0.0
            s_dd = 0.0
            tj = time[j]
            for i in range(min(start_change, start_rolling), j):
                dx = value[i] - xj
                if i >= start_rolling:
                    s_d += dx
                    s_dd += dx * dx
                if i >= start_change:
                    dt = time[i] - tj
                    s_t += dt
                    s_x += dx
                    s_tt += dt * dt
                    s_tx += dt * dx
            if c_change < 2:
                slope[j] = np.nan
                change[j] = np.nan
            else:
                change[j] = xj - value[start_change]
                sxx = s_tt - s_t * s_t / c_change
                if sxx > 0.0:
                    slope[j] = (s_tx - s_t * s_x / c_change) / sxx * SECONDS_PER_DAY
                else:
                    slope[j] = np.nan
            if c_rolling >= rolling_min_prior:
                var = (s_dd - s_d * s_d / c_rolling) / (c_rolling - 1)
                sd_r = math.sqrt(var) if var > 0.0 else 0.0
                if sd_r < rolling_sd_floor:
                    sd_r = rolling_sd_floor
                below[j] = s_d / c_rolling - rolling_k * sd_r > 0.0
    return ewma, residual, up, down, slope, change, below
