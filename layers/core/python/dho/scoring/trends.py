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

EWMA and CUSUM are computed exactly as the reference does (same operations, same order: bit for bit
the same). Their alphas (one ``expm1`` per reading: dt never repeats under sampling jitter) come from
one SIMD loop over all readings before the series loop (``_ewma_alphas``), with a branch-free port
of the C library's expm1 that gives its exact result (``dho.scoring.expm1``; the libm call where the
port is not verified to match, or for an argument > 0).

Speed (n = 1e6, see bench/README.md): per series one pass for slope and change, then one pass for
EWMA, CUSUM and the rolling flag together. All array indices go through ``uindex.u`` (no
negative-index wraparound code); the flag is stored before its certification check instead of
branching on its (unpredictable) value.

The arithmetic of the exact path (operation order included) is the same as in ``reference.py`` and
``numpy_impl.py`` so the three agree to rounding; change all three together.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dho.scoring.expm1 import LIBM_MATCH, expm1_nonpositive
from dho.scoring.uindex import u

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
    out1 = time[u(start)] < edge
    out2 = out1 & (time[u(min(start + 1, j))] < edge)
    start += int(out1) + int(out2)
    while time[u(start)] < edge:
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
    ta = time[u(lo)]
    va = value[u(lo)]
    c_t = c_x = c_tt = c_tx = 0.0  # cumulative sums first..j
    p_t[0] = p_x[0] = p_tt[0] = p_tx[0] = 0.0
    y_max = 0.0  # max |y| over first..j
    for j in range(lo, hi):
        tj = time[u(j)]
        xj = value[u(j)]
        dt = tj - ta
        dx = xj - va
        c_t += dt
        c_x += dx
        c_tt += dt * dt
        c_tx += dt * dx
        k = j - first + 1
        p_t[u(k)] = c_t
        p_x[u(k)] = c_x
        p_tt[u(k)] = c_tt
        p_tx[u(k)] = c_tx
        y_max = max(y_max, abs(dx))
        start = _advance(time, start, j, tj - window_s)
        c = j - start + 1
        if c < 2:
            slope[u(j)] = np.nan
            change[u(j)] = np.nan
            continue
        change[u(j)] = xj - value[u(start)]
        if anchor >= start:
            b = start - first
            s_t = c_t - p_t[u(b)]
            s_x = c_x - p_x[u(b)]
            s_tt = c_tt - p_tt[u(b)]
            s_tx = c_tx - p_tx[u(b)]
            inv_c = 1.0 / c
            sxx = s_tt - s_t * s_t * inv_c
            sxy = s_tx - s_t * s_x * inv_c
            # Certified: |sxx - sxx_ref| <= g x_max^2, |sxy - sxy_ref| <= g x_max w (module docstring).
            m = j - first + 1
            g = _SAFETY * 9.0 * _U * m * (m + 5.0)
            x_max = tj - time[u(first)]
            err_xx = g * x_max * x_max
            err_xy = g * x_max * (y_max + abs(dx))
            if sxx > err_xx and err_xy * sxx + err_xx * abs(sxy) <= _SLOPE_RTOL * abs(sxy) * sxx:
                slope[u(j)] = sxy / sxx * SECONDS_PER_DAY
                continue
        # Exact path: rebuild the sums relative to reading j, oldest first (= reference.py).
        anchor = j
        first = start
        ta = tj
        va = xj
        c_t = c_x = c_tt = c_tx = 0.0
        y_max = 0.0
        for i in range(start, j):
            dt = time[u(i)] - ta
            dx = value[u(i)] - va
            c_t += dt
            c_x += dx
            c_tt += dt * dt
            c_tx += dt * dx
            k = i - first + 1
            p_t[u(k)] = c_t
            p_x[u(k)] = c_x
            p_tt[u(k)] = c_tt
            p_tx[u(k)] = c_tx
            y_max = max(y_max, abs(dx))
        k = j - first + 1  # reading j adds dt = dx = 0
        p_t[u(k)] = c_t
        p_x[u(k)] = c_x
        p_tt[u(k)] = c_tt
        p_tx[u(k)] = c_tx
        sxx = c_tt - c_t * c_t / c
        if sxx > 0.0:
            slope[u(j)] = (c_tx - c_t * c_x / c) / sxx * SECONDS_PER_DAY
        else:
            slope[u(j)] = np.nan


@njit("void(float64[::1], float64, float64[::1])", cache=False, nogil=True, boundscheck=False, error_model="numpy")
def _ewma_alphas(time: NDArray[np.float64], lam: float, alpha: NDArray[np.float64]) -> None:
    """alpha[j] = -expm1(-(time[j] - time[j - 1]) * lam) for every j >= 1, across series boundaries.

    One flat loop over all readings, so it compiles to SIMD code (no per-series remainder loops;
    blocks of series interleaved with the EWMA were measured no faster), using the branch-free port
    of the C library's expm1 (``dho.scoring.expm1``: bit for bit the same result) when this
    process's libm was checked to match it. The port is only valid for arguments <= 0: the EWMA loop
    recomputes any other one (a series' first reading, whose alpha is not used, or times not
    ascending) with the libm call.
    """
    if LIBM_MATCH:
        for j in range(1, time.size):
            alpha[j] = -expm1_nonpositive(-(time[u(j)] - time[u(j - 1)]) * lam)
    else:
        for j in range(1, time.size):
            alpha[j] = -math.expm1(-(time[u(j)] - time[u(j - 1)]) * lam)


@njit(
    "void(float64[::1], float64[::1], int64, int64, float64, float64, float64, float64[::1], float64[::1],"
    " float64[::1], float64[::1], float64, float64, int64, float64, boolean[::1], float64[::1], float64[::1])",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
)
def _ewma_rolling_series(
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    lo: int,
    hi: int,
    lam: float,
    sigma: float,
    cusum_k: float,
    ewma: NDArray[np.float64],
    residual: NDArray[np.float64],
    up: NDArray[np.float64],
    down: NDArray[np.float64],
    window_s: float,
    k: float,
    min_prior: int,
    sd_floor: float,
    below: NDArray[np.bool_],
    p_d: NDArray[np.float64],
    p_dd: NDArray[np.float64],
) -> None:
    """EWMA, residual, CUSUM and the below-rolling-mean flag of readings lo..hi-1 (one series).

    One loop for both (measured a little faster than two: the EWMA recursion is a serial chain of
    subtract, multiply, add per reading that overlaps the window loop). ``ewma`` holds the alphas
    on entry (``_ewma_alphas``). Rolling flag: prior readings start..j-1;
    ``p_d, p_dd`` as in ``_slope_change_series`` (cumulative sums of y, y^2 from ``first``).
    """
    has_sigma = sigma > 0.0
    m = value[u(lo)]  # EWMA
    s_up = 0.0  # CUSUM
    s_down = 0.0
    ewma[u(lo)] = m
    residual[u(lo)] = np.nan
    up[u(lo)] = 0.0 if has_sigma else np.nan
    down[u(lo)] = 0.0 if has_sigma else np.nan
    below[u(lo)] = False  # no prior reading
    start = lo  # prior readings: start..j-1
    anchor = lo  # terms are y = value - va, va the anchor reading's value
    first = lo  # window start at the last rebuild; the cumulative sums start there
    va = value[u(lo)]
    c_d = c_dd = 0.0  # cumulative sums first..j-1
    p_d[0] = p_dd[0] = 0.0
    y_max = 0.0  # max |y| over first..j-1
    for j in range(lo + 1, hi):
        xj = value[u(j)]
        # EWMA and CUSUM (as reference.py); alpha from _ewma_alphas unless its argument was > 0.
        x = -(time[u(j)] - time[u(j - 1)]) * lam
        alpha = ewma[u(j)] if x <= 0.0 else -math.expm1(x)
        r = xj - m
        m = m + alpha * r
        ewma[u(j)] = m
        residual[u(j)] = r
        z = r / sigma
        s_up = s_up + (z - cusum_k)
        s_up = s_up if s_up > 0.0 else 0.0
        s_down = s_down - (z + cusum_k)
        s_down = s_down if s_down > 0.0 else 0.0
        up[u(j)] = s_up if has_sigma else np.nan  # no branch: computed either way, NaN if no sigma
        down[u(j)] = s_down if has_sigma else np.nan
        # Rolling flag: add reading j - 1 to the cumulative sums, slide the window.
        dx = value[u(j - 1)] - va
        c_d += dx
        c_dd += dx * dx
        p_d[u(j - first)] = c_d
        p_dd[u(j - first)] = c_dd
        y_max = max(y_max, abs(dx))
        start = _advance(time, start, j, time[u(j)] - window_s)
        c = j - start
        if c < min_prior:
            below[u(j)] = False
            continue
        if anchor >= start:
            b = start - first
            s_d = c_d - p_d[u(b)]
            s_dd = c_dd - p_dd[u(b)]
            inv_c = 1.0 / c
            e_j = xj - va
            mean = s_d * inv_c - e_j
            var = (s_dd - s_d * s_d * inv_c) / (c - 1)
            sd = math.sqrt(var) if var > 0.0 else 0.0
            if sd < sd_floor:
                sd = sd_floor
            q = mean - k * sd
            # Certified |q - q_reference| <= bound (module docstring): w >= every |y| and |d|,
            # mm >= c the number of terms summed since the rebuild.
            mm = j - first
            w = y_max + abs(e_j)
            bound = _U * w * (2.0 * mm * (mm + 5.0) + 10.0) + abs(k) * (_SQRT_6U * (mm + 3.0) * w + 4.0 * _U * sd)
            bound *= _SAFETY
            # Store, then check (the exact path overwrites it): a branch on the flag itself would
            # mispredict, the check almost never fails. Measured 7 % faster than two branches.
            below[u(j)] = q > bound
            if abs(q) > bound:
                continue
        # Exact path: rebuild the sums relative to reading j, oldest first (= reference.py).
        anchor = j
        first = start
        va = xj
        c_d = c_dd = 0.0
        y_max = 0.0
        for i in range(start, j):
            dx = value[u(i)] - va
            c_d += dx
            c_dd += dx * dx
            p_d[u(i - first + 1)] = c_d
            p_dd[u(i - first + 1)] = c_dd
            y_max = max(y_max, abs(dx))
        var = (c_dd - c_d * c_d / c) / (c - 1)
        sd = math.sqrt(var) if var > 0.0 else 0.0
        if sd < sd_floor:
            sd = sd_floor
        below[u(j)] = c_d / c - k * sd > 0.0


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
    numba's allocator). First the EWMA alphas of all readings (SIMD, into ``ewma``); then per
    series one pass for slope and change and one for EWMA/CUSUM and the rolling flag (the series
    is in cache after the first).
    """
    lam = math.log(2.0) / (half_life_h * SECONDS_PER_HOUR)
    _ewma_alphas(time, lam, ewma)  # held in ewma until the EWMA loop overwrites them
    p = _scratch(offsets, 6)
    for s in range(offsets.size - 1):
        lo = offsets[s]
        hi = offsets[s + 1]
        if lo == hi:
            continue
        _slope_change_series(time, value, lo, hi, change_window_s, slope, change, p[0], p[1], p[2], p[3])
        _ewma_rolling_series(
            time,
            value,
            lo,
            hi,
            lam,
            sigma[s],
            cusum_k,
            ewma,
            residual,
            up,
            down,
            rolling_window_s,
            rolling_k,
            rolling_min_prior,
            rolling_sd_floor,
            below,
            p[4],
            p[5],
        )
