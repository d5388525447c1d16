"""Learn a patient's baseline from a stretch of their timeline (the run-in, or the weeks after recovery),
for a nurse to confirm into the plan (``dho.domain.baselines``)."""

from __future__ import annotations

import math
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
# A reporting habit is learned from few reports (a fortnight of daily answers at most): the share of reports
# worse than green is shrunk towards a usual share with the weight of this many reports, so 2 bad days in 7
# reports (29 %) is not yet a "frequent reporter" (19 % would be after 14 such reports). (guess) 5 %: a worse
# day now and then (Burton 2015: symptom scores vary from day to day in stable COPD).
USUAL_SHARE_PRIOR = 0.05
USUAL_SHARE_PRIOR_REPORTS = 10.0
MAD_TO_SD = 1.4826  # the median absolute deviation of a normal distribution is 0.6745 SD
_QUESTIONNAIRE_OF = {symptom_series(q): q for q in Questionnaire}
_MAX_PER_SERIES = 1000


def usual_share(worse: int, reports: int) -> float:
    """The share of reports worse than green, shrunk towards ``USUAL_SHARE_PRIOR``."""
    return round((worse + USUAL_SHARE_PRIOR * USUAL_SHARE_PRIOR_REPORTS) / (reports + USUAL_SHARE_PRIOR_REPORTS), 3)


def learn_baseline(
    entries: Iterable[TimelineEntry], *, learned_from: datetime, learned_to: datetime, confirmed_by: str,
    confirmed_at: datetime, min_readings: int = MIN_READINGS, previous: PersonalBaseline | None = None,
) -> PersonalBaseline | None:
    """Median and robust spread of each metric with at least ``min_readings`` readings in
    [learned_from, learned_to], and the share of symptom reports worse than green (shrunk towards
    ``USUAL_SHARE_PRIOR``). None: nothing to learn.

    ``previous``: the baseline being reviewed. A metric (or the reporting habit) with too few readings in the
    period keeps its previous value: a review after a stay in hospital must not erase a dry weight because
    the patient weighed five times in a fortnight (the rules that need it would go silent)."""
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
    share = usual_share(worse, reports) if reports else None
    learned = PersonalBaseline(metrics=metrics, usual_symptom_share=share, learned_from=learned_from,
                               learned_to=learned_to, confirmed_by=confirmed_by, confirmed_at=confirmed_at)
    return learned if previous is None else reviewed(learned, previous)


def reviewed(learned: PersonalBaseline, previous: PersonalBaseline) -> PersonalBaseline:
    """A baseline learned at a review, against the one it replaces: the usual values (medians) are the newly
    learned ones; a metric (or the reporting habit) the review could not learn keeps its previous value; each
    spread is pooled with the previous one, weighted by their readings. The scatter is the patient's and the
    device's, which an episode does not change, and a review period is often short and chosen for being quiet
    (14 days without alerts): its spread alone is too narrow (an irregular pulse learned from 7 calm readings
    would alert at every ordinary one)."""
    metrics = dict(previous.metrics)
    for metric, new in learned.metrics.items():
        old = previous.metrics.get(metric)
        if old is not None:
            pooled = math.sqrt((new.readings * new.spread ** 2 + old.readings * old.spread ** 2)
                               / (new.readings + old.readings))
            new = new.model_copy(update={"spread": round(pooled, 3)})
        metrics[metric] = new
    share = previous.usual_symptom_share if learned.usual_symptom_share is None else learned.usual_symptom_share
    return learned.model_copy(update={"metrics": metrics, "usual_symptom_share": share})


def learn_from_timeline(
    timeline: TimelineRepository, patient_id: str, *, learned_from: datetime, learned_to: datetime,
    confirmed_by: str, confirmed_at: datetime, previous: PersonalBaseline | None = None,
) -> PersonalBaseline | None:
    """:func:`learn_baseline` over every series of the patient (one bounded query per series)."""
    series = [m.value for m in Metric] + list(_QUESTIONNAIRE_OF)
    end = learned_to + timedelta(microseconds=1)
    entries = [e for s in series
               for e in timeline.query(patient_id, s, learned_from, end, limit=_MAX_PER_SERIES, newest_first=True)]
    return learn_baseline(entries, learned_from=learned_from, learned_to=learned_to, confirmed_by=confirmed_by,
                          confirmed_at=confirmed_at, previous=previous)
