"""A synthetic cohort in the replay format (docs/replay.md) for the replay benchmark: COPD and
heart-failure patients measuring once or twice a day with realistic scatter, some symptom reports,
some duplicate deliveries, some days skipped. Deterministic for a seed. Not a clinical model: it only
has to exercise every code path at a realistic volume (the evaluation tooling has the clinical cohort)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

START = datetime(2026, 1, 5, tzinfo=UTC)  # a fixed past instant: the replay's clock is simulated


def write_cohort(directory: Path, *, patients: int, days: int, seed: int = 14, tenant: str = "bench") -> int:
    """Write patients.jsonl, devices.jsonl and messages.jsonl; returns the number of messages."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    messages: list[dict[str, Any]] = []
    with (directory / "patients.jsonl").open("w") as p_lines, (directory / "devices.jsonl").open("w") as d_lines:
        for index in range(patients):
            patient_id = f"P-B{index:05d}"
            programme = "heart_failure" if index % 3 == 0 else "copd"
            p_lines.write(json.dumps({"patient_id": patient_id, "programme": programme, "tenant": tenant}) + "\n")
            device = f"hub-{index:05d}"
            d_lines.write(json.dumps({"device_id": device, "patient_id": patient_id,
                                      "from": (START - timedelta(days=1)).isoformat(), "to": None}) + "\n")
            messages.extend(_patient_messages(rng, tenant, device, programme, days))
    messages.sort(key=lambda m: m["received_at"])
    with (directory / "messages.jsonl").open("w") as m_lines:
        for message in messages:
            m_lines.write(json.dumps(message) + "\n")
    return len(messages)


def _patient_messages(rng: random.Random, tenant: str, device: str, programme: str, days: int) -> list[dict[str, Any]]:
    twice = rng.random() < 0.3
    adherence = rng.uniform(0.6, 0.97)
    spo2_base, pulse_base, weight_base = rng.uniform(90, 97), rng.uniform(60, 90), rng.uniform(60, 110)
    out: list[dict[str, Any]] = []
    sequence = 0
    for day in range(days):
        for hour in ((8, 19) if twice else (9,)):
            if rng.random() > adherence:
                continue
            measured = START + timedelta(days=day, hours=hour, minutes=rng.uniform(-40, 40))
            sequence += 1
            if programme == "copd":
                measurements = [
                    {"metric": "spo2", "value": round(min(100.0, rng.gauss(spo2_base, 1.5))), "unit": "%"},
                    {"metric": "heart_rate", "value": round(rng.gauss(pulse_base, 6)), "unit": "/min"},
                ]
            else:
                systolic = round(rng.gauss(125, 12))
                measurements = [
                    {"metric": "body_weight", "value": round(rng.gauss(weight_base, 0.5), 1), "unit": "kg"},
                    {"metric": "systolic_bp", "value": systolic, "unit": "mmHg"},
                    {"metric": "diastolic_bp", "value": systolic - round(rng.uniform(30, 55)), "unit": "mmHg"},
                    {"metric": "heart_rate", "value": round(rng.gauss(pulse_base, 6)), "unit": "/min"},
                ]
            out.append(_message(tenant, device, f"{device}-{sequence:06d}", measured, measurements=measurements,
                                delay=rng.expovariate(1 / 30)))
            if rng.random() < 0.02:  # a redelivery of the same message minutes later
                out.append({**out[-1], "received_at": (datetime.fromisoformat(out[-1]["received_at"])
                                                       + timedelta(minutes=3)).isoformat()})
            if rng.random() < 0.25:
                sequence += 1
                worse = rng.random() < 0.15
                answers: dict[str, Any] = (
                    {"breathlessness": "more_than_usual" if worse else "usual", "sputum_amount": "usual",
                     "fever": False} if programme == "copd" else
                    {"breathlessness": "usual", "ankle_swelling": "more_than_usual" if worse else "usual",
                     "dizziness": False})
                out.append(_message(tenant, device, f"{device}-{sequence:06d}", measured + timedelta(minutes=2),
                                    symptoms={"questionnaire": programme, "answers": answers},
                                    delay=rng.expovariate(1 / 30)))
    return out


def _message(tenant: str, device: str, reading_id: str, measured: datetime, *, delay: float,
             **content: Any) -> dict[str, Any]:
    payload = {"schema": "dho.device-reading/1", "device": {"id": device}, "reading_id": reading_id,
               "measured_at": measured.isoformat(), **content}
    return {"topic": f"dho/{tenant}/devices/{device}/readings", "payload": payload,
            "received_at": (measured + timedelta(seconds=delay)).isoformat()}
