"""Codes and reading arrays: metric names, validation, mapping results back to input order."""

from __future__ import annotations

import numpy as np
import pytest

from dho.scoring import METRIC_BY_NAME, Metric
from dho.scoring.api import ReadingArrays
from dho.scoring.codes import N_CODES, Observation

PLATFORM_METRIC_NAMES = [
    "spo2",
    "heart_rate",
    "respiratory_rate",
    "systolic_bp",
    "diastolic_bp",
    "body_weight",
    "body_temperature",
    "blood_glucose",
]


@pytest.mark.parametrize("name", PLATFORM_METRIC_NAMES)
def test_given_platform_metric_name_when_mapped_then_round_trips(name: str) -> None:
    metric = Metric.from_name(name)
    assert METRIC_BY_NAME[name] is metric
    assert metric.wire_name == name == metric.name.lower()


def test_given_metric_enum_when_listed_then_exactly_the_platform_metrics() -> None:
    assert [m.wire_name for m in Metric] == PLATFORM_METRIC_NAMES
    assert all(o.value >= len(Metric) for o in Observation)
    assert max(o.value for o in Observation) < N_CODES


def test_given_unknown_metric_name_when_mapped_then_rejected() -> None:
    with pytest.raises(ValueError, match="unknown metric"):
        Metric.from_name("weight")


def test_given_shuffled_readings_when_sorted_then_results_map_back_to_input_order() -> None:
    readings = ReadingArrays.from_columns([1, 0, 1, 0], [0, 5, 0, 5], [20.0, 10.0, 10.0, 0.0], [1.0, 2.0, 3.0, 4.0])
    s = readings.sort_and_index()
    assert s.value.tolist() == [4.0, 2.0, 3.0, 1.0]
    assert s.to_input_order(s.value).tolist() == readings.value.tolist()
    assert s.patient_of_reading().tolist() == [0, 0, 1, 1]
    assert s.code_of_reading().tolist() == [5, 5, 0, 0]
    assert s.value[s.readings_of(0, Metric.BODY_WEIGHT)].tolist() == [4.0, 2.0]


@pytest.mark.parametrize(
    ("patient", "metric", "time", "value", "message"),
    [
        ([0], [0], [np.nan], [1.0], "finite"),
        ([0], [0], [0.0], [np.inf], "finite"),
        ([-1], [0], [0.0], [1.0], ">= 0"),
        ([0], [N_CODES], [0.0], [1.0], "< 10"),
        ([0, 1], [0], [0.0], [1.0], "equal length"),
    ],
)
def test_given_invalid_readings_when_built_then_rejected(
    patient: list[int], metric: list[int], time: list[float], value: list[float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ReadingArrays.from_columns(patient, metric, time, value)


def test_given_too_small_n_patients_when_indexed_then_rejected() -> None:
    with pytest.raises(ValueError, match="n_patients"):
        ReadingArrays.from_columns([0, 3], [0, 0], [0.0, 1.0], [1.0, 1.0]).sort_and_index(n_patients=2)


def test_given_read_only_input_arrays_when_sorted_then_accepted() -> None:
    value = np.array([1.0, 2.0])
    value.flags.writeable = False
    s = ReadingArrays(np.array([0, 0], np.int32), np.array([0, 0], np.int8), np.array([0.0, 1.0]), value)
    assert s.sort_and_index().value.tolist() == [1.0, 2.0]


def test_given_negative_metric_code_when_built_then_rejected() -> None:
    with pytest.raises(ValueError, match=">= 0"):
        ReadingArrays.from_columns([0], [-1], [0.0], [1.0])


@pytest.mark.parametrize(
    ("patient", "code", "time", "sorted_already"),
    [
        ([0, 0, 0, 1, 1], [2, 2, 5, 0, 0], [1.0, 1.0, 0.0, 5.0, 6.0], True),  # equal times keep input order
        ([0, 0, 1, 1], [2, 2, 0, 0], [2.0, 1.0, 5.0, 6.0], False),  # time goes back within a series
        ([0, 0, 1, 1], [5, 2, 0, 0], [0.0, 1.0, 5.0, 6.0], False),  # code goes back within a patient
        ([1, 1, 0], [0, 0, 0], [0.0, 1.0, 2.0], False),  # patient goes back
        ([2], [9], [0.0], True),  # only the last series is non-empty
        ([], [], [], True),
    ],
)
def test_given_readings_when_indexed_then_presorted_detection_and_offsets_match_a_full_sort(
    patient: list[int], code: list[int], time: list[float], sorted_already: bool
) -> None:
    r = ReadingArrays.from_columns(patient, code, time, np.arange(len(time), dtype=np.float64))
    s = r.sort_and_index(n_patients=3)
    order = sorted(range(len(time)), key=lambda i: (patient[i], code[i], time[i]))
    counts = np.bincount([patient[i] * N_CODES + code[i] for i in order], minlength=3 * N_CODES)
    assert s.order.tolist() == order
    assert s.offsets.tolist() == [0, *np.cumsum(counts).tolist()]
    assert (order == list(range(len(time)))) == sorted_already
    if sorted_already:  # no copy: the presorted path shares the input arrays
        assert np.shares_memory(s.time, r.time) or not len(time)
