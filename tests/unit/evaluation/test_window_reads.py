"""Scoring reads only the series that can hold entries in the window: the newest-readings summary says which
a patient has and how recent each is; a patient without a summary has every series read."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from dho.domain.findings import Rule
from dho.domain.metrics import Metric
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template
from dho.domain.timeline import TimelineEntry
from dho.evaluation.evaluator import evaluate
from dho.evaluation.service import EvaluationService
from dho.evaluation.windows import WINDOW, load_window
from tests.support.fakes import InMemoryPlans, InMemoryRegistry, InMemoryTimeline

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
PATIENT = "P-C"


class CountingTimeline(InMemoryTimeline):
    """The fake timeline, counting the series each query asked for."""

    def __init__(self, entries: list[TimelineEntry]) -> None:
        super().__init__(entries=entries)
        self.asked: Counter[str] = Counter()

    def query(self, patient_id: str, series: str, start: datetime, end: datetime, *, limit: int = 1000,
              newest_first: bool = False) -> Sequence[TimelineEntry]:
        self.asked[series] += 1
        return super().query(patient_id, series, start, end, limit=limit, newest_first=newest_first)


class CountingPlans(InMemoryPlans):
    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def current(self, patient_id: str) -> SelfManagementPlan | None:
        self.reads += 1
        return super().current(patient_id)


def _spo2(hours_ago: float, value: float, rid: str) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(PATIENT, Metric.SPO2.value, at, at, "oxi-1", rid, value=value, unit="%")


def _weight(hours_ago: float, rid: str) -> TimelineEntry:
    at = NOW - timedelta(hours=hours_ago)
    return TimelineEntry(PATIENT, Metric.BODY_WEIGHT.value, at, at, "scale-1", rid, value=80.0, unit="kg")


def test_the_window_reads_only_the_series_the_summary_has_within_the_window() -> None:
    # GIVEN SpO2 this morning and a weighing from before the window
    old_weight = WINDOW.total_seconds() / 3600 + 24
    timeline = CountingTimeline([_spo2(1, 95, "s-1"), _weight(old_weight, "w-1")])
    plan = plan_from_template(PATIENT, Programme.COPD, NOW - timedelta(days=30))

    # WHEN the window is loaded with the patient's summary
    window = load_window(timeline, plan, NOW, timeline.newest_of([PATIENT])[PATIENT])

    # THEN SpO2 alone was read, and the window has its entry
    assert timeline.asked == Counter({Metric.SPO2.value: 1})
    assert [e.reading_id for e in window.entries] == ["s-1"]


def test_without_a_summary_every_series_is_read_and_the_window_is_the_same() -> None:
    timeline = CountingTimeline([_spo2(1, 95, "s-1"), _spo2(3, 94, "s-0")])
    plan = plan_from_template(PATIENT, Programme.COPD, NOW - timedelta(days=30))

    guided = load_window(timeline, plan, NOW, timeline.newest_of([PATIENT])[PATIENT])
    timeline.asked.clear()
    unguided = load_window(timeline, plan, NOW)

    assert len(timeline.asked) > 8 and set(timeline.asked.values()) == {1}  # every metric and questionnaire
    assert guided.entries == unguided.entries
    assert evaluate([guided]) == evaluate([unguided])


def test_the_service_reads_the_summaries_and_a_plan_once_per_batch() -> None:
    # GIVEN a patient with a red SpO2 and a plan repository that counts its reads
    timeline = CountingTimeline([_spo2(0.5, 80, "s-red"), _spo2(0.25, 80, "s-red-2")])
    plans = CountingPlans()
    plans.save(plan_from_template(PATIENT, Programme.COPD, NOW - timedelta(days=30)))
    service = EvaluationService(timeline, plans, InMemoryRegistry())

    # WHEN the batch is evaluated and the advice asks for the plan the patient was scored with
    (evaluation,) = service.evaluate({PATIENT: NOW})
    plan = service.plan_in_force(PATIENT, NOW)

    # THEN the red is found, the plan was read once, and only SpO2's series was queried
    assert {f.rule.value for f in evaluation.findings} >= {"spo2_band"}
    assert plan.patient_id == PATIENT and plans.reads == 1
    assert set(timeline.asked) == {Metric.SPO2.value}


def test_a_weighing_missing_from_the_summary_still_counts_for_missed_measurements() -> None:
    # GIVEN a heart-failure patient last weighed 10 days ago, before the summary existed (so it lacks weight)
    class SummaryWithoutWeight(CountingTimeline):
        def newest_of(self, patient_ids: Sequence[str], *, consistent: bool = False) -> dict[str, dict[str, datetime]]:
            found = super().newest_of(patient_ids, consistent=consistent)
            weight = Metric.BODY_WEIGHT.value
            return {p: {s: t for s, t in series.items() if s != weight} for p, series in found.items()}

    timeline = SummaryWithoutWeight([_weight(24 * 10, "w-old"), _spo2(1, 95, "s-1")])
    plans = CountingPlans()
    plans.save(plan_from_template(PATIENT, Programme.HEART_FAILURE, NOW - timedelta(days=30)))

    # WHEN the patient is evaluated
    (evaluation,) = EvaluationService(timeline, plans, InMemoryRegistry()).evaluate({PATIENT: NOW})

    # THEN the silence since that weighing is still a missed measurement (no look-back limit on adherence)
    assert Rule.MISSED_MEASUREMENTS in {f.rule for f in evaluation.findings}
