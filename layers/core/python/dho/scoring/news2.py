"""Numba kernel: NEWS2 (RCP 2017) from each patient's latest vitals within a time window.

Sub-score edges (value v in the parameter's unit). A value between chart grid points belongs to
the band whose upper edge it does not exceed (RR 8.5 -> 1, RR 11.5 -> 0, SBP 219.5 -> 3):

* respiratory rate /min: v <= 8 -> 3; <= 11 -> 1; <= 20 -> 0; <= 24 -> 2; else 3
* SpO2 scale 1 %: v <= 91 -> 3; <= 93 -> 2; <= 95 -> 1; else 0 (oxygen does not change it)
* SpO2 scale 2 %: v <= 83 -> 3; <= 85 -> 2; <= 87 -> 1; <= 92 -> 0; above 92: on air 0, on
  oxygen <= 94 -> 1, <= 96 -> 2, else 3. Above 92 with the air/oxygen parameter missing the
  SpO2 sub-score is undetermined and SpO2 is reported missing.
* air or oxygen: oxygen -> 2, air -> 0
* systolic BP mmHg: v <= 90 -> 3; <= 100 -> 2; <= 110 -> 1; <= 219 -> 0; else 3
* pulse /min: v <= 40 -> 3; <= 50 -> 1; <= 90 -> 0; <= 110 -> 1; <= 130 -> 2; else 3
* consciousness (ACVPU code): ALERT -> 0; new confusion, V, P, U -> 3
* temperature Cel: v <= 35.0 -> 3; <= 36.0 -> 1; <= 38.0 -> 0; <= 39.0 -> 1; else 2

The SpO2 scale is the plan's (per patient), never inferred from the oxygen flag. Validation of
ACVPU codes, oxygen values and scales is done by the Python wrapper (``dho.scoring.api.news2``).

Latest value: the reading of the parameter's series with the greatest time in
``[eval_time - window_s, eval_time]`` (both inclusive; on equal times the later position wins).
A parameter without such a reading is missing: sub-score -1, its bit clear in ``present``.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

MISSING = -1  # sub-score of a missing (or undetermined) parameter
N_PARAMS = 7


@njit(cache=False, nogil=True)
def score_respiratory_rate(v: float) -> int:
    if v <= 8.0:
        return 3
    if v <= 11.0:
        return 1
    if v <= 20.0:
        return 0
    if v <= 24.0:
        return 2
    return 3


@njit(cache=False, nogil=True)
def score_spo2_scale1(v: float) -> int:
    if v <= 91.0:
        return 3
    if v <= 93.0:
        return 2
    if v <= 95.0:
        return 1
    return 0


@njit(cache=False, nogil=True)
def score_spo2_scale2(v: float, oxygen: int) -> int:
    """``oxygen``: 1 on oxygen, 0 on air, -1 unknown (missing)."""
    if v <= 83.0:
        return 3
    if v <= 85.0:
        return 2
    if v <= 87.0:
        return 1
    if v <= 92.0:
        return 0
    if oxygen < 0:
        return MISSING
    if oxygen == 0:
        return 0
    if v <= 94.0:
        return 1
    if v <= 96.0:
        return 2
    return 3


@njit(cache=False, nogil=True)
def score_systolic_bp(v: float) -> int:
    if v <= 90.0:
        return 3
    if v <= 100.0:
        return 2
    if v <= 110.0:
        return 1
    if v <= 219.0:
        return 0
    return 3


@njit(cache=False, nogil=True)
def score_pulse(v: float) -> int:
    if v <= 40.0:
        return 3
    if v <= 50.0:
        return 1
    if v <= 90.0:
        return 0
    if v <= 110.0:
        return 1
    if v <= 130.0:
        return 2
    return 3


@njit(cache=False, nogil=True)
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


@njit(cache=False, nogil=True)
def news2_band(total: int, any_three: bool, present: int) -> int:
    """News2Band code: -1 no data, 0 none, 1 low, 2 low + urgent review, 3 medium, 4 high."""
    if present == 0:
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


@njit(cache=False, nogil=True)
def _latest_in_window(
    offsets: NDArray[np.int64], time: NDArray[np.float64], s: int, t_eval: float, window_s: float
) -> int:
    """Position of the latest reading of series s in [t_eval - window_s, t_eval], or -1."""
    lo = int(offsets[s])
    hi = int(offsets[s + 1])
    if lo == hi:
        return -1
    j = lo + int(np.searchsorted(time[lo:hi], t_eval, side="right")) - 1
    if j < lo or time[j] < t_eval - window_s:
        return -1
    return j


@njit(
    "Tuple((int8[:, ::1], int16[::1], uint8[::1], boolean[::1], int8[::1]))"
    "(int64[::1], float64[::1], float64[::1], int64, int64[::1], float64[::1], float64, int8[::1])",
    cache=False,
    nogil=True,
)
def news2_kernel(
    offsets: NDArray[np.int64],
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    n_codes: int,
    source_codes: NDArray[np.int64],
    eval_time: NDArray[np.float64],
    window_s: float,
    spo2_scale: NDArray[np.int8],
) -> tuple[NDArray[np.int8], NDArray[np.int16], NDArray[np.uint8], NDArray[np.bool_], NDArray[np.int8]]:
    """Per patient: (sub-scores [P, 7] in News2Param order, total, present bit mask, any 3, band).

    ``source_codes[k]`` is the reading code feeding News2Param k; ``spo2_scale`` is 1 or 2.
    """
    n_patients = (offsets.size - 1) // n_codes
    sub = np.full((n_patients, N_PARAMS), MISSING, dtype=np.int8)
    total = np.zeros(n_patients, dtype=np.int16)
    present = np.zeros(n_patients, dtype=np.uint8)
    any_three = np.zeros(n_patients, dtype=np.bool_)
    band = np.empty(n_patients, dtype=np.int8)
    for p in range(n_patients):
        t_eval = eval_time[p]
        latest = np.empty(N_PARAMS, dtype=np.float64)
        for k in range(N_PARAMS):
            j = _latest_in_window(offsets, time, p * n_codes + source_codes[k], t_eval, window_s)
            latest[k] = value[j] if j >= 0 else np.nan
        oxygen = -1 if np.isnan(latest[2]) else int(latest[2])
        for k in range(N_PARAMS):
            v = latest[k]
            if np.isnan(v):
                continue
            if k == 0:
                score = score_respiratory_rate(v)
            elif k == 1:
                score = score_spo2_scale1(v) if spo2_scale[p] == 1 else score_spo2_scale2(v, oxygen)
            elif k == 2:
                score = 2 if oxygen == 1 else 0
            elif k == 3:
                score = score_systolic_bp(v)
            elif k == 4:
                score = score_pulse(v)
            elif k == 5:
                score = 0 if v == 0.0 else 3
            else:
                score = score_temperature(v)
            if score == MISSING:
                continue
            sub[p, k] = score
            total[p] += score
            present[p] |= np.uint8(1 << k)
            if score == 3:
                any_three[p] = True
        band[p] = news2_band(total[p], any_three[p], present[p])
    return sub, total, present, any_three, band
