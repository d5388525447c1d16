"""The demo's lines about the patients who report in the app (cancer: ESAS-r; mental health: PHQ-9 and GAD-7):
every one of them, by code, with their answers stored, their alerts and whether the worklist shows them, and
never a name, a patient id, an answer or a score."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from dho.alerting.messages import patient_code
from dho.domain.plans import Programme
from localcloud.demo.reporting_patients import reporting, reporting_lines
from localcloud.simulator.simulation import Settings, simulate


def _alert(patient_id: str, rule: str, severity: str) -> dict[str, Any]:
    return {"pk": {"S": f"PATIENT#{patient_id}"}, "rule": {"S": rule}, "severity": {"S": severity}}


def test_each_reporting_patient_gets_a_line_with_answers_alerts_and_the_worklist_and_a_total_per_programme() -> None:
    simulation = simulate(Settings(tenants=("bodo",), patients=27, days=2, seed=7),
                          start=datetime(2026, 11, 1, tzinfo=UTC))
    patients = reporting(simulation)
    cancer = [p for p in patients if p.programme is Programme.CANCER]
    mental = [p for p in patients if p.programme is Programme.MENTAL_HEALTH]
    assert (len(cancer), len(mental)) == (2, 2)  # patients 5 and 25, 6 and 26 of the mix
    in_pain, low = cancer[0].patient_id, mental[0].patient_id
    answers = {in_pain: {"esas_r": 14}, low: {"phq9": 3, "gad7": 2}}
    alerts = [_alert(in_pain, "symptoms", "yellow"), _alert(in_pain, "questionnaire_trend", "red"),
              _alert(low, "symptoms", "yellow"), _alert("P-SOMEONE1", "spo2_band", "red")]

    lines = reporting_lines(simulation, answers, alerts, on_worklist={in_pain, low, "P-SOMEONE1"})

    assert len(lines) == 4 + 2
    first = lines[0]
    assert f"patient {patient_code(in_pain)}" in first and "cancer" in first
    assert "answers esas_r 14 | alerts: questionnaire_trend red, symptoms yellow | on the worklist: yes" in first
    assert "answers esas_r 0 | alerts: none | on the worklist: no" in lines[1]
    assert "answers gad7 2, phq9 3 | alerts: symptoms yellow | on the worklist: yes" in lines[2]
    assert lines[4:] == ["cancer: 2 patients, 1 with alerts, 1 on a centre's worklist",
                         "mental_health: 2 patients, 1 with alerts, 1 on a centre's worklist"]
    assert not any(p.patient_id in line or p.national_id in line for p in patients for line in lines)


def test_without_a_centre_api_the_worklist_column_says_so() -> None:
    simulation = simulate(Settings(tenants=("bodo",), patients=7, days=1, seed=7),
                          start=datetime(2026, 11, 1, tzinfo=UTC))

    lines = reporting_lines(simulation, {}, [], on_worklist=None)

    assert [line.rsplit(": ", 1)[1] for line in lines[:2]] == ["-", "-"]
    assert lines[2:] == ["cancer: 1 patients, 0 with alerts, 0 on a centre's worklist",
                         "mental_health: 1 patients, 0 with alerts, 0 on a centre's worklist"]
