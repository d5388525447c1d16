"""The whole evaluation on a small cohort: the generator's cohort replays through ``python -m dho.replay``
as it is, and ``python -m evaluation run`` writes the report, the plot and build/evaluation.json."""

from __future__ import annotations

import json
from pathlib import Path

from evaluation.__main__ import main
from evaluation.generator import CohortSpec, generate
from evaluation.metrics import score
from evaluation.run import replay
from evaluation.truth import load_truth, read_jsonl


def test_the_generated_cohort_replays_as_it_is_and_only_the_spoiled_messages_are_quarantined(tmp_path: Path) -> None:
    cohort = tmp_path / "cohort"
    generate(CohortSpec(patients=8, days=21, seed=2), cohort)

    summary = replay(cohort, tmp_path / "replay")

    refused = [a for a in read_jsonl(cohort / "truth" / "annotations.jsonl") if a["kind"] == "refused_payload"]
    assert summary["line_errors"] == []
    assert summary["patients"] == 8
    assert summary["quarantined"]["total"] == len(refused)
    alerts = list(read_jsonl(tmp_path / "replay" / "alerts.jsonl"))
    assert alerts, "three weeks of 8 patients with the template plans raise alerts"
    assert score(alerts, load_truth(cohort))["overall"]["clinical_alerts"] > 0


def test_run_scores_an_earlier_replay_and_writes_report_plot_and_json(tmp_path: Path) -> None:
    # GIVEN an earlier replay's output: one red on the first patient, and its summary
    replayed = tmp_path / "replayed"
    replayed.mkdir()
    (replayed / "alerts.jsonl").write_text(json.dumps(
        {"at": "2026-01-06T08:00:00Z", "tenant": "eval", "patient_id": "P-EV000000", "alert_id": "a1",
         "rule": "news2", "severity": "red", "event": "opened", "tier": 0}) + "\n")
    (replayed / "summary.json").write_text(json.dumps({"evaluations": 10, "evaluations_per_second": 5.0,
                                                       "wall_seconds": 2.0}))
    report, plot, build = tmp_path / "EVALUATION.md", tmp_path / "plot.png", tmp_path / "build"

    # WHEN the evaluation runs on a small cohort with it
    assert main(["run", "--patients", "10", "--days", "21", "--build", str(build), "--report", str(report),
                 "--plot", str(plot), "--replayed", str(replayed)]) == 0

    # THEN the report has the engine's row, the plot is a PNG and the JSON holds all three engines
    result = json.loads((build / "evaluation.json").read_text())
    assert set(result["engines"]) == {"engine", "fixed_thresholds", "personal_baseline"}
    assert result["engines"]["engine"]["by_rule"]["news2/red"]["alerts_per_patient_week"] == 1 / 30
    assert "| this project (`python -m dho.replay`) |" in report.read_text()
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
