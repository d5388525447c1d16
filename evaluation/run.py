"""generate -> replay -> metrics: the whole evaluation, as ``make evaluate`` runs it.

``python -m evaluation run`` generates the cohort, replays it with ``python -m dho.replay`` in a
subprocess (the same command an outside cohort would use), computes the baselines from the same
messages, scores all three against the ground truth and writes build/evaluation.json, the plot and
EVALUATION.md. ``generate`` and ``score`` do the halves (``score`` takes any alerts.jsonl).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import dho
from evaluation.baselines import FixedThresholds, PersonalBaseline, fixed_threshold_alerts, personal_baseline_alerts
from evaluation.causes import alerts_by_patient_group, false_alert_causes, load_generator_truth, missed_event_causes
from evaluation.generator import CohortSpec, generate
from evaluation.metrics import score
from evaluation.plot import tradeoff_plot
from evaluation.readings import Reading, by_patient, decode, load_devices, message_lines
from evaluation.report import render, targets
from evaluation.truth import Truth, load_truth, read_jsonl

FIXED_SWEEP = (88.0, 89.0, 91.0, 92.0)  # SpO2 limits besides 90
PERSONAL_SWEEP = ((2.0, 10.0), (4.0, 20.0), (5.0, 25.0))  # (SpO2 points below, pulse above) besides (3, 15)


def replay(cohort: Path, out: Path) -> dict[str, Any]:
    """Run ``python -m dho.replay`` on the cohort; returns its summary.json."""
    # the subprocess imports the same dho package as this process (a worktree's, not the installed one)
    code_root = str(Path(dho.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (code_root, os.environ.get("PYTHONPATH"))))}
    subprocess.run([sys.executable, "-m", "dho.replay", str(cohort), "--out", str(out)], check=True, env=env)
    summary_path = out / "summary.json"
    summary: dict[str, Any] = json.loads(summary_path.read_text(encoding="utf-8")) if summary_path.exists() else {}
    return summary


def replay_available() -> bool:
    try:
        return importlib.util.find_spec("dho.replay") is not None
    except ModuleNotFoundError:
        return False


def _overall(alerts: list[dict[str, Any]], truth: Truth, label: str) -> dict[str, Any]:
    return {**score(alerts, truth)["overall"], "label": label}


def _sweeps(series: dict[str, list[Reading]], truth: Truth) -> dict[str, list[dict[str, Any]]]:
    fixed = [_overall(fixed_threshold_alerts(series, truth.programmes, replace(FixedThresholds(), spo2_below=limit)),
                      truth, f"SpO2<{limit:.0f}") for limit in FIXED_SWEEP]
    personal = [_overall(personal_baseline_alerts(series, replace(PersonalBaseline(), spo2_below_median=drop,
                                                                  heart_rate_above_median=rise)),
                         truth, f"-{drop:.0f}/+{rise:.0f}") for drop, rise in PERSONAL_SWEEP]
    return {"fixed_thresholds": fixed, "personal_baseline": personal}


def score_all(cohort: Path, engine_alerts: Path | None, *, sweeps: bool = True) -> dict[str, Any]:
    """Every engine's metrics on the cohort (the engine's own if ``engine_alerts`` is given)."""
    truth = load_truth(cohort)
    generated = load_generator_truth(cohort)
    series = by_patient(decode(message_lines(cohort), load_devices(cohort)))
    alerts: dict[str, list[dict[str, Any]]] = {}
    if engine_alerts is not None:
        alerts["engine"] = list(read_jsonl(engine_alerts))
    alerts["fixed_thresholds"] = fixed_threshold_alerts(series, truth.programmes)
    alerts["personal_baseline"] = personal_baseline_alerts(series)
    engines = {name: score(found, truth) for name, found in alerts.items()}
    return {
        "engines": engines,
        "targets": targets(engines),
        "false_alert_causes": {name: false_alert_causes(found, truth, generated) for name, found in alerts.items()},
        "missed_events": {name: missed_event_causes(found, truth, generated) for name, found in alerts.items()},
        "by_patient_group": {name: alerts_by_patient_group(found, truth, generated) for name, found in alerts.items()},
        "sweeps": _sweeps(series, truth) if sweeps else {},
    }


def _timed(timings: dict[str, float], name: str, action: Callable[[], Any]) -> Any:
    began = time.perf_counter()
    value = action()
    timings[name] = round(time.perf_counter() - began, 1)
    return value


def run(*, patients: int, days: int, seed: int, build: Path, report: Path, plot: Path,
        skip_replay: bool = False, replayed: Path | None = None) -> dict[str, Any]:
    """``replayed``: an earlier replay's output directory of the same cohort (alerts.jsonl, summary.json),
    scored instead of replaying again."""
    cohort, replay_out = build / "evaluation" / "cohort", build / "evaluation" / "replay"
    timings: dict[str, float] = {}
    summary = _timed(timings, "generate", lambda: generate(CohortSpec(patients, days, seed), cohort))
    note, replay_summary, engine_alerts = None, {}, None
    if replayed is not None:
        replay_summary = json.loads((replayed / "summary.json").read_text(encoding="utf-8"))
        timings["replay"] = sum(float(replay_summary.get(key, 0.0)) for key in ("wall_seconds", "load_seconds"))
        engine_alerts = replayed / "alerts.jsonl"
    elif skip_replay or not replay_available():
        note = "The engine was not replayed (dho.replay is not available): only the baselines are measured."
    else:
        replay_summary = _timed(timings, "replay", lambda: replay(cohort, replay_out))
        engine_alerts = replay_out / "alerts.jsonl"
    scored = _timed(timings, "metrics", lambda: score_all(cohort, engine_alerts))
    result = {"cohort": summary, "timings_s": timings, "replay_summary": replay_summary, "engine_note": note,
              **scored}
    (build / "evaluation.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    tradeoff_plot({name: m["overall"] for name, m in scored["engines"].items()}, scored["sweeps"], plot,
                  f"{patients} patients x {days} days, seed {seed}: sensitivity vs burden")
    report.write_text(render(result), encoding="utf-8")
    return result
