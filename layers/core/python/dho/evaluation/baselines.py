"""Learn a patient's baseline from a stretch of their timeline (the run-in, or the weeks after recovery),
for a nurse to confirm into the plan (``dho.domain.baselines``)."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from datetime import datetime, timedelta

from dho.domain.baselines import MetricBaseline, PersonalBaseline
from dho.domain.metrics import Metric
from dho.domain.symptom_zones import Zone, symptom_zone
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.ports import TimelineRepository

RUN_IN = timedelta(days=14)
MIN_READINGS = 7  # (guess) a week of daily readings before a median means anything
MAD_TO_SD = 1.4826  # the median absolute deviation of a normal distribution is 0.6745 SD
_QUESTIONNAIRE_OF = {symptom_series(q): q for q in Questionnaire}
_MAX_PER_SERIES = 1000


def learn_baseline(
    entries: Iterable[TimelineEntry], *, learned_from: datetime, learned_to: datetime, confirmed_by: str,
    confirmed_at: datetime, min_readings: int = MIN_READINGS,
) -> PersonalBaseline | None:
    """Median and robust spread of each metric with at least ``min_readings`` readings in
    [learned_from, learned_to], and the share of symptom reports worse than green. None: nothing to learn."""
    values: dict[str, list[float]] = {}
    reports = worse = 0
    for entry in entries:
        if not learned_from <= entry.measured_at <= learned_to:
            continue
        if entry.value is not None:
            values.setdefault(entry.series, []).append(entry.value)
        elif entry.answers and entry.series in _QUESTIONNAIRE_OF:
            reports += 1
            zone, _ = symptom_zone(_QUESTIONNAIRE_OF[entry.series], entry.answers)
            worse += zone is not Zone.GREEN
    metrics = {}
    for series, series_values in values.items():
        if len(series_values) < min_readings or series not in Metric.__members__.values():
            continue
        median = statistics.median(series_values)
        spread = MAD_TO_SD * statistics.median(abs(v - median) for v in series_values)
        metrics[Metric(series)] = MetricBaseline(median=median, spread=round(spread, 3), readings=len(series_values))
    if not metrics and reports == 0:
        return None
    return PersonalBaseline(metrics=metrics, usual_symptom_share=round(worse / reports, 3) if reports else None,
                            learned_from=learned_from, learned_to=learned_to, confirmed_by=confirmed_by,
                            confirmed_at=confirmed_at)


def learn_from_timeline(
    timeline: TimelineRepository, patient_id: str, *, learned_from: datetime, learned_to: datetime,
    confirmed_by: str, confirmed_at: datetime,
) -> PersonalBaseline | None:
    """:func:`learn_baseline` over every series of the patient (one bounded query per series)."""
    series = [m.value for m in Metric] + list(_QUESTIONNAIRE_OF)
    end = learned_to + timedelta(microseconds=1)
    entries = [e for s in series
               for e in timeline.query(patient_id, s, learned_from, end, limit=_MAX_PER_SERIES, newest_first=True)]
    return learn_baseline(entries, learned_from=learned_from, learned_to=learned_to, confirmed_by=confirmed_by,
                          confirmed_at=confirmed_at)
