"""The bounded slice of a patient's timeline that scoring looks at."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from dho.domain.metrics import Metric
from dho.domain.plans import SelfManagementPlan
from dho.domain.symptoms import Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.ports import TimelineRepository

# The longest look-back any rule needs: the 7-day rolling mean, plus a day of margin.
WINDOW = timedelta(days=8)
# Readings per series per window: a few a day for 8 days, with room for chatty devices. A series with
# more keeps its newest (the ones the rules judge) and is counted (WindowSeriesTruncated).
MAX_ENTRIES_PER_SERIES = 500
# How far before the window a score-rise rule looks for the previous answer (a fortnightly questionnaire
# answered a few days late, twice).
EARLIER_LOOKBACK = timedelta(days=35)

_SERIES = [m.value for m in Metric] + [symptom_series(q) for q in Questionnaire]


@dataclass(frozen=True, slots=True)
class PatientWindow:
    patient_id: str
    plan: SelfManagementPlan
    evaluated_at: datetime
    entries: Sequence[TimelineEntry]  # per series, oldest first
    truncated: tuple[str, ...] = ()  # series that had more than MAX_ENTRIES_PER_SERIES: their oldest left out
    # The newest report before the window of each questionnaire a score-rise rule compares (PHQ-9 comes
    # every two weeks: the previous answer is older than the window).
    earlier: tuple[TimelineEntry, ...] = ()


def load_window(
    timeline: TimelineRepository, plan: SelfManagementPlan, evaluated_at: datetime,
    newest: Mapping[str, datetime] | None = None,
) -> PatientWindow:
    """Every series of the patient measured in [evaluated_at - WINDOW, evaluated_at]: one bounded
    query per series, newest first, so a cut drops the oldest entries and never the reading to judge.
    ``newest`` (the patient's newest-readings summary: series -> newest measured time) spares the queries
    that cannot find anything: a series the patient never had, or whose newest entry is older than the
    window. Without it (no summary) every series is read."""
    start, end = evaluated_at - WINDOW, evaluated_at + timedelta(microseconds=1)
    entries: list[TimelineEntry] = []
    truncated: list[str] = []
    for series in _SERIES:
        if newest is not None and (series not in newest or newest[series] < start):
            continue
        # One more than the bound tells a full series from a cut one.
        found = timeline.query(plan.patient_id, series, start, end, limit=MAX_ENTRIES_PER_SERIES + 1,
                               newest_first=True)
        if len(found) > MAX_ENTRIES_PER_SERIES:
            truncated.append(series)
            found = found[:MAX_ENTRIES_PER_SERIES]
        entries.extend(reversed(found))
    earlier: list[TimelineEntry] = []
    for rise in plan.trends.score_rises:
        series = symptom_series(Questionnaire(rise.questionnaire))
        if newest is None or series in newest:
            earlier.extend(timeline.query(plan.patient_id, series, start - EARLIER_LOOKBACK, start, limit=1,
                                          newest_first=True))
    return PatientWindow(plan.patient_id, plan, evaluated_at, entries, tuple(truncated), tuple(earlier))
