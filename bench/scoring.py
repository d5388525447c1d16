"""Throughput of the band + trend scoring pipeline: numba (compiled for a generic x86-64 CPU as in
production, and for this host's CPU) vs NumPy vs plain Python.

Run from the repository root: ``python -m bench.scoring`` (see bench/README.md for what is timed).
Writes bench/results/scoring.json and bench/results/scoring_ratios.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

# One core: "per core" numbers. Must be set before numba is imported (no kernel is parallel anyway).
os.environ.setdefault("NUMBA_NUM_THREADS", "1")

import numba
import numpy as np
from numpy.typing import NDArray

from dho.scoring import numpy_impl, reference
from dho.scoring.api import BandLimits, ReadingArrays, TrendParams, band_trend_pipeline, per_series
from dho.scoring.codes import N_CODES, Metric

RESULTS = Path(__file__).parent / "results"
SIZES = (10_000, 100_000, 1_000_000)
PYTHON_BUDGET_S = 60.0  # python runs a size only if the previous size predicts one run below this
READINGS_PER_SERIES = 120  # 60 days, morning and evening
INTERVAL_H = 12.0
JITTER_H = 1.0
T0 = 1.7e9  # epoch seconds, November 2023

# metric: (mean, SD, red_low, yellow_low, yellow_high, red_high, residual sigma)
METRICS: dict[Metric, tuple[float, float, float, float, float, float, float]] = {
    Metric.SPO2: (94.0, 2.0, 88.0, 92.0, np.nan, np.nan, 2.0),
    Metric.HEART_RATE: (75.0, 8.0, 40.0, 50.0, 100.0, 120.0, 8.0),
    Metric.SYSTOLIC_BP: (130.0, 12.0, 90.0, 100.0, 160.0, 180.0, 12.0),
    Metric.BODY_WEIGHT: (80.0, 0.5, np.nan, np.nan, np.nan, np.nan, 0.5),
}
PARAMS = TrendParams(rolling_sd_floor=0.5)


@dataclass(frozen=True)
class Workload:
    patient: NDArray[np.int32]
    metric: NDArray[np.int8]
    time: NDArray[np.float64]
    value: NDArray[np.float64]
    n_patients: int
    limits: BandLimits
    sigma: NDArray[np.float64]


def make_workload(n: int, presorted: bool, seed: int = 20261127) -> Workload:
    """n readings: 4 metrics per patient, 120 readings per series every 8 h +- 1 h, sorted or shuffled."""
    rng = np.random.default_rng(seed)
    codes = np.array(list(METRICS), dtype=np.int8)
    n_series = -(-n // READINGS_PER_SERIES)
    n_patients = -(-n_series // codes.size)
    series = np.arange(n) // READINGS_PER_SERIES
    position = np.arange(n) % READINGS_PER_SERIES
    patient = (series // codes.size).astype(np.int32)
    metric = codes[series % codes.size]
    jitter = rng.uniform(-JITTER_H, JITTER_H, n) * 3600.0
    time_s = T0 + position * INTERVAL_H * 3600.0 + jitter
    stats = np.array([METRICS[Metric(c)] for c in codes])
    mean, sd = stats[series % codes.size, 0], stats[series % codes.size, 1]
    value = np.round(mean + sd * rng.standard_normal(n), 1)
    if not presorted:
        shuffle = rng.permutation(n)
        patient, metric, time_s, value = patient[shuffle], metric[shuffle], time_s[shuffle], value[shuffle]
    limits = BandLimits(*(per_series(n_patients, {c: METRICS[Metric(c)][k] for c in codes}) for k in range(2, 6)))
    sigma = per_series(n_patients, {c: METRICS[Metric(c)][6] for c in codes})
    return Workload(patient, metric, time_s, value, n_patients, limits, sigma)


def run_numba(w: Workload) -> object:
    sorted_readings = ReadingArrays(w.patient, w.metric, w.time, w.value).sort_and_index(w.n_patients)
    return band_trend_pipeline(sorted_readings, w.limits, PARAMS, w.sigma)


def run_numpy(w: Workload) -> object:
    r = ReadingArrays(w.patient, w.metric, w.time, w.value)  # same validation as the numba path
    _, offsets, t, v = numpy_impl.sort_and_index(r.patient, r.metric, r.time, r.value, w.n_patients, N_CODES)
    return numpy_impl.band_trend_pipeline(offsets, t, v, *_pipeline_args(w, np.asarray))


def _pipeline_args(w: Workload, convert: Callable[[NDArray[np.float64]], Any]) -> tuple[Any, ...]:
    limits = (w.limits.red_low, w.limits.yellow_low, w.limits.yellow_high, w.limits.red_high)
    return (
        tuple(convert(x) for x in limits),
        convert(w.sigma),
        PARAMS.half_life_h,
        PARAMS.cusum_k,
        PARAMS.change_window_h * 3600.0,
        PARAMS.rolling_window_h * 3600.0,
        PARAMS.rolling_k,
        PARAMS.rolling_min_prior,
        PARAMS.rolling_sd_floor,
    )


def python_runner(w: Workload) -> Callable[[], object]:
    """The reference on Python lists; converting the arrays to lists is not timed."""
    patient, metric, t, v = w.patient.tolist(), w.metric.tolist(), w.time.tolist(), w.value.tolist()
    args = _pipeline_args(w, lambda a: a.tolist())

    def run() -> object:
        order, offsets = reference.sort_and_index(patient, metric, t, w.n_patients, N_CODES)
        return reference.band_trend_pipeline(
            offsets,
            [t[i] for i in order],
            [v[i] for i in order],
            *args,
        )

    return run


def best_time(fn: Callable[[], object], repeats: int) -> float:
    fn()  # warm-up (caches, page faults), not counted
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


# Production sets NUMBA_CPU_NAME=generic (a Lambda may run on any x86 generation); "host" compiles for
# this machine's CPU. Each runs in its own process: numba reads the variable once, at import.
CPU_NAMES = ("generic", "host")


def numba_rows(repeats: int) -> list[dict[str, Any]]:
    """The numba cases only, in this process (its NUMBA_CPU_NAME)."""
    cpu_name = os.environ.get("NUMBA_CPU_NAME", "host")
    rows: list[dict[str, Any]] = []
    for presorted in (True, False):
        for n in SIZES:
            seconds = best_time(partial(run_numba, make_workload(n, presorted)), repeats)
            rows.append({"impl": "numba", "cpu_name": cpu_name, "n": n, "presorted": presorted,
                         "readings_per_s": n / seconds})
    return rows


def numba_rows_in_subprocess(cpu_name: str, repeats: int) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CPU_NAME"}
    if cpu_name != "host":
        env["NUMBA_CPU_NAME"] = cpu_name
    out = subprocess.run([sys.executable, "-m", "bench.scoring", "--numba-only", "--repeats", str(repeats)],
                         env=env, check=True, capture_output=True, text=True).stdout
    rows: list[dict[str, Any]] = json.loads(out.strip().splitlines()[-1])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats for numba/numpy (best kept)")
    parser.add_argument("--python-repeats", type=int, default=2)
    parser.add_argument("--numba-only", action="store_true", help=argparse.SUPPRESS)  # one CPU name's run
    args = parser.parse_args()
    if args.numba_only:
        print(json.dumps(numba_rows(args.repeats)))
        return
    print("load average (1, 5, 15 min) at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    rows: list[dict[str, Any]] = []
    for cpu_name in CPU_NAMES:
        for row in numba_rows_in_subprocess(cpu_name, args.repeats):
            rows.append(row)
            print(f"numba/{cpu_name:7s} n={row['n']:>9,d} presorted={row['presorted']!s:5s} "
                  f"{row['readings_per_s'] / 1e6:9.3f} M readings/s")
    for presorted in (True, False):
        python_allowed = True
        for n in SIZES:
            w = make_workload(n, presorted)
            runners: list[tuple[str, Callable[[], object], int]] = [("numpy", partial(run_numpy, w), args.repeats)]
            if python_allowed:
                runners.append(("python", python_runner(w), args.python_repeats))
            for impl, fn, repeats in runners:
                seconds = best_time(fn, repeats)
                rows.append({"impl": impl, "n": n, "presorted": presorted, "readings_per_s": n / seconds})
                print(f"{impl:13s} n={n:>9,d} presorted={presorted!s:5s} {n / seconds / 1e6:9.3f} M readings/s")
                if impl == "python":
                    python_allowed = seconds * 10 <= PYTHON_BUDGET_S
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "scoring.json").write_text(json.dumps(rows, indent=2) + "\n")
    (RESULTS / "scoring_ratios.json").write_text(json.dumps(_ratios(rows), indent=2) + "\n")
    print(f"numba {numba.__version__}, numpy {np.__version__}, python {platform.python_version()}")
    print("load average (1, 5, 15 min) at end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


def _ratios(rows: list[dict[str, Any]]) -> list[dict[str, object]]:
    """Per size and order: numba (generic, as production runs it) over NumPy and over Python, and the host
    CPU's numba over generic."""
    rate = {(r["impl"], r.get("cpu_name"), r["n"], r["presorted"]): float(r["readings_per_s"]) for r in rows}
    out: list[dict[str, object]] = []
    for presorted in (True, False):
        for n in SIZES:
            generic = rate[("numba", "generic", n, presorted)]
            python_rate = rate.get(("python", None, n, presorted))
            out.append(
                {
                    "n": n,
                    "presorted": presorted,
                    "numba_over_numpy": generic / rate[("numpy", None, n, presorted)],
                    "numba_over_python": None if python_rate is None else generic / python_rate,
                    "host_over_generic": rate[("numba", "host", n, presorted)] / generic,
                }
            )
    return out


if __name__ == "__main__":
    main()
