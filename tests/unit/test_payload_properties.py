"""Properties of the parser over generated input (hypothesis): it never crashes, and what it accepts
is always normalised and plausible."""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from dho.domain.metrics import METRIC_SPECS, Metric
from dho.domain.payload import parse_device_message
from dho.domain.readings import DeviceReading
from dho.domain.rejections import PayloadRejected
from tests.support.payloads import message

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)


def _outcome(text: str) -> DeviceReading | PayloadRejected:
    try:
        return parse_device_message(text, tenant_id="bodo")
    except PayloadRejected as rejected:
        return rejected


@settings(max_examples=400)
@given(st.text(max_size=300))
def test_any_text_gives_a_reading_or_a_rejection(text: str) -> None:
    assert isinstance(_outcome(text), DeviceReading | PayloadRejected)


@settings(max_examples=300)
@given(json_values)
def test_any_json_document_gives_a_reading_or_a_rejection(document: Any) -> None:
    assert isinstance(_outcome(json.dumps(document)), DeviceReading | PayloadRejected)


_FIELDS = ["schema", "device", "reading_id", "measured_at", "measurements", "tenant", "device_id", "received_at"]


@settings(max_examples=400)
@given(field=st.sampled_from(_FIELDS), replacement=json_values)
def test_a_valid_message_with_any_one_field_replaced_gives_a_reading_or_a_rejection(
    field: str, replacement: Any
) -> None:
    document = message()
    document[field] = replacement
    assert isinstance(_outcome(json.dumps(document)), DeviceReading | PayloadRejected)


@settings(max_examples=400)
@given(
    metric=st.sampled_from([m for m in Metric if m not in (Metric.SYSTOLIC_BP, Metric.DIASTOLIC_BP)]),
    value=st.floats(allow_nan=True, allow_infinity=True) | st.integers(min_value=-(10**30), max_value=10**30),
    unit=st.sampled_from(["%", "/min", "bpm", "kg", "lb", "[lb_av]", "g", "Cel", "°F", "[degF]", "mmol/L",
                          "mg/dL", "mmHg", "K", ""]),
)
def test_an_accepted_measurement_is_finite_plausible_and_in_the_canonical_unit(
    metric: Metric, value: float, unit: str
) -> None:
    outcome = _outcome(json.dumps(message(measurements=[{"metric": metric.value, "value": value, "unit": unit}])))
    if isinstance(outcome, DeviceReading):
        (measurement,) = outcome.measurements
        spec = METRIC_SPECS[metric]
        assert math.isfinite(measurement.value)
        assert spec.plausible_min <= measurement.value <= spec.plausible_max
        assert measurement.unit == spec.canonical_unit


@settings(max_examples=200)
@given(pounds=st.floats(min_value=44.1, max_value=881.8))
def test_pounds_convert_to_kilograms_exactly_enough_for_a_scale(pounds: float) -> None:
    outcome = _outcome(json.dumps(message(measurements=[{"metric": "body_weight", "value": pounds, "unit": "lb"}])))
    assert isinstance(outcome, DeviceReading)
    assert abs(outcome.measurements[0].value - pounds * 0.45359237) <= 0.005


@settings(max_examples=200)
@given(fahrenheit=st.floats(min_value=77.0, max_value=113.0))
def test_fahrenheit_converts_to_celsius(fahrenheit: float) -> None:
    outcome = _outcome(json.dumps(message(measurements=[
        {"metric": "body_temperature", "value": fahrenheit, "unit": "[degF]"}])))
    assert isinstance(outcome, DeviceReading)
    assert abs(outcome.measurements[0].value - (fahrenheit - 32) * 5 / 9) <= 0.005
