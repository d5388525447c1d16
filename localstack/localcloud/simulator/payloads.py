"""Device messages on the wire (schema dho.device-reading/1), and the ways a few of them go wrong.

A message is what one device publishes once: its topic and the payload text. A duplicate is the very
same text again (a device resending after a lost PUBACK); a bad payload replaces the reading it
should have been, with the reason the platform is expected to refuse it for.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from dho.domain.metrics import METRIC_SPECS, Metric
from dho.domain.payload_schema import SCHEMA_V1
from dho.domain.rejections import RejectionReason
from dho.domain.symptoms import Answer, Questionnaire
from localcloud.simulator.cohort import Device, DeviceKind
from localcloud.simulator.rhythm import OSLO


class MessageKind(StrEnum):
    GOOD = "good"
    DUPLICATE = "duplicate"
    BAD = "bad"


def readings_topic(tenant: str, device_id: str) -> str:
    return f"dho/{tenant}/devices/{device_id}/readings"


@dataclass(frozen=True, slots=True)
class DeviceMessage:
    tenant: str
    device_id: str
    patient_id: str
    payload: str
    measured_at: datetime
    send_at: datetime  # simulated time the device publishes it
    kind: MessageKind = MessageKind.GOOD
    expected_reason: RejectionReason | None = None  # for bad payloads

    @property
    def topic(self) -> str:
        return readings_topic(self.tenant, self.device_id)


def _wire_value(metric: Metric, canonical_value: float, unit: str) -> float:
    """The value as a device reporting in ``unit`` shows it (inverse of the platform's conversion)."""
    spec = METRIC_SPECS[metric]
    if unit == spec.canonical_unit:
        return canonical_value
    per_unit = spec.to_canonical(1000.0, unit)
    offset = spec.to_canonical(0.0, unit)
    if per_unit is None or offset is None:
        raise ValueError(f"{unit} is not a unit of {metric}")
    return round((canonical_value - offset) * 1000.0 / (per_unit - offset), 1)


def measurement_document(device: Device, reading_id: str, measured_at: datetime,
                         values: dict[Metric, float]) -> dict[str, Any]:
    measurements = []
    for metric, value in values.items():
        unit = device.unit_of(metric, METRIC_SPECS[metric].canonical_unit)
        shown = _wire_value(metric, value, unit)
        measurements.append({"metric": metric.value, "value": int(shown) if shown.is_integer() else shown,
                             "unit": unit})
    return {**_header(device, reading_id, measured_at), "measurements": measurements}


def symptom_document(device: Device, reading_id: str, measured_at: datetime, questionnaire: Questionnaire,
                     answers: dict[str, Answer]) -> dict[str, Any]:
    return {**_header(device, reading_id, measured_at),
            "symptoms": {"questionnaire": questionnaire.value, "answers": answers}}


def _header(device: Device, reading_id: str, measured_at: datetime) -> dict[str, Any]:
    return {"schema": SCHEMA_V1, "device": {"id": device.device_id, "model": device.model},
            "reading_id": reading_id, "measured_at": measured_at.astimezone(OSLO).isoformat(timespec="seconds")}


def encode(document: dict[str, Any]) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def spoil(document: dict[str, Any], kind: DeviceKind, rng: random.Random) -> tuple[str, RejectionReason]:
    """A bad version of a good payload: half of them cut off mid-message (malformed JSON), the others
    with the device's typical fault (wrong unit, impossible value, swapped pressures, free-text answer)."""
    text = encode(document)
    if rng.random() < 0.5:
        return text[: len(text) // 2], RejectionReason.MALFORMED_JSON
    spoiled = json.loads(text)
    if kind is DeviceKind.APP:  # free text where a code, a yes/no or a 0-10 score belongs
        answers = spoiled["symptoms"]["answers"]
        answers["chest_pain" if "chest_pain" in answers else next(iter(answers))] = "no"
        return encode(spoiled), RejectionReason.INVALID_ANSWER
    measurements = {m["metric"]: m for m in spoiled["measurements"]}
    if kind is DeviceKind.OXIMETER:
        measurements["spo2"]["value"] = 127
        return encode(spoiled), RejectionReason.IMPLAUSIBLE_VALUE
    if kind is DeviceKind.SCALE:  # grams sent as kilograms
        weight = measurements["body_weight"]
        weight.update(value=round(float(METRIC_SPECS[Metric.BODY_WEIGHT].to_canonical(weight["value"], weight["unit"])
                                        or 0) * 1000), unit="kg")
        return encode(spoiled), RejectionReason.IMPLAUSIBLE_VALUE
    if kind is DeviceKind.BP_CUFF:
        systolic, diastolic = measurements["systolic_bp"], measurements["diastolic_bp"]
        systolic["value"], diastolic["value"] = diastolic["value"], systolic["value"]
        return encode(spoiled), RejectionReason.INCONSISTENT_PANEL
    if kind is DeviceKind.THERMOMETER:  # a thermometer set to kelvin
        temperature = measurements["body_temperature"]
        celsius = METRIC_SPECS[Metric.BODY_TEMPERATURE].to_canonical(temperature["value"], temperature["unit"])
        temperature.update(value=round((celsius or 37.0) + 273.15, 2), unit="K")
        return encode(spoiled), RejectionReason.UNKNOWN_UNIT
    glucose = measurements["blood_glucose"]  # a glucometer in g/L
    glucose.update(value=round(float(glucose["value"]) / 10, 2), unit="g/L")
    return encode(spoiled), RejectionReason.UNKNOWN_UNIT
