"""A PNG of one patient's timeline: each measured series with the plan's bands and the alerts."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt

from dho.domain.metrics import Metric
from dho.domain.plans import SelfManagementPlan
from dho.domain.timeline import TimelineEntry

_COLOURS = {"red": "#d62728", "yellow": "#e6b800"}


def plot_timeline(path: Path, patient_code: str, plan: SelfManagementPlan, series: dict[str, list[TimelineEntry]],
                  alerts: list[dict[str, Any]], start: datetime, end: datetime) -> Path:
    shown = [(name, entries) for name, entries in series.items() if entries]
    figure, axes = plt.subplots(len(shown), 1, figsize=(10, 2.4 * len(shown)), sharex=True, squeeze=False)
    for axis, (name, entries) in zip(axes[:, 0], shown, strict=True):
        axis.plot([e.measured_at for e in entries], [e.value for e in entries], marker="o", markersize=3,
                  linewidth=1, color="#1f77b4")
        limits = plan.limits.get(Metric(name))
        if limits is not None:
            red_low, yellow_low, yellow_high, red_high = limits.effective()
            low, high = axis.get_ylim()
            for lower, upper, colour in ((low, red_low, "red"), (red_low, yellow_low, "yellow"),
                                         (yellow_high, red_high, "yellow"), (red_high, high, "red")):
                if lower == lower and upper == upper and upper > lower:  # NaN is no limit
                    axis.axhspan(lower, upper, color=_COLOURS[colour], alpha=0.15, linewidth=0)
            axis.set_ylim(low, high)
        unit = entries[0].unit or ""
        axis.set_ylabel(f"{name}\n({unit})", fontsize=8)
        for alert in alerts:
            opened = datetime.fromisoformat(alert["opened_at"]["S"].replace("Z", "+00:00"))
            axis.axvline(opened, color=_COLOURS.get(alert["severity"]["S"], "grey"), linewidth=1.5, linestyle="--")
    axes[0, 0].set_title(f"patient {patient_code} ({plan.programme.value}, plan v{plan.version}): "
                         "readings, plan bands (shaded) and alerts (dashed)", fontsize=10)
    axes[-1, 0].set_xlim(start - timedelta(hours=6), end + timedelta(hours=6))
    figure.autofmt_xdate()
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path
