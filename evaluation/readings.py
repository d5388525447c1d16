"""The cohort's measurements read straight from its messages, for the baselines (no platform involved).

Each message's payload is decoded as a device sends it; units are converted with the platform's own
table (``dho.domain.metrics``). A resent message counts once; a message that is not a valid v1 document,
an unknown unit or an implausible value is skipped; the device's assignment at the measured time says
whose reading it is.
"""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from dho.domain.metrics import METRIC_SPECS, Metric
from dho.domain.payload_schema import SCHEMA_V1
from evaluation.truth import read_jsonl


@dataclass(frozen=True, slots=True)
class Reading:
    patient_id: str
    metric: Metric
    value: float  # canonical unit
    measured_at: datetime
    received_at: datetime


@dataclass(frozen=True, slots=True)
class DeviceUse:
    patient_id: str
    valid_from: datetime
    valid_to: datetime | None


def load_devices(cohort: Path) -> dict[str, list[DeviceUse]]:
    uses: dict[str, list[DeviceUse]] = defaultdict(list)
    for row in read_jsonl(cohort / "devices.jsonl"):
        to = row.get("to")
        uses[row["device_id"]].append(DeviceUse(row["patient_id"], datetime.fromisoformat(row["from"]),
                                                datetime.fromisoformat(to) if to else None))
    return uses


def message_lines(cohort: Path) -> Iterator[dict[str, Any]]:
    path = cohort / "messages.jsonl.gz"
    if path.exists():
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            yield from (_json(line) for line in handle if line.strip())
    else:
        yield from read_jsonl(cohort / "messages.jsonl")


def _json(line: str) -> dict[str, Any]:
    value = json.loads(line)
    return value if isinstance(value, dict) else {}


def decode(messages: Iterable[dict[str, Any]], devices: dict[str, list[DeviceUse]]) -> list[Reading]:
    """Every valid measurement once, in arrival order."""
    seen: set[tuple[str, str]] = set()
    out: list[Reading] = []
    for message in messages:
        payload, received = message.get("payload"), message.get("received_at")
        if not isinstance(payload, dict) or payload.get("schema") != SCHEMA_V1 or not isinstance(received, str):
            continue
        try:
            device_id, reading_id = payload["device"]["id"], payload["reading_id"]
            measured_at = datetime.fromisoformat(payload["measured_at"])
            measurements = payload.get("measurements") or []
            received_at = datetime.fromisoformat(received)
        except (KeyError, TypeError, ValueError):
            continue
        if (device_id, reading_id) in seen:
            continue
        seen.add((device_id, reading_id))
        owner = next((u.patient_id for u in devices.get(device_id, ())
                      if u.valid_from <= measured_at and (u.valid_to is None or measured_at < u.valid_to)), None)
        if owner is None:
            continue
        out.extend(Reading(owner, metric, value, measured_at, received_at)
                   for metric, value in _canonical(measurements))
    return out


def _canonical(measurements: Any) -> Iterator[tuple[Metric, float]]:
    if not isinstance(measurements, list):
        return
    for item in measurements:
        try:
            metric = Metric(item["metric"])
            value = METRIC_SPECS[metric].to_canonical(float(item["value"]), str(item["unit"]))
        except (KeyError, TypeError, ValueError):
            continue
        if value is not None and METRIC_SPECS[metric].is_plausible(value):
            yield metric, value


def by_patient(readings: Iterable[Reading]) -> dict[str, list[Reading]]:
    """Each patient's readings in measured order."""
    grouped: dict[str, list[Reading]] = defaultdict(list)
    for reading in readings:
        grouped[reading.patient_id].append(reading)
    for series in grouped.values():
        series.sort(key=lambda r: r.measured_at)
    return grouped
