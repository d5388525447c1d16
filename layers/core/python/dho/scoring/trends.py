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

How the windowed statistics are computed (O(1) amortised per reading)
--------------------------------------------------------------------
Each window is a two-pointer sliding window (the window start only moves forward; its first two
steps are branch-free, see ``_advance``). Window sums are differences of cumulative sums kept in a
small per-series scratch buffer, of times and values relative to an *anchor* reading a
(``x = t - t_a``, ``y = v - v_a``): slope ``S(x), S(y), S(x^2), S(x y)``, rolling ``S(y), S(y^2)``.
The centred quantities (``S(x^2) - S(x)^2/c`` etc.) do not depend on the anchor, and the rolling
mean of d is ``S(y)/c - (v_j - v_a)``.

Rounding differs from the reference, which sums relative to reading j, so the windowed outputs are
a *certified fast path* with an *exact fallback*:

1. Error bounds (first order, then x ``_SAFETY`` = 4; u = 2^-53). Let m = readings summed since the
   last rebuild (m >= c), X = t_j - t_first >= every |x| (times ascend), w = max |y| since the
   rebuild + |v_j - v_a| >= every |y| and every |d| = |v_i - v_j|. Each cumulative sum is m
   rounded additions of terms bounded by X (or w, X^2, X w), so a window sum errs by at most
   ``u m (2m + 9)`` times that bound; the reference's recursive sums of c terms err by
   ``u (3c + 10) c`` times it. Hence ``|sxx - sxx_ref| <= 9 u m (m + 5) X^2`` and
   ``|sxy - sxy_ref| <= 9 u m (m + 5) X w``; for the flag ``|mean - mean_ref| <= u w (2m(m+5) + 10)``
   and (variance error <= 6 u (m + 3)^2 w^2, and |sqrt a - sqrt b| <= sqrt |a - b|)
   ``|SD - SD_ref| <= sqrt(6u) (m + 3) w + 4u SD``.
2. Slope: the fast value is used only if its certified relative distance to the reference's is
   <= 2e-10 / 4 (the tests demand 1e-9) and the reference's denominator is certified > 0. Flag:
   the fast ``mean - k SD`` is used only if it is farther from 0 than its bound, so the reference
   is on the same side of ``> 0``; near-ties (identical values, k = 0 with value = mean, ...) fall
   back. No tolerance is added anywhere: outputs agree with the reference as before.
3. Fallback and re-anchoring: the sums are rebuilt from the window start with anchor j, oldest
   first, which *is* the reference's computation (same terms, order and formula), so that output
   is the reference's bit for bit. They are also rebuilt whenever the anchor has left the window,
   which keeps X within about two window lengths and m within about two window counts; amortised
   this is one extra addition per reading. On the benchmark workload about 1 reading in 7 (slope)
   or 14 (flag) is such a rebuild; about 1 % (slope) and almost none (flag) are fallbacks.

The change (latest - earliest in the window) is ``value[j] - value[start]`` as in the reference.
The EWMA reuses alpha while dt repeats (the same expression of the same dt: exact).

The arithmetic of the exact path (operation order included) is the same as in ``reference.py`` and
``numpy_impl.py`` so the three agree to rounding; change all three together.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0

_U = 2.0**-53  # unit roundoff of float64
_SAFETY = 4.0  # multiplies every first-order error bound
_SQRT_6U = math.sqrt(6.0 * _U)
_SLOPE_RTOL = 2e-10  # fast slope kept only if certified this close (x _SAFETY) to the reference's


@njit("int64(float64[::1], int64, int64, float64)", cache=False, nogil=True, boundscheck=False, error_model="numpy")
def _advance(time: NDArray[np.float64], start: int, j: int, edge: float) -> int:
    """First i >= start with time[i] >= edge (<= j since time[j] >= edge).

    The first two steps are taken without branching: with a sampling interval that divides the
    window, 0, 1 or 2 readings leave per reading at random, which a loop would mispredict.
    """
    out1 = time[start] < edge
    out2 = out1 & (time[min(start + 1, j)] < edge)
    start += int(out1) + int(out2)
    while time[start] < edge:
        start += 1
    return start


@njit(
    "void(float64[::1], float64[::1], int64, int64, float64, float64[::1], float64[::1],"
    " float64[::1], float64[::1], float64[::1], float64[::1])",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
)
def _slope_change_series(
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    lo: int,
    hi: int,
    window_s: float,
    slope: NDArray[np.float64],
    change: NDArray[np.float64],
    p_t: NDArray[np.float64],
    p_x: NDArray[np.float64],
    p_tt: NDArray[np.float64],
    p_tx: NDArray[np.float64],
) -> None:
    """Slope and change of readings lo..hi-1 (one series); see "How the windowed statistics ...".

    ``p_*`` (scratch, length >= hi - lo + 1): cumulative sums from reading ``first`` relative to
    the anchor; ``p[i - first + 1]`` sums first..i, ``p[0] = 0``. Window sums are differences.
    """
    start = lo  # window: start..j
    anchor = lo  # terms are x = time - ta, y = value - va (ta, va: the anchor reading's)
    first = lo  # window start at the last rebuild; the cumulative sums start there
    ta = time[lo]
    va = value[lo]
    c_t = c_x = c_tt = c_tx = 0.0  # cumulative sums first..j
    p_t[0] = p_x[0] = p_tt[0] = p_tx[0] = 0.0
    y_max = 0.0  # max |y| over first..j
    for j in range(lo, hi):
        tj = time[j]
        xj = value[j]
        dt = tj - ta
        dx = xj - va
        c_t += dt
        c_x += dx
        c_tt += dt * dt
        c_tx += dt * dx
        k = j - first + 1
        p_t[k] = c_t
        p_x[k] = c_x
        p_tt[k] = c_tt
        p_tx[k] = c_tx
        y_max = max(y_max, abs(dx))
        start = _advance(time, start, j, tj - window_s)
        c = j - start + 1
        if c < 2:
            slope[j] = np.nan
            change[j] = np.nan
            continue
        change[j] = xj - value[start]
        if anchor >= start:
            b = start - first
            s_t = c_t - p_t[b]
            s_x = c_x - p_x[b]
            s_tt = c_tt - p_tt[b]
            s_tx = c_tx - p_tx[b]
            inv_c = 1.0 / c
            sxx = s_tt - s_t * s_t * inv_c
            sxy = s_tx - s_t * s_x * inv_c
            # Certified: |sxx - sxx_ref| <= g x_max^2, |sxy - sxy_ref| <= g x_max w (module docstring).
            m = j - first + 1
            g = _SAFETY * 9.0 * _U * m * (m + 5.0)
            x_max = tj - time[first]
            err_xx = g * x_max * x_max
            err_xy = g * x_max * (y_max + abs(dx))
            if sxx > err_xx and err_xy * sxx + err_xx * abs(sxy) <= _SLOPE_RTOL * abs(sxy) * sxx:
                slope[j] = sxy / sxx * SECONDS_PER_DAY
                continue
        # Exact path: rebuild the sums relative to reading j, oldest first (= reference.py).
        anchor = j
        first = start
        ta = tj
        va = xj
        c_t = c_x = c_tt = c_tx = 0.0
        y_max = 0.0
        for i in range(start, j):
            dt = time[i] - ta
            dx = value[i] - va
            c_t += dt
            c_x += dx
            c_tt += dt * dt
            c_tx += dt * dx
            k = i - first + 1
            p_t[k] = c_t
            p_x[k] = c_x
            p_tt[k] = c_tt
            p_tx[k] = c_tx
            y_max = max(y_max, abs(dx))
        k = j - first + 1  # reading j adds dt = dx = 0
        p_t[k] = c_t
        p_x[k] = c_x
        p_tt[k] = c_tt
        p_tx[k] = c_tx
        sxx = c_tt - c_t * c_t / c
        if sxx > 0.0:
            slope[j] = (c_tx - c_t * c_x / c) / sxx * SECONDS_PER_DAY
        else:
            slope[j] = np.nan


@njit(
    "void(float64[::1], float64[::1], int64, int64, float64, float64, int64, float64, boolean[::1],"
    " float64[::1], float64[::1])",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
)
def _rolling_series(
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    lo: int,
    hi: int,
    window_s: float,
    k: float,
    min_prior: int,
    sd_floor: float,
    below: NDArray[np.bool_],
    p_d: NDArray[np.float64],
    p_dd: NDArray[np.float64],
) -> None:
    """Below-rolling-mean flag of readings lo..hi-1 (one series); prior readings start..j-1.

    ``p_d, p_dd`` as in ``_slope_change_series`` (cumulative sums of y, y^2 from ``first``).
    """
    start = lo  # prior readings: start..j-1
    anchor = lo  # terms are y = value - va, va the anchor reading's value
    first = lo  # window start at the last rebuild; the cumulative sums start there
    va = value[lo]
    c_d = c_dd = 0.0  # cumulative sums first..j-1
    p_d[0] = p_dd[0] = 0.0
    y_max = 0.0  # max |y| over first..j-1
    for j in range(lo, hi):
        xj = value[j]
        if j > lo:
            dx = value[j - 1] - va
            c_d += dx
            c_dd += dx * dx
            p_d[j - first] = c_d
            p_dd[j - first] = c_dd
            y_max = max(y_max, abs(dx))
        start = _advance(time, start, j, time[j] - window_s)
        c = j - start
        if c < min_prior:
            below[j] = False
            continue
        if anchor >= start:
            b = start - first
            s_d = c_d - p_d[b]
            s_dd = c_dd - p_dd[b]
            inv_c = 1.0 / c
            e_j = xj - va
            mean = s_d * inv_c - e_j
            var = (s_dd - s_d * s_d * inv_c) / (c - 1)
            sd = math.sqrt(var) if var > 0.0 else 0.0
            if sd < sd_floor:
                sd = sd_floor
            q = mean - k * sd
            # Certified |q - q_reference| <= bound (module docstring): w >= every |y| and |d|,
            # m >= c the number of terms summed since the rebuild.
            m = j - first
            w = y_max + abs(e_j)
            bound = _U * w * (2.0 * m * (m + 5.0) + 10.0) + abs(k) * (_SQRT_6U * (m + 3.0) * w + 4.0 * _U * sd)
            bound *= _SAFETY
            if q > bound:
                below[j] = True
                continue
            if q <= -bound:
                below[j] = False
                continue
        # Exact path: rebuild the sums relative to reading j, oldest first (= reference.py).
        anchor = j
        first = start
        va = xj
        c_d = c_dd = 0.0
        y_max = 0.0
        for i in range(start, j):
            dx = value[i] - va
            c_d += dx
            c_dd += dx * dx
            p_d[i - first + 1] = c_d
            p_dd[i - first + 1] = c_dd
            y_max = max(y_max, abs(dx))
        var = (c_dd - c_d * c_d / c) / (c - 1)
        sd = math.sqrt(var) if var > 0.0 else 0.0
        if sd < sd_floor:
            sd = sd_floor
        below[j] = c_d / c - k * sd > 0.0


@njit("float64[:, ::1](int64[::1], int64)", cache=False, nogil=True, boundscheck=False, error_model="numpy")
def _scratch(offsets: NDArray[np.int64], rows: int) -> NDArray[np.float64]:
    """rows x (longest series + 1) scratch for the cumulative window sums."""
    longest = 0
    for s in range(offsets.size - 1):
        longest = max(longest, offsets[s + 1] - offsets[s])
    return np.empty((rows, longest + 1), dtype=np.float64)


@njit(
    "Tuple((float64[::1], float64[::1]))(int64[::1], float64[::1], float64[::1], float64)",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
)
def slope_and_change_kernel(
    offsets: NDArray[np.int64],
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    window_s: float,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Least-squares slope (units per day) and change (latest - earliest) over a trailing window.

    The window of reading j includes j itself. Slope is NaN with fewer than 2 readings or when all
    share one time; change is NaN when the window holds only j.
    """
    n = value.size
    slope = np.empty(n, dtype=np.float64)
    change = np.empty(n, dtype=np.float64)
    p = _scratch(offsets, 4)
    for s in range(offsets.size - 1):
        if offsets[s] < offsets[s + 1]:
            lo = offsets[s]
            hi = offsets[s + 1]
            _slope_change_series(time, value, lo, hi, window_s, slope, change, p[0], p[1], p[2], p[3])
    return slope, change


@njit(
    "void(int64[::1], float64[::1], float64[::1], float64[::1], float64, float64, float64, float64, float64,"
    " int64, float64, float64[::1], float64[::1], float64[::1], float64[::1], float64[::1], float64[::1],"
    " boolean[::1])",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
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
    ewma: NDArray[np.float64],
    residual: NDArray[np.float64],
    up: NDArray[np.float64],
    down: NDArray[np.float64],
    slope: NDArray[np.float64],
    change: NDArray[np.float64],
    below: NDArray[np.bool_],
) -> None:
    """All trend outputs, series by series, written into the last seven arrays (length n each).

    Outputs: ewma, residual, cusum_up, cusum_down, slope_per_day, change, below_rolling_mean;
    definitions in the module docstring. The caller allocates them (``dho.scoring.api.trends``
    uses NumPy, whose large allocations get transparent huge pages: far fewer page faults than
    numba's allocator). Per series: one pass for EWMA/CUSUM, one for slope and change, one for
    the rolling flag (the series is in cache after the first).
    """
    lam = math.log(2.0) / (half_life_h * SECONDS_PER_HOUR)
    p = _scratch(offsets, 6)
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
        last_dt = np.nan
        alpha = 0.0
        ewma[lo] = m
        residual[lo] = np.nan
        up[lo] = 0.0 if has_sigma else np.nan
        down[lo] = 0.0 if has_sigma else np.nan
        for j in range(lo + 1, hi):
            dt = time[j] - time[j - 1]
            if dt != last_dt:  # same dt -> same alpha (exact); saves the expm1
                alpha = -math.expm1(-dt * lam)
                last_dt = dt
            r = value[j] - m
            m = m + alpha * r
            ewma[j] = m
            residual[j] = r
            if has_sigma:
                z = r / sg
                su = su + (z - cusum_k)
                su = su if su > 0.0 else 0.0
                sd = sd - (z + cusum_k)
                sd = sd if sd > 0.0 else 0.0
                up[j] = su
                down[j] = sd
            else:
                up[j] = np.nan
                down[j] = np.nan
        _slope_change_series(time, value, lo, hi, change_window_s, slope, change, p[0], p[1], p[2], p[3])
        _rolling_series(
            time, value, lo, hi, rolling_window_s, rolling_k, rolling_min_prior, rolling_sd_floor, below, p[4], p[5]
        )
