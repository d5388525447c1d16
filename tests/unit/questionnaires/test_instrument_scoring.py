"""Scoring per instrument as published, and the plan's trend rules on the scores.

Sources (the instruments' own documentation):
- PHQ-9: Kroenke K, Spitzer RL, Williams JBW. The PHQ-9. J Gen Intern Med 2001;16:606-13 (items 0-3,
  total 0-27; 5, 10, 15 and 20 the cut-offs of mild, moderate, moderately severe and severe), and the
  "PHQ-9 Questionnaire for Depression Scoring and Interpretation Guide" (count the boxes checked in each
  column, multiply by the column's value, add the subtotals; range 0-27).
- GAD-7: Spitzer RL, Kroenke K, Williams JBW, Löwe B. Arch Intern Med 2006;166:1092-7 (items 0-3, total
  0-21; 5, 10 and 15 the cut-offs of mild, moderate and severe anxiety).
- ESAS-r: Watanabe SM et al. J Pain Symptom Manage 2011;41:456-68, and Alberta Health Services' "Guidelines
  for using the revised Edmonton Symptom Assessment System" (each symptom 0 = none to 10 = worst possible,
  rated now; no total is needed to act on one symptom).
- A PHQ-9 change of 5 points is clinically significant: Löwe B et al. Med Care 2004;42:1194-201.
The worked examples below are built with these documented rules (the column method, the cut-offs); they
are not copied from a filled-in form.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from dho.domain.alerts import AlertPolicySettings, NotificationKind, Route
from dho.domain.findings import Rule, Severity
from dho.domain.opening_hours import OpeningHours
from dho.domain.plans import Programme, SelfManagementPlan, plan_from_template
from dho.domain.symptom_zones import Zone, symptom_zone
from dho.domain.symptoms import Answer, Questionnaire
from dho.domain.timeline import TimelineEntry, symptom_series
from dho.evaluation.evaluator import evaluate
from dho.evaluation.windows import load_window
from dho.questionnaires.scoring import severity_band, total_score
from tests.support.fakes import InMemoryTimeline
from tests.unit.alerting.helpers import Ward

COLUMN = {0: "LA6568-5", 1: "LA6569-3", 2: "LA6570-1", 3: "LA6571-9"}  # not at all .. nearly every day
FRIDAY_2000 = datetime(2026, 11, 20, 19, 0, tzinfo=UTC)  # the centre (08:00-15:30 Oslo, Mon-Fri) is closed
NOW = FRIDAY_2000


def _items(prefix: str, scores: list[int]) -> tuple[tuple[str, Answer], ...]:
    return tuple(sorted((f"{prefix}_{i}", COLUMN[s]) for i, s in enumerate(scores, 1)))


def test_phq9_worked_example_by_the_guides_column_method() -> None:
    # Two boxes in "several days" (2 x 1), three in "more than half the days" (3 x 2), one in "nearly
    # every day" (1 x 3), three in "not at all": 2 + 6 + 3 = 11, moderate (10-14).
    answers = _items("phq9", [1, 2, 2, 0, 1, 2, 3, 0, 0])
    assert total_score("phq9", answers) == 11
    assert severity_band("phq9", 11) == "moderate"


@pytest.mark.parametrize(("total", "band"), [
    (0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"), (10, "moderate"), (14, "moderate"),
    (15, "moderately severe"), (19, "moderately severe"), (20, "severe"), (27, "severe")])
def test_phq9_severity_bands_at_every_edge(total: int, band: str) -> None:
    assert severity_band("phq9", total) == band
    assert severity_band("phq9", 28) is None


def test_phq9_range_is_0_to_27_and_a_partial_answer_has_no_total() -> None:
    assert total_score("phq9", _items("phq9", [0] * 9)) == 0
    assert total_score("phq9", _items("phq9", [3] * 9)) == 27
    assert total_score("phq9", _items("phq9", [3] * 8)) is None  # item 9 missing


@pytest.mark.parametrize(("scores", "total", "band"), [
    ([0, 0, 1, 1, 1, 1, 0], 4, "minimal"), ([1, 1, 1, 1, 1, 0, 0], 5, "mild"),
    ([2, 2, 2, 1, 1, 1, 0], 9, "mild"), ([2, 2, 2, 2, 1, 1, 0], 10, "moderate"),
    ([3, 2, 2, 2, 2, 2, 1], 14, "moderate"), ([3, 3, 3, 2, 2, 1, 1], 15, "severe"), ([3] * 7, 21, "severe")])
def test_gad7_total_and_the_5_10_15_cut_offs(scores: list[int], total: int, band: str) -> None:
    answers = _items("gad7", scores)
    assert total_score("gad7", answers) == total
    assert severity_band("gad7", total) == band


@pytest.mark.parametrize(("key", "scores", "zone"), [
    ("phq9", [1, 1, 1, 1, 1, 1, 1, 2, 0], Zone.GREEN),  # 9: mild
    ("phq9", [2, 1, 1, 1, 1, 1, 1, 2, 0], Zone.YELLOW),  # 10: moderate, the usual cut-off
    ("phq9", [3, 3, 3, 3, 2, 2, 2, 2, 0], Zone.RED),  # 20: severe
    ("gad7", [2, 2, 2, 2, 1, 1, 0], Zone.YELLOW),  # 10
    ("gad7", [3, 3, 3, 2, 2, 1, 1], Zone.RED),  # 15
])
def test_the_shipped_zones_of_the_totals(key: str, scores: list[int], zone: Zone) -> None:
    assert symptom_zone(Questionnaire(key), _items(key, scores))[0] is zone


def test_esas_r_is_scored_per_item_and_has_no_total() -> None:
    answers = (("esas_nausea", 7), ("esas_pain", 3))
    assert total_score("esas_r", answers) is None
    assert symptom_zone(Questionnaire("esas_r"), answers) == (Zone.YELLOW, ["esas_nausea"])


# ---- the plan's trend rules, through the evaluator -------------------------------------------------------


def _report(patient: str, key: str, answers: tuple[tuple[str, Answer], ...], days_ago: float) -> TimelineEntry:
    at = NOW - timedelta(days=days_ago)
    return TimelineEntry(patient, symptom_series(Questionnaire(key)), at, at, "app-1", f"{key}-{days_ago}",
                         answers=answers)


def _findings(plan: SelfManagementPlan, *entries: TimelineEntry) -> dict[Rule, Severity]:
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=list(entries)), plan, NOW)])
    return {f.rule: f.severity for f in evaluation.findings}


def _mental(patient: str = "P-MH01") -> SelfManagementPlan:
    return plan_from_template(patient, Programme.MENTAL_HEALTH, NOW - timedelta(days=60))


def test_a_phq9_rise_of_5_points_since_the_answer_two_weeks_before_is_a_yellow_trend() -> None:
    before = _report("P-MH01", "phq9", _items("phq9", [1, 1, 1, 0, 0, 0, 0, 0, 0]), days_ago=14)  # 3
    now = _report("P-MH01", "phq9", _items("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0]), days_ago=0.1)  # 8
    assert _findings(_mental(), before, now) == {Rule.QUESTIONNAIRE_TREND: Severity.YELLOW}


def test_a_phq9_rise_of_4_points_is_not_a_trend() -> None:
    before = _report("P-MH01", "phq9", _items("phq9", [1, 1, 1, 1, 0, 0, 0, 0, 0]), days_ago=14)  # 4
    now = _report("P-MH01", "phq9", _items("phq9", [1, 1, 1, 1, 1, 1, 1, 1, 0]), days_ago=0.1)  # 8
    assert _findings(_mental(), before, now) == {}


def _esas(pain: int) -> tuple[tuple[str, Answer], ...]:
    others = ("tiredness", "drowsiness", "nausea", "appetite", "shortness_of_breath", "depression", "anxiety",
              "wellbeing", "other")
    return tuple(sorted([("esas_pain", pain), *((f"esas_{k}", 0) for k in others)]))


def _cancer() -> SelfManagementPlan:
    return plan_from_template("P-CA01", Programme.CANCER, NOW - timedelta(days=60))


def test_pain_7_or_more_two_days_running_is_red() -> None:
    reports = [_report("P-CA01", "esas_r", _esas(p), days_ago=d) for p, d in ((3, 2), (7, 1), (8, 0.1))]
    assert _findings(_cancer(), *reports) == {Rule.SYMPTOMS: Severity.YELLOW, Rule.QUESTIONNAIRE_TREND: Severity.RED}


@pytest.mark.parametrize("history", [((3, 1), (8, 0.1)), ((8, 0.5), (8, 0.1)), ((7, 1), (6, 0.1))])
def test_pain_high_only_today_or_not_today_is_not_the_two_day_rule(history: tuple[tuple[int, float], ...]) -> None:
    reports = [_report("P-CA01", "esas_r", _esas(p), days_ago=d) for p, d in history]
    assert Rule.QUESTIONNAIRE_TREND not in _findings(_cancer(), *reports)


def test_phq9_item_9_is_red_at_once_and_reaches_the_out_of_hours_clinic_while_the_centre_is_closed() -> None:
    # Only item 9 answered other than "not at all": total 1, minimal; still red, and not held for the opening.
    report = _report("P-MH01", "phq9", _items("phq9", [0, 0, 0, 0, 0, 0, 0, 0, 1]), days_ago=0.01)
    (evaluation,) = evaluate([load_window(InMemoryTimeline(entries=[report]), _mental(), NOW)])
    assert [(f.rule, f.severity, f.detail) for f in evaluation.findings] == [
        (Rule.SYMPTOMS, Severity.RED, "phq9: phq9_9")]
    settings = AlertPolicySettings(opening_hours=OpeningHours())
    ward = Ward(settings)
    sent = ward.evaluate(evaluation)
    last_tier = len(settings.tier_after_minutes) - 1
    assert [(n.kind, n.tier, n.route) for n in sent] == [(NotificationKind.NEW, last_tier, Route.OUT_OF_HOURS)]
