"""Numba kernel: green/yellow/red band of each reading against its series' personal limits.

Edge convention (the same for every metric): a limit is the last acceptable value of the milder
band, so a reading exactly on a limit gets the milder band.

* ``value < red_low`` or ``value > red_high``       -> RED (2)
* else ``value < yellow_low`` or ``value > yellow_high`` -> YELLOW (1)
* else                                            -> GREEN (0)

A NaN limit means "no limit on that side" (comparisons with NaN are false). Limits relative to a
personal baseline are turned into absolute limits by the caller (``BandLimits.relative_to_baseline``
in ``dho.scoring.api``), so this kernel has one job and one convention.
"""

from __future__ import annotations

import numpy as np
from numba import njit
from numpy.typing import NDArray

from dho.scoring.uindex import u


@njit(
    "void(int64[::1], float64[::1], float64[::1], float64[::1], float64[::1], float64[::1], int8[::1])",
    cache=False,
    nogil=True,
    boundscheck=False,
    error_model="numpy",
)
def classify_bands_kernel(
    offsets: NDArray[np.int64],
    value: NDArray[np.float64],
    red_low: NDArray[np.float64],
    yellow_low: NDArray[np.float64],
    yellow_high: NDArray[np.float64],
    red_high: NDArray[np.float64],
    band: NDArray[np.int8],
) -> None:
    """Band per reading written into ``band`` (int8, sorted order, allocated by the caller);
    limits are per series (length n_series)."""
    for s in range(offsets.size - 1):
        rl = red_low[s]
        yl = yellow_low[s]
        yh = yellow_high[s]
        rh = red_high[s]
        for j in range(offsets[s], offsets[s + 1]):
            v = value[u(j)]
            red = (v < rl) | (v > rh)
            yellow = (v < yl) | (v > yh)
            band[u(j)] = np.int8(red) + np.int8(red | yellow)  # 2 if red else 1 if yellow else 0 (SIMD)
