"""The cohort as the metrics see it: who follows which programme over which window, and the events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class TruthEvent:
    patient_id: str
    kind: str
    onset: datetime
    recovery_start: datetime | None = None  # the acute phase is [onset, recovery_start)
    recovery_end: datetime | None = None


@dataclass(frozen=True)
class Truth:
    start: datetime
    end: datetime
    programmes: dict[str, str]  # patient id -> programme
    events: tuple[TruthEvent, ...]


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


def _optional_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def load_truth(cohort: Path) -> Truth:
    meta = json.loads((cohort / "cohort.json").read_text(encoding="utf-8"))
    programmes = {p["patient_id"]: p["programme"] for p in read_jsonl(cohort / "patients.jsonl")}
    events = []
    for e in read_jsonl(cohort / "events.jsonl"):
        onset = datetime.fromisoformat(e["onset"])
        events.append(TruthEvent(e["patient_id"], e["kind"], onset, _optional_time(e.get("recovery_start")),
                                 _optional_time(e.get("recovery_end"))))
    return Truth(datetime.fromisoformat(meta["start"]), datetime.fromisoformat(meta["end"]), programmes,
                 tuple(events))
