"""Plain-Python reference of every scoring kernel: loops over lists, no numpy.

These define what the kernels mean; the numba kernels (``sorting``, ``bands``, ``trends``,
``news2``) and the NumPy version (``numpy_impl``) are tested equal to them. Written to be read,
not to be fast. The trend arithmetic follows the same operation order as the kernels so results
agree to rounding (see the module docstrings of ``trends`` and ``news2`` for units and edges).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from dho.scoring.codes import NEWS2_SOURCE_CODES

SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
NAN = math.nan

# --- sorting ---------------------------------------------------------------------------------


def sort_and_index(
    patient: Sequence[int], code: Sequence[int], time: Sequence[float], n_patients: int, n_codes: int
) -> tuple[list[int], list[int]]:
    """(order, offsets): stable sort by (patient, code, time); offsets over all n_patients * n_codes."""
    order = sorted(range(len(time)), key=lambda i: (patient[i], code[i], time[i]))
    counts = [0] * (n_patients * n_codes)
    for i in order:
        counts[patient[i] * n_codes + code[i]] += 1
    offsets = [0]
    for c in counts:
        offsets.append(offsets[-1] + c)
    return order, offsets


def _series(offsets: Sequence[int]) -> list[range]:
    return [range(offsets[s], offsets[s + 1]) for s in range(len(offsets) - 1)]


# --- bands -----------------------------------------------------------------------------------


def band_of(value: float, red_low: float, yellow_low: float, yellow_high: float, red_high: float) -> int:
    """0 green, 1 yellow, 2 red; a NaN limit is no limit; a value on a limit gets the milder band."""
    if (not math.isnan(red_low) and value < red_low) or (not math.isnan(red_high) and value > red_high):
        return 2
    if (not math.isnan(yellow_low) and value < yellow_low) or (not math.isnan(yellow_high) and value > yellow_high):
        return 1
    return 0


def classify_bands(
    offsets: Sequence[int],
    value: Sequence[float],
    red_low: Sequence[float],
    yellow_low: Sequence[float],
    yellow_high: Sequence[float],
    red_high: Sequence[float],
) -> list[int]:
    band = [0] * len(value)
    for s, readings in enumerate(_series(offsets)):
        for j in readings:
            band[j] = band_of(value[j], red_low[s], yellow_low[s], yellow_high[s], red_high[s])
    return band


# --- trends ----------------------------------------------------------------------------------


def ewma(
    offsets: Sequence[int], time: Sequence[float], value: Sequence[float], half_life_h: float
) -> tuple[list[float], list[float]]:
    """(ewma after each reading, residual against the ewma before it); first of a series: NaN residual."""
    lam = math.log(2.0) / (half_life_h * SECONDS_PER_HOUR)
    baseline = [NAN] * len(value)
    residual = [NAN] * len(value)
    for readings in _series(offsets):
        m = NAN
        for j in readings:
            if j == readings.start:
                m = value[j]
            else:
                alpha = -math.expm1(-(time[j] - time[j - 1]) * lam)  # = 1 - exp(-dt ln2 / half-life)
                residual[j] = value[j] - m
                m = m + alpha * residual[j]
            baseline[j] = m
    return baseline, residual


def cusum(
    offsets: Sequence[int], residual: Sequence[float], sigma: Sequence[float], k: float
) -> tuple[list[float], list[float]]:
    """(upward, downward) one-sided CUSUM of residual / sigma with allowance k; NaN if sigma is not > 0."""
    up = [NAN] * len(residual)
    down = [NAN] * len(residual)
    for s, readings in enumerate(_series(offsets)):
        if not sigma[s] > 0.0:
            continue
        su = 0.0
        sd = 0.0
        for j in readings:
            if not math.isnan(residual[j]):
                z = residual[j] / sigma[s]
                su = su + (z - k)
                su = su if su > 0.0 else 0.0
                sd = sd - (z + k)
                sd = sd if sd > 0.0 else 0.0
            up[j] = su
            down[j] = sd
    return up, down


def _window_start(time: Sequence[float], first: int, j: int, window_s: float) -> int:
    """First position i >= first of the series with time[i] >= time[j] - window_s."""
    i = first
    while time[i] < time[j] - window_s:
        i += 1
    return i


def slope_and_change(
    offsets: Sequence[int], time: Sequence[float], value: Sequence[float], window_s: float
) -> tuple[list[float], list[float]]:
    """Least-squares slope per day and (latest - earliest) over the trailing window including j.

    Normal equations on times and values taken relative to reading j (dt, dx):
    slope = (S(dt dx) - S(dt) S(dx) / c) / (S(dt^2) - S(dt)^2 / c), per second -> per day.
    """
    slope = [NAN] * len(value)
    change = [NAN] * len(value)
    for readings in _series(offsets):
        start = readings.start
        for j in readings:
            start = _window_start(time, start, j, window_s)
            c = j - start + 1
            if c < 2:
                continue
            change[j] = value[j] - value[start]
            s_t = s_x = s_tt = s_tx = 0.0
            for i in range(start, j):  # reading j itself has dt = dx = 0
                dt = time[i] - time[j]
                dx = value[i] - value[j]
                s_t += dt
                s_x += dx
                s_tt += dt * dt
                s_tx += dt * dx
            sxx = s_tt - s_t * s_t / c
            if sxx > 0.0:
                slope[j] = (s_tx - s_t * s_x / c) / sxx * SECONDS_PER_DAY
    return slope, change


def below_rolling_mean(
    offsets: Sequence[int],
    time: Sequence[float],
    value: Sequence[float],
    window_s: float,
    k: float,
    min_prior: int,
    sd_floor: float,
) -> list[bool]:
    """value < mean - k * max(SD, sd_floor) of the >= min_prior prior readings in the trailing window.

    Evaluated on d = value[i] - value[j] as mean(d) - k * SD > 0 (the same inequality).
    """
    flag = [False] * len(value)
    for readings in _series(offsets):
        start = readings.start
        for j in readings:
            start = _window_start(time, start, j, window_s)
            c = j - start
            if c < min_prior:
                continue
            s_d = s_dd = 0.0
            for i in range(start, j):
                d = value[i] - value[j]
                s_d += d
                s_dd += d * d
            var = (s_dd - s_d * s_d / c) / (c - 1)
            sd = max(math.sqrt(var) if var > 0.0 else 0.0, sd_floor)
            flag[j] = s_d / c - k * sd > 0.0
    return flag


# --- NEWS2 -----------------------------------------------------------------------------------


def score_respiratory_rate(v: float) -> int:
    if v <= 8:
        return 3
    if v <= 11:
        return 1
    if v <= 20:
        return 0
    if v <= 24:
        return 2
    return 3


def score_spo2_scale1(v: float) -> int:
    if v <= 91:
        return 3
    if v <= 93:
        return 2
    if v <= 95:
        return 1
    return 0


def score_spo2_scale2(v: float, on_oxygen: bool | None) -> int | None:
    """None when v > 92 and it is unknown whether the patient is on oxygen."""
    if v <= 83:
        return 3
    if v <= 85:
        return 2
    if v <= 87:
        return 1
    if v <= 92:
        return 0
    if on_oxygen is None:
        return None
    if not on_oxygen:
        return 0
    if v <= 94:
        return 1
    if v <= 96:
        return 2
    return 3


def score_systolic_bp(v: float) -> int:
    if v <= 90:
        return 3
    if v <= 100:
        return 2
    if v <= 110:
        return 1
    if v <= 219:
        return 0
    return 3


def score_pulse(v: float) -> int:
    if v <= 40:
        return 3
    if v <= 50:
        return 1
    if v <= 90:
        return 0
    if v <= 110:
        return 1
    if v <= 130:
        return 2
    return 3


def score_temperature(v: float) -> int:
    if v <= 35.0:
        return 3
    if v <= 36.0:
        return 1
    if v <= 38.0:
        return 0
    if v <= 39.0:
        return 1
    return 2


def news2_band(total: int, any_three: bool, n_present: int) -> int:
    """News2Band code: -1 no data, 0 none, 1 low, 2 low + urgent review, 3 medium, 4 high."""
    if n_present == 0:
        return -1
    if total >= 7:
        return 4
    if total >= 5:
        return 3
    if any_three:
        return 2
    if total >= 1:
        return 1
    return 0


def _subscores(latest: Sequence[float | None], spo2_scale: int) -> list[int | None]:
    """Sub-scores in News2Param order from the latest values (None = missing)."""
    rr, spo2, oxygen, sbp, pulse, acvpu, temp = latest
    on_oxygen = None if oxygen is None else oxygen == 1.0
    spo2_score: int | None = None
    if spo2 is not None:
        spo2_score = score_spo2_scale1(spo2) if spo2_scale == 1 else score_spo2_scale2(spo2, on_oxygen)
    return [
        None if rr is None else score_respiratory_rate(rr),
        spo2_score,
        None if on_oxygen is None else (2 if on_oxygen else 0),
        None if sbp is None else score_systolic_bp(sbp),
        None if pulse is None else score_pulse(pulse),
        None if acvpu is None else (0 if acvpu == 0.0 else 3),
        None if temp is None else score_temperature(temp),
    ]


News2Row = tuple[list[int | None], int, int, bool, int]  # sub-scores, total, present mask, any 3, band


def news2(
    patient: Sequence[int],
    code: Sequence[int],
    time: Sequence[float],
    value: Sequence[float],
    n_patients: int,
    eval_time: Sequence[float],
    window_s: float,
    spo2_scale: Sequence[int],
) -> list[News2Row]:
    """NEWS2 per patient from unsorted readings; missing sub-scores are None (kernel: -1)."""
    rows: list[News2Row] = []
    for p in range(n_patients):
        latest: list[float | None] = []
        for source in NEWS2_SOURCE_CODES:
            best_time = -math.inf
            best_value: float | None = None
            for i in range(len(time)):
                in_window = eval_time[p] - window_s <= time[i] <= eval_time[p]
                # >= : on equal times the later input position wins, as after a stable sort.
                if patient[i] == p and code[i] == source and in_window and time[i] >= best_time:
                    best_time = time[i]
                    best_value = value[i]
            latest.append(best_value)
        subs = _subscores(latest, spo2_scale[p])
        total = sum(s for s in subs if s is not None)
        present = sum(1 << k for k, s in enumerate(subs) if s is not None)
        any_three = any(s == 3 for s in subs)
        n_present = sum(1 for s in subs if s is not None)
        rows.append((subs, total, present, any_three, news2_band(total, any_three, n_present)))
    return rows


# --- the band + trend pipeline (benchmark) ----------------------------------------------------


def band_trend_pipeline(
    offsets: Sequence[int],
    time: Sequence[float],
    value: Sequence[float],
    limits: tuple[Sequence[float], Sequence[float], Sequence[float], Sequence[float]],
    sigma: Sequence[float],
    half_life_h: float,
    cusum_k: float,
    change_window_s: float,
    rolling_window_s: float,
    rolling_k: float,
    rolling_min_prior: int,
    rolling_sd_floor: float,
) -> dict[str, list[float] | list[int] | list[bool]]:
    """All per-reading outputs of the pipeline (see bench/README.md) on sorted, indexed lists."""
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
