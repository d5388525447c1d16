"""Reading arrays and their CSR index (sorted by patient, code, time) for the scoring kernels.

Layout: readings of one (patient, code) pair form a *series*; series index
``s = patient * n_codes + code``; after sorting, series s is ``offsets[s]:offsets[s+1]`` with times
ascending. Every (patient, code) pair has a series, empty or not, so per-series parameters are
plain arrays of length ``n_patients * n_codes`` indexed the same way.

Patient indices are dense small integers (0..n_patients-1) that the caller maps to patient ids;
times are epoch seconds (float64); values are in the metric's UCUM unit and must be finite.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from dho.scoring.codes import N_CODES
from dho.scoring.sorting import check_kernel, sort_kernel, sorted_offsets_kernel

_T = TypeVar("_T", bound=np.generic)


def _kernel_ready(a: ArrayLike, dtype: type[np.generic]) -> NDArray[Any]:
    """Writeable C-contiguous array of dtype (copies only when needed), as the kernel signatures need."""
    return np.require(np.asarray(a, dtype=dtype), requirements=["C", "W"])


@dataclass(frozen=True, slots=True)
class ReadingArrays:
    """Readings in any order, one entry per reading (arrays of equal length)."""

    patient: NDArray[np.int32]  # dense patient index
    metric: NDArray[np.int8]  # Metric or Observation code
    time: NDArray[np.float64]  # epoch seconds
    value: NDArray[np.float64]  # UCUM unit of the metric

    def __post_init__(self) -> None:
        # Normalise dtypes and contiguity once, so the eagerly compiled kernels always match.
        object.__setattr__(self, "patient", _kernel_ready(self.patient, np.int32))
        object.__setattr__(self, "metric", _kernel_ready(self.metric, np.int8))
        object.__setattr__(self, "time", _kernel_ready(self.time, np.float64))
        object.__setattr__(self, "value", _kernel_ready(self.value, np.float64))
        n = self.patient.size
        if any(a.ndim != 1 or a.size != n for a in (self.patient, self.metric, self.time, self.value)):
            raise ValueError("patient, metric, time and value must be 1-D arrays of equal length")
        p_min, c_min, c_max, finite = check_kernel(self.patient, self.metric, self.time, self.value)
        if p_min < 0 or c_min < 0:
            raise ValueError("patient indices and metric codes must be >= 0")
        if c_max >= N_CODES:
            raise ValueError(f"metric codes must be < {N_CODES}")
        if not finite:
            raise ValueError("times and values must be finite")

    @classmethod
    def from_columns(cls, patient: ArrayLike, metric: ArrayLike, time: ArrayLike, value: ArrayLike) -> ReadingArrays:
        """Build from any array-likes (lists, arrays of other dtypes); converts and validates."""
        return cls(
            np.asarray(patient, dtype=np.int32),
            np.asarray(metric, dtype=np.int8),
            np.asarray(time, dtype=np.float64),
            np.asarray(value, dtype=np.float64),
        )

    @property
    def n(self) -> int:
        return int(self.time.size)

    def sort_and_index(self, n_patients: int | None = None) -> SortedReadings:
        """Stable sort by (patient, code, time) and CSR offsets; O(n) when already sorted.

        ``n_patients`` defaults to ``max(patient) + 1``; pass it to get a fixed series layout.
        The result may share memory with these arrays when they are already sorted.
        """
        needed = int(self.patient.max()) + 1 if self.n else 0
        if n_patients is None:
            n_patients = needed
        elif n_patients < needed:
            raise ValueError(f"n_patients={n_patients} but patient index {needed - 1} occurs")
        n_series = n_patients * N_CODES
        offsets = sorted_offsets_kernel(self.patient, self.metric, self.time, N_CODES, n_series)
        if offsets.size:  # already sorted
            return SortedReadings(offsets, self.time, self.value, np.arange(self.n, dtype=np.int64), n_patients)
        order, offsets, time, value = sort_kernel(self.patient, self.metric, self.time, self.value, N_CODES, n_series)
        return SortedReadings(offsets, time, value, order, n_patients)


@dataclass(frozen=True, slots=True)
class SortedReadings:
    """Readings sorted by series then time, with CSR offsets (see the module docstring)."""

    offsets: NDArray[np.int64]  # length n_series + 1
    time: NDArray[np.float64]
    value: NDArray[np.float64]
    order: NDArray[np.int64]  # order[j] = input position of sorted reading j
    n_patients: int
    n_codes: int = N_CODES
    # offsets as Python ints, made at the first readings_of: the rules ask for one series' slice at a time,
    # and indexing an array element by element costs more than the rest of the lookup
    _bounds: list[int] = field(init=False, repr=False, compare=False)

    @property
    def n_series(self) -> int:
        return self.n_patients * self.n_codes

    def series_index(self, patient: int, code: int) -> int:
        return patient * self.n_codes + code

    def readings_of(self, patient: int, code: int) -> slice:
        """Slice of the sorted arrays holding the series of (patient, code)."""
        try:
            bounds = self._bounds
        except AttributeError:
            bounds = self.offsets.tolist()
            object.__setattr__(self, "_bounds", bounds)
        s = patient * self.n_codes + code
        return slice(bounds[s], bounds[s + 1])

    def series_of_reading(self) -> NDArray[np.int64]:
        return np.repeat(np.arange(self.n_series, dtype=np.int64), np.diff(self.offsets))

    def code_of_reading(self) -> NDArray[np.int64]:
        return self.series_of_reading() % self.n_codes

    def patient_of_reading(self) -> NDArray[np.int64]:
        return self.series_of_reading() // self.n_codes

    def to_input_order(self, per_reading: NDArray[_T]) -> NDArray[_T]:
        """Reorder a per-reading result from sorted order back to the input order."""
        out = np.empty_like(per_reading)
        out[self.order] = per_reading
        return out


def per_series(
    n_patients: int, by_code: Mapping[int, float], default: float = np.nan, n_codes: int = N_CODES
) -> NDArray[np.float64]:
    """Per-series parameter array from one value per code (same for every patient)."""
    row = np.full(n_codes, default, dtype=np.float64)
    for code, v in by_code.items():
        row[code] = v
    return np.tile(row, n_patients)
