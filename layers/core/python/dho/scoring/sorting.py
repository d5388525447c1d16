"""Numba kernel: sort readings by (patient, code, time) and build CSR offsets.

Series index of a reading = ``patient * n_codes + code``. Patient indices are dense, small
integers assigned by the caller (0..n_patients-1), not patient ids, so a counting sort by series
is O(n). Within a series the readings are then stably sorted by time: a series already in time
order (the usual case: devices send in order) costs one check; otherwise a bottom-up merge sort
(insertion sort on runs of 16). The whole sort is stable, so it gives the same permutation as
``np.lexsort((time, code, patient))``.

Already-sorted input is detected in one pass and costs no permutation at all.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

_RUN = 16  # insertion-sort run length before merging


@njit(
    "boolean(int32[::1], int8[::1], float64[::1], int64)",
    cache=False,
    nogil=True,
)
def is_sorted_kernel(
    patient: NDArray[np.int32], code: NDArray[np.int8], time: NDArray[np.float64], n_codes: int
) -> bool:
    """True if readings are ordered by (patient, code) and by time within each (patient, code)."""
    for i in range(1, time.size):
        prev_key = np.int64(patient[i - 1]) * n_codes + code[i - 1]
        key = np.int64(patient[i]) * n_codes + code[i]
        if key < prev_key or (key == prev_key and time[i] < time[i - 1]):
            return False
    return True


@njit(
    "int64[::1](int32[::1], int8[::1], int64, int64)",
    cache=False,
    nogil=True,
)
def offsets_kernel(
    patient: NDArray[np.int32], code: NDArray[np.int8], n_codes: int, n_series: int
) -> NDArray[np.int64]:
    """CSR offsets (length n_series + 1) from the per-series reading counts."""
    offsets = np.zeros(n_series + 1, dtype=np.int64)
    for i in range(patient.size):
        offsets[np.int64(patient[i]) * n_codes + code[i] + 1] += 1
    for s in range(n_series):
        offsets[s + 1] += offsets[s]
    return offsets


@njit(cache=False, nogil=True)
def _stable_sort_run(
    t: NDArray[np.float64],
    idx: NDArray[np.int64],
    tmp_t: NDArray[np.float64],
    tmp_i: NDArray[np.int64],
    lo: int,
    hi: int,
) -> None:
    """Stable sort of t[lo:hi] (carrying idx along) using tmp_t/tmp_i as scratch."""
    # Insertion sort on runs: fast for the short or nearly sorted series devices produce.
    for a in range(lo, hi, _RUN):
        b = min(a + _RUN, hi)
        for j in range(a + 1, b):
            tj = t[j]
            ij = idx[j]
            m = j - 1
            while m >= a and t[m] > tj:  # strict: equal times keep input order (stable)
                t[m + 1] = t[m]
                idx[m + 1] = idx[m]
                m -= 1
            t[m + 1] = tj
            idx[m + 1] = ij
    width = _RUN
    src_t, src_i, dst_t, dst_i = t, idx, tmp_t, tmp_i
    in_scratch = False
    while width < hi - lo:
        for a in range(lo, hi, 2 * width):
            mid = min(a + width, hi)
            b = min(a + 2 * width, hi)
            p, q, k = a, mid, a
            while p < mid and q < b:
                if src_t[q] < src_t[p]:  # take the left one on ties (stable)
                    dst_t[k] = src_t[q]
                    dst_i[k] = src_i[q]
                    q += 1
                else:
                    dst_t[k] = src_t[p]
                    dst_i[k] = src_i[p]
                    p += 1
                k += 1
            while p < mid:
                dst_t[k] = src_t[p]
                dst_i[k] = src_i[p]
                p += 1
                k += 1
            while q < b:
                dst_t[k] = src_t[q]
                dst_i[k] = src_i[q]
                q += 1
                k += 1
        src_t, src_i, dst_t, dst_i = dst_t, dst_i, src_t, src_i
        in_scratch = not in_scratch
        width *= 2
    if in_scratch:
        for k in range(lo, hi):
            t[k] = tmp_t[k]
            idx[k] = tmp_i[k]


@njit(
    "Tuple((int64[::1], int64[::1], float64[::1], float64[::1]))"
    "(int32[::1], int8[::1], float64[::1], float64[::1], int64, int64)",
    cache=False,
    nogil=True,
)
def sort_kernel(
    patient: NDArray[np.int32],
    code: NDArray[np.int8],
    time: NDArray[np.float64],
    value: NDArray[np.float64],
    n_codes: int,
    n_series: int,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.float64], NDArray[np.float64]]:
    """Return (order, offsets, sorted time, sorted value); ``order[j]`` = input position of reading j."""
    n = time.size
    offsets = offsets_kernel(patient, code, n_codes, n_series)
    # Counting sort by series (stable: input order kept inside a series).
    fill = offsets[:-1].copy()
    order = np.empty(n, dtype=np.int64)
    for i in range(n):
        s = np.int64(patient[i]) * n_codes + code[i]
        order[fill[s]] = i
        fill[s] += 1
    sorted_time = np.empty(n, dtype=np.float64)
    for j in range(n):
        sorted_time[j] = time[order[j]]
    tmp_t = np.empty(0, dtype=np.float64)
    tmp_i = np.empty(0, dtype=np.int64)
    for s in range(n_series):
        lo = offsets[s]
        hi = offsets[s + 1]
        in_order = True
        for j in range(lo + 1, hi):
            if sorted_time[j] < sorted_time[j - 1]:
                in_order = False
                break
        if not in_order:
            if tmp_t.size == 0:  # scratch allocated once, only if some series needs sorting
                tmp_t = np.empty(n, dtype=np.float64)
                tmp_i = np.empty(n, dtype=np.int64)
            _stable_sort_run(sorted_time, order, tmp_t, tmp_i, lo, hi)
    sorted_value = np.empty(n, dtype=np.float64)
    for j in range(n):
        sorted_value[j] = value[order[j]]
    return order, offsets, sorted_time, sorted_value
