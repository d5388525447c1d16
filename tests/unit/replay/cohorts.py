"""Small cohorts in the replay format (docs/replay.md), written into a test's directory."""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday, long past: the replay's clock is simulated


def payload(device: str, reading_id: str, measured: datetime, **content: Any) -> dict[str, Any]:
    return {"schema": "dho.device-reading/1", "device": {"id": device}, "reading_id": reading_id,
            "measured_at": measured.isoformat(), **content}


def vitals(**values: float) -> list[dict[str, Any]]:
    units = {"spo2": "%", "heart_rate": "/min", "body_weight": "kg", "body_temperature": "Cel"}
    return [{"metric": metric, "value": value, "unit": units[metric]} for metric, value in values.items()]


@dataclass
class CohortBuilder:
    tenant: str = "bodo"
    patients: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any] | str] = field(default_factory=list)

    def patient(self, patient_id: str, programme: str = "copd", device: str | None = None,
                **extra: Any) -> str:
        device = device or f"hub-{patient_id}"
        self.patients.append({"patient_id": patient_id, "programme": programme, "tenant": self.tenant, **extra})
        self.devices.append({"device_id": device, "patient_id": patient_id,
                             "from": (START - timedelta(days=30)).isoformat(), "to": None})
        return device

    def reading(self, device: str, reading_id: str, measured: datetime, *, delay: timedelta = timedelta(seconds=20),
                **content: Any) -> dict[str, Any]:
        message = {"topic": f"dho/{self.tenant}/devices/{device}/readings",
                   "payload": payload(device, reading_id, measured, **content),
                   "received_at": (measured + delay).isoformat()}
        self.messages.append(message)
        return message

    def write(self, directory: Path, *, gzipped: bool = False) -> Path:
        directory.mkdir(parents=True, exist_ok=True)
        _lines(directory / "patients.jsonl", self.patients)
        _lines(directory / "devices.jsonl", self.devices)
        text = "".join((m if isinstance(m, str) else json.dumps(m)) + "\n" for m in self.messages)
        if gzipped:
            with gzip.open(directory / "messages.jsonl.gz", "wt", encoding="utf-8") as out:
                out.write(text)
        else:
            (directory / "messages.jsonl").write_text(text, encoding="utf-8")
        return directory


def _lines(path: Path, records: list[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def alert_lines(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "alerts.jsonl").read_text().splitlines()]
