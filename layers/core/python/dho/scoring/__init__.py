"""Scoring engine: numba kernels for bands, NEWS2 and trends on CSR reading arrays.

Importing this package is cheap (codes only). The kernels compile when ``dho.scoring.api`` (the
typed public API) is imported, which a Lambda function should do at init time.

Modules: ``codes`` (Metric and other codes), ``arrays`` (ReadingArrays -> SortedReadings),
``sorting``/``bands``/``news2``/``trends`` (numba kernels), ``reference`` (plain-Python definition
of every kernel), ``numpy_impl`` (vectorised NumPy version, the benchmark baseline), ``api``.
"""

from dho.scoring.codes import (
    METRIC_BY_NAME,
    N_CODES,
    NEWS2_SOURCE_CODES,
    Acvpu,
    Band,
    Metric,
    News2Band,
    News2Param,
    Observation,
    Spo2Scale,
)

__all__ = [
    "METRIC_BY_NAME",
    "NEWS2_SOURCE_CODES",
    "N_CODES",
    "Acvpu",
    "Band",
    "Metric",
    "News2Band",
    "News2Param",
    "Observation",
    "Spo2Scale",
]
