"""Missed measurements (adherence): has the patient stopped measuring, or answering, what the plan expects?

What is expected: the plan's measurement schedule (each metric's series) and its questionnaire schedule
(each questionnaire's ``symptoms.<id>`` series, an answer counting as its measurement), one list
(:func:`expected`); a missed questionnaire is a missed measurement like any other, in the same alert.

Pure: the plan, the newest measured time of each expected series and ``now`` in, a verdict out. A series
is overdue once more than its interval + grace (``MeasurementSchedule.overdue_after``, e.g. 24 h + 12 h)
has passed since its newest measurement, or since the end of a planned absence (``plan.paused_until``)
if that is later. Its *deadline* (that moment) is the finding's evidence time: it depends on the data
only, not on when the check runs, so every check of the same silence gives the same finding (same alert
id, not news to the open alert), and closing the alert moves the rule's watermark to the deadline: the
same silence never opens a second episode, a new silence after a new measurement has a later deadline and
does. A series never measured is not overdue: the alert is about a patient who *stops* measuring
(starting is an enrolment matter). While paused, or with nothing expected, the rule is quiet (an open
alert closes). With several overdue the finding names them all and its evidence time is the latest deadline (one going
overdue later re-fires the open alert: its count and detail move on); the rule is quiet, and the alert
closes, only once everything expected is back on schedule. Never red: a missing
measurement is a reason to call, not an emergency.

``missed_measurements`` is pure; ``newest_measured`` and ``plan_in_force`` read the ports. No scoring
imports: the escalation sweep (no numba layer) runs this too.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from dho.domain.clock import require_aware
from dho.domain.derived import derived
from dho.domain.findings import Evaluation, Finding, Rule, Severity
from dho.domain.plans import MeasurementSchedule, Programme, SelfManagementPlan, plan_from_template
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.ports import LatestEntries, PlanRepository, Registry


@dataclass(frozen=True, slots=True)
class Expected:
    """One series the plan expects: a metric (``spo2``) or a questionnaire's answers (``symptoms.phq9``)."""

    series: str
    name: str  # what the nurse's list calls it: the metric code, or "questionnaire <id>"
    schedule: MeasurementSchedule
    questionnaire: str | None = None  # the questionnaire's id, for a questionnaire's series


def expected(plan: SelfManagementPlan) -> tuple[Expected, ...]:
    """Everything the plan expects and how often: its metrics, then its questionnaires. Worked out once per
    plan object (a plan is frozen): every evaluation and hourly check asks it several times."""
    return derived(plan, "expected", lambda: _expected(plan))


def _expected(plan: SelfManagementPlan) -> tuple[Expected, ...]:
    metrics = [Expected(metric.value, metric.value, schedule)
               for metric, schedule in sorted(plan.measurement_schedule().items())]
    questionnaires = [Expected(symptom_series(questionnaire), f"questionnaire {questionnaire}", schedule,
                               questionnaire)
                      for questionnaire, schedule in sorted(plan.questionnaire_schedule().items())]
    return (*metrics, *questionnaires)


def overdue_at(plan: SelfManagementPlan, schedule: MeasurementSchedule, newest: datetime) -> datetime:
    """The deadline of the silence since ``newest``: the overdue clock starts again when a pause ends."""
    since = newest if plan.paused_until is None else max(newest, plan.paused_until)
    return since + schedule.overdue_after


@dataclass(frozen=True, slots=True)
class Measured:
    """The newest measurement of one series (a metric, or a questionnaire's answers): when, and which reading."""

    at: datetime
    reading_id: str
    device_id: str | None = None  # the device that measured it (an overdue reminder goes there)


@dataclass(frozen=True, slots=True)
class AdherenceVerdict:
    """``finding``: the yellow MISSED_MEASUREMENTS finding, if a metric is overdue; ``quiet``: nothing
    expected is overdue (counts as a quiet evaluation: an open alert closes at once)."""

    finding: Finding | None
    quiet: bool

    def added_to(self, evaluation: Evaluation) -> Evaluation:
        """``evaluation`` with this verdict in it: the finding among its findings, or the rule among its
        quiet rules."""
        findings = evaluation.findings if self.finding is None else (*evaluation.findings, self.finding)
        quiet = evaluation.quiet_rules | {Rule.MISSED_MEASUREMENTS} if self.quiet else evaluation.quiet_rules
        # Built directly: dataclasses.replace costs more than the rest of a check.
        return Evaluation(evaluation.patient_id, evaluation.evaluated_at, findings, quiet,
                          evaluation.truncated_series, evaluation.assessed_readings,
                          evaluation.awaiting_confirmation)


def missed_measurements(
    plan: SelfManagementPlan, newest: Mapping[str, Measured | None], now: datetime
) -> AdherenceVerdict:
    """``newest`` by series (:attr:`Expected.series`). Overdue means strictly later than the deadline: at
    exactly interval + grace it is not overdue yet."""
    require_aware(now)
    if plan.paused_until is not None and now < plan.paused_until:
        return AdherenceVerdict(None, quiet=True)
    overdue: list[tuple[Expected, datetime, Measured]] = []
    for item in expected(plan):
        measured = newest.get(item.series)
        if measured is None:
            continue  # never measured: nothing stopped
        deadline = overdue_at(plan, item.schedule, measured.at)
        if now > deadline:
            overdue.append((item, deadline, measured))
    if not overdue:
        return AdherenceVerdict(None, quiet=True)
    detail = "no measurement within the plan's schedule: " + ", ".join(
        f"{item.name} (every {item.schedule.every_hours} h, "
        f"last measured {measured.at.astimezone(UTC):%Y-%m-%d %H:%M} UTC)"
        for item, _, measured in overdue
    )
    finding = Finding(
        patient_id=plan.patient_id,
        rule=Rule.MISSED_MEASUREMENTS,
        severity=Severity.YELLOW,
        detail=detail,
        evidence=tuple(measured.reading_id for _, _, measured in sorted(overdue, key=lambda o: o[2].at)),
        observed_at=max(deadline for _, deadline, _ in overdue),
    )
    return AdherenceVerdict(finding, quiet=False)


def newest_measured(
    timeline: LatestEntries, plan: SelfManagementPlan, at: datetime, known: Iterable[TimelineEntry] = ()
) -> dict[str, Measured | None]:
    """The newest measurement of each series the plan expects (:func:`expected`), measured at or before
    ``at``: from ``known`` (a window already loaded) where it has the series, else one bounded query (newest
    first, limit 1) per series. No look-back limit, so no shortcut through the newest-readings summary: a series
    last measured before the summary existed must still count."""
    before = at + timedelta(microseconds=1)
    names, series = derived(plan, "expected_series", lambda: _expected_series(plan))
    newest_known: dict[str, TimelineEntry] = {}
    for e in known:  # one pass over the window
        measured_at = e.measured_at
        if measured_at < before and e.series in series:
            found = newest_known.get(e.series)
            # newest by (measured_at, reading_id), compared without building tuples
            if found is None or measured_at > found.measured_at or (
                    measured_at == found.measured_at and e.reading_id > found.reading_id):
                newest_known[e.series] = e
    newest: dict[str, Measured | None] = {}
    for name in names:
        entry = newest_known.get(name) or timeline.latest(plan.patient_id, name, before=before)
        newest[name] = None if entry is None else Measured(entry.measured_at, entry.reading_id, entry.device_id)
    return newest


def _expected_series(plan: SelfManagementPlan) -> tuple[tuple[str, ...], frozenset[str]]:
    """The series the plan expects, sorted and as a set."""
    series = frozenset(item.series for item in expected(plan))
    return tuple(sorted(series)), series


def plan_in_force(plans: PlanRepository, registry: Registry, patient_id: str, at: datetime) -> SelfManagementPlan:
    """The patient's current plan; without one yet, the programme's template (dated ``at``) applies until a
    nurse saves version 1 (an unknown programme: the generic template)."""
    plan = plans.current(patient_id)
    if plan is not None:
        return plan
    patient = registry.get_patient(patient_id)
    programme = patient.programme if patient else Programme.GENERIC.value
    try:
        return plan_from_template(patient_id, Programme(programme), at)
    except ValueError:
        return plan_from_template(patient_id, Programme.GENERIC, at)
