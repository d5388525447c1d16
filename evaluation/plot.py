"""The trade-off plot: sensitivity (7 days) against clinical alerts per patient-week, one point per engine
(and per setting of the baselines' thresholds), with the targets' corner shaded."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # the backend is chosen before pyplot loads

TARGET_SENSITIVITY = 0.85
TARGET_BURDEN = 0.5
_STYLE = {"engine": ("tab:red", "o"), "fixed_thresholds": ("tab:blue", "s"), "personal_baseline": ("tab:green", "^")}


def _drawable(metrics: dict[str, Any]) -> bool:
    return metrics.get("sensitivity_7d") is not None and metrics.get("alerts_per_patient_week") is not None


def tradeoff_plot(points: dict[str, dict[str, Any]], sweeps: dict[str, list[dict[str, Any]]], path: Path,
                  title: str) -> None:
    """``points``: engine name -> its overall metrics; ``sweeps``: engine name -> metrics at other settings
    (each with a ``label``), drawn as a line through the engine's point."""
    figure, axes = plt.subplots(figsize=(7.5, 5.2), dpi=120)
    axes.axvspan(0, TARGET_BURDEN, ymin=TARGET_SENSITIVITY, ymax=1.0, color="gold", alpha=0.25,
                 label="target: >= 85 % at <= 0.5 alerts/patient-week")
    for name, all_settings in sweeps.items():
        colour, _ = _STYLE.get(name, ("grey", "x"))
        sweep = [m for m in all_settings if _drawable(m)]
        through = [points[name]] if name in points and _drawable(points[name]) else []
        ordered = sorted([*sweep, *through], key=lambda m: m["alerts_per_patient_week"])
        axes.plot([m["alerts_per_patient_week"] for m in ordered], [m["sensitivity_7d"] for m in ordered],
                  color=colour, alpha=0.5, linewidth=1, linestyle="--")
        for m in sweep:
            axes.annotate(m["label"], (m["alerts_per_patient_week"], m["sensitivity_7d"]), fontsize=6,
                          color=colour, alpha=0.8, xytext=(3, -8), textcoords="offset points")
    for name, metrics in points.items():
        if not _drawable(metrics):
            continue  # no events (a tiny cohort): no sensitivity to draw
        colour, marker = _STYLE.get(name, ("grey", "x"))
        axes.scatter([metrics["alerts_per_patient_week"]], [metrics["sensitivity_7d"]], color=colour, marker=marker,
                     s=70, zorder=3, label=name.replace("_", " "))
    axes.set_xlabel("clinical alerts per patient-week")
    axes.set_ylabel("sensitivity (alert in the 7 days before onset)")
    axes.set_ylim(0, 1.0)
    axes.set_xlim(left=0)
    axes.grid(alpha=0.3)
    axes.set_title(title, fontsize=10)
    axes.legend(fontsize=8, loc="lower right")
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.tight_layout()
    figure.savefig(path)
    plt.close(figure)
