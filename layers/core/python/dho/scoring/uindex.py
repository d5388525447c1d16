"""``u(i)``: an array index as unsigned, so numba drops its negative-index wraparound code.

numba wraps negative signed indices (``a[-1]``) even with ``boundscheck=False``: three extra
instructions per access, some on the serial chains of the sliding-window loops (window pointer ->
load -> compare -> pointer). The kernels' indices are never negative; indexing with ``a[u(i)]``
compiles to a plain load or store (measured: the trend kernel 25-30 % faster). Only the index is
cast: arithmetic stays in int64 (mixing int64 and uint64 in numba gives float64).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(inline="always")
def u(i: int) -> np.uint64:
    """i (>= 0) as uint64, for indexing."""
    return np.uint64(i)
