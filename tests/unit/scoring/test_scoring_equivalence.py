"""numba kernels == plain-Python reference == NumPy version, on many random inputs (hypothesis).

Floats: assert_allclose rtol 1e-9 with NaN positions equal; ints and bools exactly. The NumPy EWMA
uses NumPy's expm1, which can differ from the C library's by one ulp, so NumPy results derived from
the EWMA (ewma, residual, CUSUM) also get an absolute tolerance of 1e-9.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.typing import NDArray

from dho.scoring import numpy_impl, reference
from dho.scoring.api import BandLimits, ReadingArrays, SortedReadings, TrendParams, classify_bands, news2, trends
from dho.scoring.codes import N_CODES, Acvpu, Observation
from dho.scoring.trends import slope_and_change_kernel

HOUR = 3600.0
SETTINGS = settings(max_examples=200, deadline=None)
EWMA_DERIVED = {"ewma", "residual", "cusum_up", "cusum_down"}


@dataclass(frozen=True)
class Case:
    patient: list[int]
    code: list[int]
    time: list[float]
    value: list[float]
    n_patients: int

    def arrays(self) -> ReadingArrays:
        return ReadingArrays.from_columns(self.patient, self.code, self.time, self.value)


VALUES = st.one_of(
    st.integers(80, 100).map(float),  # whole % like SpO2: many ties and identical windows
    st.integers(0, 400).map(lambda v: v / 10),  # one decimal
    st.floats(-1e4, 1e4, allow_nan=False, allow_subnormal=False),
)


@st.composite
def cases(draw: st.DrawFn, codes: list[int] | None = None, max_size: int = 60) -> Case:
    n_patients = draw(st.integers(1, 3))
    code_pool = codes or draw(st.lists(st.integers(0, N_CODES - 1), min_size=1, max_size=3, unique=True))
    step = draw(st.sampled_from([HOUR, 6 * HOUR, 24 * HOUR]))
    n = draw(st.integers(0, max_size))
    patient = draw(st.lists(st.integers(0, n_patients - 1), min_size=n, max_size=n))
    code = draw(st.lists(st.sampled_from(code_pool), min_size=n, max_size=n))
    ticks = draw(st.lists(st.integers(0, 60), min_size=n, max_size=n))  # ties and exact window edges
    value = draw(st.lists(VALUES, min_size=n, max_size=n))
    if draw(st.booleans()):  # also exercise the presorted fast path
        rows = sorted(zip(patient, code, ticks, value, strict=True), key=lambda r: (r[0], r[1], r[2]))
        patient, code, ticks, value = (list(c) for c in zip(*rows, strict=True)) if rows else ([], [], [], [])
    time = [1.7e9 + t * step for t in ticks]
    return Case(patient, code, time, value, n_patients)


@st.composite
def limits_for(draw: st.DrawFn, n_series: int) -> BandLimits:
    rows = []
    for _ in range(n_series):
        quad = sorted(draw(st.lists(st.integers(0, 200).map(float), min_size=4, max_size=4)))
        rows.append([v if draw(st.booleans()) else math.nan for v in quad])
    cols = np.array(rows, dtype=np.float64).reshape(n_series, 4).T
    return BandLimits(*(np.ascontiguousarray(c) for c in cols))


PARAMS = st.builds(
    TrendParams,
    half_life_h=st.sampled_from([0.5, 1.0, 24.0, 72.0, 1000.0]),
    cusum_k=st.sampled_from([0.0, 0.5, 1.0]),
    change_window_h=st.sampled_from([0.0, 1.0, 12.0, 72.0, 168.0]),
    rolling_window_h=st.sampled_from([0.0, 6.0, 24.0, 168.0]),
    rolling_k=st.sampled_from([0.0, 1.0, 1.645]),
    rolling_min_prior=st.sampled_from([2, 3, 5]),
    rolling_sd_floor=st.sampled_from([0.0, 0.5]),
)


def sigma_for(draw: Callable[[st.SearchStrategy[Any]], Any], n_series: int) -> NDArray[np.float64]:
    return np.array(draw(st.lists(st.sampled_from([math.nan, 0.0, 0.5, 2.0]), min_size=n_series, max_size=n_series)))


def assert_same(got: NDArray[Any], expected: list[Any], *, atol: float = 0.0, name: str = "") -> None:
    want = np.array(expected, dtype=got.dtype)
    if got.dtype.kind == "f":
        np.testing.assert_array_equal(np.isnan(got), np.isnan(want), err_msg=f"{name}: NaN positions")
        np.testing.assert_allclose(got, want, rtol=1e-9, atol=atol, err_msg=name)
    else:
        np.testing.assert_array_equal(got, want, err_msg=name)


def reference_pipeline(
    s: SortedReadings, limits: BandLimits, p: TrendParams, sigma: NDArray[np.float64]
) -> dict[str, list[Any]]:
    return reference.band_trend_pipeline(
        s.offsets.tolist(),
        s.time.tolist(),
        s.value.tolist(),
        (limits.red_low.tolist(), limits.yellow_low.tolist(), limits.yellow_high.tolist(), limits.red_high.tolist()),
        sigma.tolist(),
        p.half_life_h,
        p.cusum_k,
        p.change_window_h * HOUR,
        p.rolling_window_h * HOUR,
        p.rolling_k,
        p.rolling_min_prior,
        p.rolling_sd_floor,
    )


@SETTINGS
@given(cases())
def test_given_random_readings_when_sorted_then_numba_and_numpy_match_reference_order(case: Case) -> None:
    s = case.arrays().sort_and_index(case.n_patients)
    order, offsets = reference.sort_and_index(case.patient, case.code, case.time, case.n_patients, N_CODES)
    assert s.order.tolist() == order
    assert s.offsets.tolist() == offsets
    assert s.time.tolist() == [case.time[i] for i in order]
    assert s.value.tolist() == [case.value[i] for i in order]
    r = case.arrays()
    np_order, np_offsets, np_time, _ = numpy_impl.sort_and_index(
        r.patient, r.metric, r.time, r.value, case.n_patients, N_CODES
    )
    assert np_order.tolist() == order and np_offsets.tolist() == offsets and np_time.tolist() == s.time.tolist()


@SETTINGS
@given(st.data())
def test_given_random_series_when_band_and_trend_pipeline_then_numba_and_numpy_match_reference(
    data: st.DataObject,
) -> None:
    case = data.draw(cases())
    s = case.arrays().sort_and_index(case.n_patients)
    limits = data.draw(limits_for(s.n_series))
    p = data.draw(PARAMS)
    sigma = sigma_for(data.draw, s.n_series)
    want = reference_pipeline(s, limits, p, sigma)

    got_trends = trends(s, p, sigma)
    got = {"band": classify_bands(s, limits), **{k: getattr(got_trends, k) for k in want if k != "band"}}
    np_got = numpy_impl.band_trend_pipeline(
        s.offsets,
        s.time,
        s.value,
        limits.validated(s.n_series),
        sigma,
        p.half_life_h,
        p.cusum_k,
        p.change_window_h * HOUR,
        p.rolling_window_h * HOUR,
        p.rolling_k,
        p.rolling_min_prior,
        p.rolling_sd_floor,
    )
    for name, expected in want.items():
        assert_same(got[name], expected, name=f"numba {name}")
        assert_same(np_got[name], expected, atol=1e-9 if name in EWMA_DERIVED else 0.0, name=f"numpy {name}")


@SETTINGS
@given(cases(), st.sampled_from([0.0, 1.0, 24.0, 72.0, 200.0]))
def test_given_random_series_when_slope_and_change_kernel_then_matches_reference(case: Case, window_h: float) -> None:
    s = case.arrays().sort_and_index(case.n_patients)
    slope, change = slope_and_change_kernel(s.offsets, s.time, s.value, window_h * HOUR)
    want_slope, want_change = reference.slope_and_change(
        s.offsets.tolist(), s.time.tolist(), s.value.tolist(), window_h * HOUR
    )
    assert_same(slope, want_slope, name="slope")
    assert_same(change, want_change, name="change")


@st.composite
def long_series(draw: st.DrawFn) -> SortedReadings:
    """One long series: the sliding-window fast path runs with its anchor far behind reading j.

    Gaps include 0 (ties) and ones that make window edges land exactly on readings; values are a
    large common level plus a scaled integer noise (ties, identical windows, cancellation).
    """
    n = draw(st.integers(2, 300))
    gaps_h = draw(st.lists(st.sampled_from([0.0, 0.5, 6.0, 11.0, 12.0, 13.0, 24.0]), min_size=n, max_size=n))
    level = draw(st.sampled_from([0.0, 94.0, 1e4, -3e3]))
    scale = draw(st.sampled_from([1e-6, 0.1, 1.0, 50.0]))
    noise = draw(st.lists(st.integers(-20, 20), min_size=n, max_size=n))
    time = 1.7e9 + np.cumsum(gaps_h) * HOUR
    value = level + scale * np.array(noise, dtype=np.float64)
    return ReadingArrays.from_columns([0] * n, [0] * n, time, value).sort_and_index()


@settings(max_examples=100, deadline=None)
@given(long_series(), PARAMS)
def test_given_long_series_when_trended_then_sliding_windows_match_reference(s: SortedReadings, p: TrendParams) -> None:
    got = trends(s, p, sigma=1.0)
    offsets, time, value = s.offsets.tolist(), s.time.tolist(), s.value.tolist()
    want_slope, want_change = reference.slope_and_change(offsets, time, value, p.change_window_h * HOUR)
    want_below = reference.below_rolling_mean(
        offsets, time, value, p.rolling_window_h * HOUR, p.rolling_k, p.rolling_min_prior, p.rolling_sd_floor
    )
    assert_same(got.slope_per_day, want_slope, name="slope")
    assert_same(got.change, want_change, name="change")
    assert_same(got.below_rolling_mean, want_below, name="below_rolling_mean")


def test_given_benchmark_like_series_when_trended_then_matches_reference() -> None:
    """Jittered 12-hourly readings (0, 1 or 2 leave a window per reading), realistic values."""
    rng = np.random.default_rng(3)
    n = 3000
    time = 1.7e9 + np.arange(n) * 12 * HOUR + rng.uniform(-HOUR, HOUR, n)
    value = np.round(94.0 + 2.0 * rng.standard_normal(n), 1)
    s = ReadingArrays.from_columns([0] * n, [0] * n, time, value).sort_and_index()
    p = TrendParams(rolling_sd_floor=0.5)
    got = trends(s, p, sigma=2.0)
    want = reference_pipeline(s, BandLimits.none(s.n_series), p, np.full(s.n_series, 2.0))
    for name, expected in want.items():
        if name != "band":
            assert_same(getattr(got, name), expected, name=name)


NEWS2_CODES = [0, 1, 2, 3, 6, Observation.SUPPLEMENTAL_OXYGEN, Observation.CONSCIOUSNESS]


@st.composite
def news2_cases(draw: st.DrawFn) -> Case:
    case = draw(cases(codes=NEWS2_CODES))
    value = []
    for code in case.code:
        if code == Observation.CONSCIOUSNESS:
            value.append(float(draw(st.sampled_from(list(Acvpu)))))
        elif code == Observation.SUPPLEMENTAL_OXYGEN:
            value.append(float(draw(st.integers(0, 1))))
        else:  # half steps from 20 to 250 hit every chart edge and the points between them
            value.append(draw(st.integers(40, 500)) / 2)
    return Case(case.patient, case.code, case.time, value, case.n_patients)


@SETTINGS
@given(st.data())
def test_given_random_vitals_when_news2_then_numba_matches_reference(data: st.DataObject) -> None:
    case = data.draw(news2_cases())
    n_p = case.n_patients
    eval_time = [1.7e9 + data.draw(st.integers(0, 60)) * HOUR for _ in range(n_p)]
    window_h = data.draw(st.sampled_from([0.0, 1.0, 6.0, 24.0, 1000.0]))
    scale = data.draw(st.lists(st.sampled_from([1, 2]), min_size=n_p, max_size=n_p))
    got = news2(case.arrays().sort_and_index(n_p), eval_time=eval_time, window_h=window_h, spo2_scale=scale)
    want = reference.news2(case.patient, case.code, case.time, case.value, n_p, eval_time, window_h * HOUR, scale)
    for p, (subs, total, present, any_three, band) in enumerate(want):
        assert got.subscores[p].tolist() == [-1 if s is None else s for s in subs]
        assert (int(got.total[p]), int(got.present[p]), bool(got.any_three[p]), int(got.band[p])) == (
            total,
            present,
            any_three,
            band,
        )
