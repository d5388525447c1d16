"""The plan's trend rules on questionnaire answers (``TrendRules.score_rises`` and ``sustained_answers``):
a PHQ-9 total up 5 points since the previous answer, ESAS-r pain >= 7 two days running. Pure: the window
holds the reports (and, for a rise, the previous report from before the window)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from dho.domain.findings import Finding, Rule, Severity
from dho.domain.plans import ScoreRise, SustainedAnswer
from dho.domain.timeline import TimelineEntry
from dho.evaluation.windows import PatientWindow
from dho.questionnaires.scoring import total_score

_SEVERITY = {"yellow": Severity.YELLOW, "red": Severity.RED}
_SLACK = timedelta(hours=12)  # "two days running" for a daily report answered at a different hour


def questionnaire_trend_findings(window: PatientWindow, fresh_from: datetime) -> tuple[list[Finding], bool]:
    """The findings of the plan's questionnaire trend rules on the window's newest fresh reports, and
    whether any rule had enough answers to be judged (a quiet rule counts towards closing its alert)."""
    findings: list[Finding] = []
    judged = False
    for rise in window.plan.trends.score_rises:
        outcome = _rise(window, rise, fresh_from)
        judged = judged or outcome is not False
        if isinstance(outcome, Finding):
            findings.append(outcome)
    for sustained in window.plan.trends.sustained_answers:
        outcome = _sustained(window, sustained, fresh_from)
        judged = judged or outcome is not False
        if isinstance(outcome, Finding):
            findings.append(outcome)
    return findings, judged


def _reports(window: PatientWindow, questionnaire: str, *, earlier: bool = False) -> list[TimelineEntry]:
    series = f"symptoms.{questionnaire}"
    pool: Sequence[TimelineEntry] = [*window.earlier, *window.entries] if earlier else window.entries
    return sorted((e for e in pool if e.series == series and e.answers), key=lambda e: e.measured_at)


def _rise(window: PatientWindow, rule: ScoreRise, fresh_from: datetime) -> Finding | bool | None:
    """A finding; None: judged and quiet; False: nothing to judge (no fresh scored answer, or none before)."""
    reports = _reports(window, rule.questionnaire, earlier=True)
    scored = [(e, t) for e in reports if (t := total_score(rule.questionnaire, e.answers)) is not None]
    if len(scored) < 2 or scored[-1][0].measured_at < fresh_from:
        return False
    (before, previous), (latest, total) = scored[-2], scored[-1]
    if total - previous < rule.points:
        return None
    return Finding(window.patient_id, Rule.QUESTIONNAIRE_TREND, _SEVERITY[rule.zone],
                   f"{rule.questionnaire}: total {previous} -> {total} (rise >= {rule.points})",
                   (before.reading_id, latest.reading_id), latest.measured_at, score=float(total - previous))


def _sustained(window: PatientWindow, rule: SustainedAnswer, fresh_from: datetime) -> Finding | bool | None:
    reports = [e for e in _reports(window, rule.questionnaire) if rule.item in dict(e.answers)]
    if not reports or reports[-1].measured_at < fresh_from:
        return False
    latest = reports[-1].measured_at
    span = timedelta(days=rule.days - 1)
    recent = [e for e in reports if e.measured_at > latest - span - _SLACK]
    if recent[0].measured_at > latest - span + _SLACK:
        return None  # not yet answered over the whole span
    values = [dict(e.answers)[rule.item] for e in recent]
    if not all(type(v) is int and v >= rule.at_least for v in values):
        return None
    return Finding(window.patient_id, Rule.QUESTIONNAIRE_TREND, _SEVERITY[rule.zone],
                   f"{rule.questionnaire}.{rule.item} >= {rule.at_least} for {rule.days} days",
                   tuple(e.reading_id for e in recent), latest)
