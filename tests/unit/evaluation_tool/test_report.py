"""The report judges the issue's targets from the measured figures and lists every assumption's source."""

from __future__ import annotations

from typing import Any

from evaluation.assumptions import SOURCES, CohortAssumptions
from evaluation.report import render, targets


def _block(sensitivity: float, burden: float, lead: float) -> dict[str, Any]:
    return {"sensitivity_7d": sensitivity, "sensitivity_3d": sensitivity - 0.1, "median_lead_hours": lead,
            "alerts_per_patient_week": burden, "event_free_weeks_with_alert": 0.2,
            "missed_measurement_alerts_per_patient_week": 0.1}


def _engine(sensitivity: float, burden: float, heart_failure: float, copd_lead: float) -> dict[str, Any]:
    return {"overall": _block(sensitivity, burden, 50), "copd": _block(sensitivity, burden, copd_lead),
            "copd_hypercapnic": _block(sensitivity, burden, copd_lead),
            "heart_failure": _block(heart_failure, burden, 40), "all_copd": _block(sensitivity, burden, copd_lead),
            "by_rule": {"news2/red": {"alerts_per_patient_week": 0.2, "false_alerts_per_patient_week": 0.1,
                                      "events_caught_7d": 0.5}}}


def test_targets_are_met_only_when_every_figure_is_on_the_right_side() -> None:
    fixed = _engine(0.52, 0.91, 0.3, 60)
    good = targets({"engine": _engine(0.88, 0.45, 0.81, 80), "fixed_thresholds": fixed})
    assert all(row["met"] for row in good)
    noisy = {row["target"]: row["met"] for row in targets({"engine": _engine(0.89, 1.72, 0.75, 60),
                                                           "fixed_thresholds": fixed})}
    assert noisy == {
        "sensitivity (7 days) >= 85 % overall": True,
        "sensitivity (7 days) >= 80 % in heart failure": False,
        "<= 0.5 clinical alerts per patient-week": False,
        "median lead >= 24 h": True,
        "median lead >= 3 days in COPD (both programmes)": False,
        "better than the fixed thresholds on sensitivity and burden": False,
    }


def test_the_report_has_the_results_the_targets_and_every_source() -> None:
    engines = {"engine": _engine(0.89, 1.72, 0.75, 60), "fixed_thresholds": _engine(0.52, 0.91, 0.3, 60)}
    result = {"cohort": {"patients": 10, "days": 30, "seed": 1, "messages": 100, "events": 3,
                         "assumptions": CohortAssumptions().as_dict()},
              "timings_s": {"generate": 1.0}, "engines": engines, "targets": targets(engines)}
    text = render(result)
    assert "| this project (`python -m dho.replay`) | 89 % (COPD 89 %, hypercapnic 89 %, heart failure 75 %)" in text
    assert "| <= 0.5 clinical alerts per patient-week | 1.72 | **not met** |" in text
    assert all(source.source in text for source in SOURCES)
