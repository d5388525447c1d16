"""The EWMA alphas the trend kernel computes are the C library's expm1 bit for bit on every platform:
through the branch-free port where this process's libm was found to match it (``LIBM_MATCH``), through the
libm call elsewhere. Checked through the kernel's own alpha loop, so no test depends on the platform."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from dho.scoring import reference
from dho.scoring.api import SortedReadings, trends
from dho.scoring.expm1 import check_points, expm1_nonpositive_array
from dho.scoring.trends import _ewma_alphas


def libm_expm1(x: np.ndarray) -> np.ndarray:
    return np.array([math.expm1(v) for v in x.tolist()])


def kernel_expm1(x: np.ndarray) -> np.ndarray:
    """expm1(x), x <= 0, as the kernel's alpha loop computes it: with lam = 1 and times 0, -x pairwise, the
    argument of reading 2i + 1 is exactly x[i] (alpha = -expm1(x[i]); negation is exact)."""
    time = np.zeros(2 * x.size)
    time[1::2] = -x
    alpha = np.empty_like(time)
    _ewma_alphas(time, 1.0, alpha)
    return -alpha[1::2]


def port(x: np.ndarray) -> np.ndarray:
    out = np.empty_like(x)
    expm1_nonpositive_array(np.ascontiguousarray(x, dtype=np.float64), out)
    return out


def assert_bitwise_equal(got: np.ndarray, want: np.ndarray, x: np.ndarray) -> None:
    differs = got.view(np.int64) != want.view(np.int64)
    bad = x[differs][:5].tolist(), got[differs][:5].tolist(), want[differs][:5].tolist()
    assert not differs.any(), "x, port, libm: {} {} {}".format(*bad)


def test_given_dense_grid_and_branch_edges_when_expm1_then_bitwise_equal_to_libm() -> None:
    x = check_points()
    assert_bitwise_equal(kernel_expm1(x), libm_expm1(x), x)


def test_given_one_million_random_arguments_when_expm1_then_bitwise_equal_to_libm() -> None:
    rng = np.random.default_rng(7)
    x = -np.concatenate(
        [
            rng.uniform(0.0, 45.0, 400_000),  # every k of the range reduction, and -1 beyond 56 ln 2
            rng.uniform(0.0, 1.0, 400_000) * 2.0 ** rng.integers(-70, 10, 400_000),  # all magnitudes
            rng.uniform(0.0, 0.7, 200_000),  # |x| < ln 2: the k = 0 / k = -1 branches
        ]
    )
    assert_bitwise_equal(kernel_expm1(x), libm_expm1(x), x)


@settings(max_examples=2000, deadline=None)
@given(st.floats(min_value=-800.0, max_value=0.0, allow_nan=False))
def test_given_any_nonpositive_argument_when_expm1_then_bitwise_equal_to_libm(v: float) -> None:
    x = np.array([v])
    assert_bitwise_equal(kernel_expm1(x), libm_expm1(x), x)


def test_given_special_arguments_when_expm1_then_as_libm() -> None:
    x = np.array([0.0, -0.0, -np.inf, -5e-324, -1e-300, -1000.0])
    got = port(x)
    assert got.tolist() == [0.0, 0.0, -1.0, -5e-324, -1e-300, -1.0]
    assert math.copysign(1.0, got[1]) == -1.0  # -0.0 stays -0.0 (alpha = +0.0)
    assert math.isnan(port(np.array([np.nan]))[0])


def test_given_times_not_ascending_when_trended_then_ewma_still_equals_reference() -> None:
    """Positive expm1 arguments (only possible if SortedReadings is built by hand) use libm."""
    time = np.array([1.7e9, 1.7e9 + 7200.0, 1.7e9 + 3600.0, 1.7e9 - 86400.0, 1.7e9 + 1e5])
    value = np.array([94.0, 95.5, 93.0, 97.0, 96.0])
    offsets = np.zeros(11, dtype=np.int64)
    offsets[1:] = time.size  # one series (patient 0, code 0)
    s = SortedReadings(offsets, time, value, np.arange(time.size), n_patients=1)
    got = trends(s, sigma=2.0)
    want_ewma, want_residual = reference.ewma(offsets.tolist(), time.tolist(), value.tolist(), 72.0)
    assert got.ewma.tolist() == want_ewma
    assert got.residual[1:].tolist() == want_residual[1:]
