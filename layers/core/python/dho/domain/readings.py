"""Validated readings: what the rest of the system may trust after the payload parser."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

from dho.domain.clock import to_canonical
from dho.domain.metrics import Metric
from dho.domain.symptoms import Answer, Questionnaire


@dataclass(frozen=True, slots=True)
class Measurement:
    metric: Metric
    value: float  # in the metric's canonical UCUM unit
    unit: str


@dataclass(frozen=True, slots=True)
class SymptomReport:
    questionnaire: Questionnaire
    answers: tuple[tuple[str, Answer], ...]  # sorted by question code, so equal reports compare equal


@dataclass(frozen=True, slots=True)
class DeviceReading:
    """One message from one device: a single measurement, a panel, or a symptom report."""

    tenant_id: str
    device_id: str
    reading_id: str
    measured_at: datetime
    received_at: datetime
    measurements: tuple[Measurement, ...] = ()
    symptoms: SymptomReport | None = None

    def fingerprint(self) -> str:
        """A digest of what was measured (not of when it arrived): equal for a replay, different for
        a reading id reused with other values."""
        content = {
            "tenant": self.tenant_id,
            "device": self.device_id,
            "reading": self.reading_id,
            "measured_at": to_canonical(self.measured_at),
            "measurements": sorted((m.metric.value, repr(m.value), m.unit) for m in self.measurements),
            "symptoms": None
            if self.symptoms is None
            else [self.symptoms.questionnaire.value, [list(pair) for pair in self.symptoms.answers]],
        }
        encoded = json.dumps(content, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.sha256(encoded).hexdigest()
