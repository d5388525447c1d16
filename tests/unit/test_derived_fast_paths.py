"""The shortcuts that make evaluations cheaper decide exactly what the plain computation decides: values
derived once per plan, medians without NumPy, series slices from Python ints, the alert service skipping
the policy when nothing is open and nothing fired."""

from __future__ import annotations

import gc
import random
import statistics
from datetime import UTC, datetime

import numpy as np
import pytest

from dho.alerting.policy import AlertPolicy
from dho.alerting.service import AlertOutcome, AlertService
from dho.domain.derived import cached_objects, derived
from dho.domain.findings import Rule
from dho.domain.metrics import Metric
from dho.domain.plans import MeasurementSchedule, Programme, plan_from_template, revise
from dho.evaluation.adherence import _expected, expected
from dho.scoring.api import ReadingArrays
from tests.support.alert_fakes import InMemoryAlerts, RecordingNotifier
from tests.unit.alerting.helpers import PATIENT, T0, evaluation, finding, minutes

AT = datetime(2026, 3, 2, 9, tzinfo=UTC)


def test_a_value_is_derived_once_per_object_and_forgotten_with_it() -> None:
    class Owner:
        pass

    calls: list[int] = []

    def counted(n: int) -> int:
        calls.append(n)
        return n

    first, second = Owner(), Owner()
    gc.collect()  # objects earlier tests left for the collector leave now, not during this test
    before = cached_objects()
    assert derived(first, "n", lambda: counted(1)) == 1
    assert derived(first, "n", lambda: counted(2)) == 1  # not computed again
    assert derived(second, "n", lambda: counted(3)) == 3  # another object, its own value
    assert calls == [1, 3] and cached_objects() == before + 2
    del first, second
    gc.collect()
    assert cached_objects() == before


def test_a_plans_expected_series_are_worked_out_once_and_follow_each_version() -> None:
    plan = plan_from_template("P-1", Programme.HEART_FAILURE, AT)
    revised = revise(plan, changed_by="1234567", at=AT, note="daily weight only",
                     expected_measurements={Metric.BODY_WEIGHT: MeasurementSchedule(every_hours=24)})

    assert expected(plan) is expected(plan)
    assert expected(plan) == _expected(plan)
    assert [item.series for item in expected(revised)] == ["body_weight", *(
        item.series for item in _expected(plan) if item.series.startswith("symptoms."))]


@pytest.mark.parametrize("seed", range(20))
def test_the_median_of_a_list_is_numpys_median_bit_for_bit(seed: int) -> None:
    # evaluator._provisional and _weight_rise take statistics.median of the window's values
    rng = random.Random(seed)
    values = np.array([round(rng.gauss(94, 3), rng.choice([0, 1, 3])) for _ in range(rng.randint(1, 40))])
    median = statistics.median(values.tolist())
    assert median == float(np.median(values))
    assert statistics.median([abs(v - median) for v in values.tolist()]) == float(np.median(np.abs(values - median)))


def test_a_series_slice_is_the_one_the_offsets_give() -> None:
    rng = np.random.default_rng(5)
    n = 200
    readings = ReadingArrays.from_columns(rng.integers(0, 7, n), rng.integers(0, 8, n), rng.uniform(0, 1e6, n),
                                          rng.uniform(80, 100, n)).sort_and_index()
    for patient in range(readings.n_patients):
        for code in range(readings.n_codes):
            s = readings.series_index(patient, code)
            assert readings.readings_of(patient, code) == slice(int(readings.offsets[s]),
                                                                int(readings.offsets[s + 1]))


def test_a_quiet_evaluation_without_open_alerts_writes_and_sends_nothing_but_with_one_open_goes_to_the_policy() -> None:
    alerts, notifier = InMemoryAlerts(), RecordingNotifier()
    service = AlertService(AlertPolicy(), alerts, notifier, tenant_name="Bodø")

    assert service.on_evaluation(evaluation(quiet=(Rule.SPO2_BAND,)), T0) == AlertOutcome()
    assert alerts.alerts == {} and notifier.sent == []
    with pytest.raises(ValueError):
        service.on_evaluation(evaluation(quiet=(Rule.SPO2_BAND,)), T0.replace(tzinfo=None))

    service.on_evaluation(evaluation(finding(at=T0)), T0 + minutes(1))
    (alert,) = alerts.list_open(PATIENT)
    outcome = service.on_evaluation(evaluation(at=T0 + minutes(30), quiet=(Rule.SPO2_BAND,)), T0 + minutes(30))
    assert outcome.written == (alert.alert_id,)  # the policy recorded the quiet reading on the open alert
