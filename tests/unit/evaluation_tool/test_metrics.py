"""The metrics on a tiny hand-built cohort, with the numbers worked out by hand.

Cohort: 14 days (2 whole weeks) from 2026-01-05 00:00 UTC, three patients (6 patient-weeks):
A (COPD): exacerbation onset day 10 12:00, recovery from day 12; alerts: missed measurements day 1,
    spo2_band yellow day 5 12:00 (in the 7-day window, 120 h before onset), news2 red day 8 12:00 (48 h
    before: also in the 3-day window), spo2_band yellow day 13 (recovery: a false alert).
B (heart failure): no event; symptoms yellow day 2 (false), missed measurements day 9, and an
    acknowledgement day 2 (not an opening).
C (heart failure): decompensation onset day 12, no alert at all (missed).

By hand: clinical alerts 4 / 6 patient-weeks = 0.667; missed-measurement 2 / 6 = 0.333; false 2 / 6 =
0.333; sensitivity 1 of 2 events in 7 and in 3 days; median lead 120 h; event weeks: both of A's
(window [day 3.5, day 10.5]) and both of C's (window [day 5, day 12]); B's two weeks are event-free, the
first with a clinical alert, the second with a missed-measurement alert only: 1 of 2.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from evaluation.metrics import score
from evaluation.truth import Truth, load_truth

START = datetime(2026, 1, 5, tzinfo=UTC)


def _day(day: float) -> str:
    return (START + timedelta(days=day)).isoformat()


def _alert(patient_id: str, day: float, rule: str, severity: str, event: str = "opened") -> dict[str, Any]:
    return {"at": _day(day), "tenant": "t", "patient_id": patient_id, "alert_id": f"{patient_id}-{rule}-{day}",
            "rule": rule, "severity": severity, "event": event, "tier": 0}


ALERTS = [
    _alert("A", 1, "missed_measurements", "yellow"),
    _alert("A", 5.5, "spo2_band", "yellow"),
    _alert("A", 8.5, "news2", "red"),
    _alert("A", 13, "spo2_band", "yellow"),
    _alert("B", 2, "symptoms", "yellow"),
    _alert("B", 2.1, "symptoms", "yellow", event="acknowledged"),
    _alert("B", 9, "missed_measurements", "yellow"),
]


@pytest.fixture
def truth(tmp_path: Path) -> Truth:
    (tmp_path / "cohort.json").write_text(json.dumps({"start": _day(0), "end": _day(14)}))
    (tmp_path / "patients.jsonl").write_text("\n".join(json.dumps({"patient_id": p, "programme": prog}) for p, prog in
                                                       (("A", "copd"), ("B", "heart_failure"),
                                                        ("C", "heart_failure"))))
    events = [{"patient_id": "A", "kind": "copd_exacerbation", "onset": _day(10.5), "recovery_start": _day(12)},
              {"patient_id": "C", "kind": "heart_failure_decompensation", "onset": _day(12)}]
    (tmp_path / "events.jsonl").write_text("\n".join(json.dumps(e) for e in events))
    return load_truth(tmp_path)


def test_overall_figures_match_the_hand_count(truth: Truth) -> None:
    overall = score(ALERTS, truth)["overall"]
    assert overall["patient_weeks"] == 6
    assert overall["alerts_per_patient_week"] == pytest.approx(4 / 6)
    assert overall["missed_measurement_alerts_per_patient_week"] == pytest.approx(2 / 6)
    assert overall["false_alerts_per_patient_week"] == pytest.approx(2 / 6)
    assert (overall["events"], overall["sensitivity_7d"], overall["sensitivity_3d"]) == (2, 0.5, 0.5)
    assert overall["median_lead_hours"] == pytest.approx(120)
    assert (overall["event_free_weeks"], overall["event_free_weeks_with_alert"]) == (2, 0.5)


def test_per_programme_figures_match_the_hand_count(truth: Truth) -> None:
    result = score(ALERTS, truth)
    copd, heart_failure = result["copd"], result["heart_failure"]
    assert (copd["alerts_per_patient_week"], copd["sensitivity_7d"]) == (pytest.approx(1.5), 1.0)
    assert (heart_failure["alerts_per_patient_week"], heart_failure["sensitivity_7d"]) == (pytest.approx(0.25), 0.0)
    assert heart_failure["median_lead_hours"] is None
    assert result["all_copd"]["events"] == 1


def test_per_rule_figures_match_the_hand_count(truth: Truth) -> None:
    by_rule = score(ALERTS, truth)["by_rule"]
    assert set(by_rule) == {"missed_measurements/yellow", "spo2_band/yellow", "news2/red", "symptoms/yellow"}
    assert by_rule["spo2_band/yellow"] == {"alerts_per_patient_week": pytest.approx(2 / 6),
                                           "false_alerts_per_patient_week": pytest.approx(1 / 6),
                                           "events_caught_7d": 0.5}
    assert by_rule["news2/red"]["false_alerts_per_patient_week"] == 0
    assert by_rule["symptoms/yellow"]["events_caught_7d"] == 0


def test_per_rule_figures_per_programme_use_that_programmes_weeks_and_events(truth: Truth) -> None:
    result = score(ALERTS, truth)
    # B's symptoms alert over B's and C's 4 weeks; A's spo2_band caught A's one event
    assert result["heart_failure"]["by_rule"]["symptoms/yellow"]["false_alerts_per_patient_week"] == 0.25
    assert result["copd"]["by_rule"]["spo2_band/yellow"]["events_caught_7d"] == 1.0
    assert "symptoms/yellow" not in result["copd"]["by_rule"]


def test_an_alert_before_the_window_does_not_catch_the_event_and_one_at_the_onset_does(truth: Truth) -> None:
    too_early = score([_alert("C", 4.9, "weight_gain", "yellow")], truth)["heart_failure"]
    at_onset = score([_alert("C", 12, "weight_gain", "yellow")], truth)["heart_failure"]
    assert (too_early["sensitivity_7d"], at_onset["sensitivity_7d"], at_onset["median_lead_hours"]) == (0, 1, 0)
