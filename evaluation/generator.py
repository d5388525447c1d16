"""The cohort on disk, in the replay format: patients, devices, every device message, and the ground truth.

Layout of the cohort directory (``python -m dho.replay`` reads the first three as they are):

* ``patients.jsonl``: ``{"patient_id", "programme", "tenant"}``
* ``devices.jsonl``: ``{"device_id", "patient_id", "from", "to"}`` (``to`` null while in use)
* ``messages.jsonl.gz``: ``{"topic", "payload", "received_at"}`` in arrival order, the payload a v1
  document exactly as the device publishes it (built by the project's simulator, ``localcloud.simulator``)
* ``events.jsonl``: the ground truth, ``{"patient_id", "kind", "onset", ...}`` with each event's windows
* ``truth/patients.jsonl`` and ``truth/annotations.jsonl``: each patient's drawn habits, colds and gaps,
  and every artefact reading, so the report can say what drives false alerts
* ``cohort.json``: seed, window and assumptions
"""

from __future__ import annotations

import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO

from dho.domain.metrics import Metric
from dho.domain.plans import Programme
from evaluation.assumptions import CohortAssumptions
from evaluation.body import Body
from evaluation.episodes import Cold, Event, plan_colds, plan_events
from evaluation.population import Patient, SymptomHabit, draw_patient
from localcloud.simulator.cohort import MODELS, Device, DeviceKind
from localcloud.simulator.payloads import measurement_document, readings_topic, spoil, symptom_document
from localcloud.simulator.rhythm import OSLO

TENANT = "eval"
DEFAULT_START = datetime(2026, 1, 5, tzinfo=UTC)
ENROLLED_BEFORE_START = timedelta(days=30)
_KINDS: dict[Programme, tuple[DeviceKind, ...]] = {
    Programme.COPD: (DeviceKind.OXIMETER, DeviceKind.THERMOMETER, DeviceKind.APP),
    Programme.COPD_HYPERCAPNIC: (DeviceKind.OXIMETER, DeviceKind.THERMOMETER, DeviceKind.APP),
    Programme.HEART_FAILURE: (DeviceKind.SCALE, DeviceKind.BP_CUFF, DeviceKind.APP),
}
_MAIN_DEVICE = {Programme.COPD: DeviceKind.OXIMETER, Programme.COPD_HYPERCAPNIC: DeviceKind.OXIMETER,
                Programme.HEART_FAILURE: DeviceKind.SCALE}
# Some devices report in a unit the platform converts (an imported scale in pounds, a thermometer in °F).
_OTHER_UNIT: dict[DeviceKind, tuple[Metric, str, float]] = {
    DeviceKind.SCALE: (Metric.BODY_WEIGHT, "[lb_av]", 0.10),
    DeviceKind.THERMOMETER: (Metric.BODY_TEMPERATURE, "[degF]", 0.05),
}


@dataclass(frozen=True)
class CohortSpec:
    patients: int = 1000
    days: int = 90
    seed: int = 1
    start: datetime = DEFAULT_START
    assumptions: CohortAssumptions = field(default_factory=CohortAssumptions)

    @property
    def end(self) -> datetime:
        return self.start + timedelta(days=self.days)


@dataclass(frozen=True, slots=True)
class Assignment:
    device: Device
    patient_id: str
    valid_from: datetime
    valid_to: datetime | None

    def covers(self, at: datetime) -> bool:
        return self.valid_from <= at and (self.valid_to is None or at < self.valid_to)

    def record(self) -> dict[str, Any]:
        return {"device_id": self.device.device_id, "patient_id": self.patient_id,
                "from": _iso(self.valid_from), "to": None if self.valid_to is None else _iso(self.valid_to)}


def _iso(at: datetime) -> str:
    return at.astimezone(UTC).isoformat(timespec="seconds")


@dataclass
class PatientOutput:
    patient: Patient
    events: list[Event]
    colds: list[Cold]
    gaps: list[tuple[date, date]]
    assignments: list[Assignment]
    messages: list[tuple[datetime, str]]  # (received_at, JSON line)
    annotations: list[dict[str, Any]]


def _devices(patient: Patient, spec: CohortSpec, rng: random.Random) -> list[Assignment]:
    enrolled = spec.start - ENROLLED_BEFORE_START
    swap_at = None
    if rng.random() < spec.assumptions.device_swap_share and spec.days > 20:
        swap_at = spec.start + timedelta(days=rng.uniform(10, spec.days - 10))
    out = []
    for kind in _KINDS[patient.programme]:
        device = _device(f"{kind.value}-ev{patient.index:05d}", kind, rng)
        if swap_at is not None and kind is _MAIN_DEVICE[patient.programme]:
            out.append(Assignment(device, patient.patient_id, enrolled, swap_at))
            out.append(Assignment(_device(f"{device.device_id}b", kind, rng), patient.patient_id, swap_at, None))
        else:
            out.append(Assignment(device, patient.patient_id, enrolled, None))
    return out


def _device(device_id: str, kind: DeviceKind, rng: random.Random) -> Device:
    units = {}
    if kind in _OTHER_UNIT:
        metric, unit, share = _OTHER_UNIT[kind]
        if rng.random() < share:
            units[metric] = unit
    return Device(device_id, kind, MODELS[kind], units)


def _gaps(spec: CohortSpec, rng: random.Random) -> list[tuple[date, date]]:
    """Runs of local days without any measurement: [first, last]."""
    a, gaps = spec.assumptions, []
    day, last = spec.start.astimezone(OSLO).date(), (spec.end - timedelta(seconds=1)).astimezone(OSLO).date()
    while day <= last:
        if rng.random() < a.gap_rate_per_day:
            length = round(rng.uniform(*a.gap_days))
            gaps.append((day, day + timedelta(days=length - 1)))
            day += timedelta(days=length + 1)
        else:
            day += timedelta(days=1)
    return gaps


Planned = list[tuple[DeviceKind, datetime]]


def _slots(patient: Patient, body: Body, day: date, rng: random.Random, a: CohortAssumptions) -> Planned:
    """The measurements this patient plans on local ``day`` (before adherence and admissions)."""
    def at(clock: time) -> datetime:
        jitter = max(-60.0, min(60.0, rng.gauss(0.0, 20.0)))
        return datetime.combine(day, clock, tzinfo=OSLO) + timedelta(minutes=jitter, seconds=rng.randint(0, 59))

    planned: Planned = []
    if patient.programme is Programme.HEART_FAILURE:
        planned += [(DeviceKind.SCALE, at(time(7, 15))), (DeviceKind.BP_CUFF, at(time(7, 40)))]
        if patient.twice_daily:
            planned.append((DeviceKind.BP_CUFF, at(time(19, 30))))
    else:
        morning = at(time(8, 0))
        planned.append((DeviceKind.OXIMETER, morning))
        if patient.twice_daily:
            planned.append((DeviceKind.OXIMETER, at(time(20, 0))))
        share = a.temperature_unwell_share if body.unwell(morning) else a.temperature_day_share
        if rng.random() < share:
            planned.append((DeviceKind.THERMOMETER, morning + timedelta(minutes=8)))
    if patient.habit is not SymptomHabit.NEVER_ANSWERS:
        planned.append((DeviceKind.APP, at(time(9, 30))))
    return planned


def simulate_patient(index: int, spec: CohortSpec) -> PatientOutput:
    a, seed = spec.assumptions, spec.seed
    patient = draw_patient(index, spec.patients, seed, a)
    rng = random.Random(f"{seed}:{index}:events")
    events = plan_events(patient.programme, spec.start, spec.days, rng, a)
    colds = plan_colds(spec.start, spec.days, rng, a)
    assignments = _devices(patient, spec, random.Random(f"{seed}:{index}:devices"))
    days_rng = random.Random(f"{seed}:{index}:days")
    gaps = _gaps(spec, days_rng)
    body = Body(patient, events, colds, spec.start, random.Random(f"{seed}:{index}:body"), a)
    wire = random.Random(f"{seed}:{index}:wire")
    out = PatientOutput(patient, events, colds, gaps, assignments, [], [])
    sequence: dict[str, int] = {}
    day = spec.start.astimezone(OSLO).date()
    while (first := datetime.combine(day, time(0), tzinfo=OSLO)) < spec.end:
        day_gap = any(g0 <= day <= g1 for g0, g1 in gaps)
        for kind, measured_at in _slots(patient, body, day, days_rng, a):
            taken = days_rng.random() < patient.adherence
            if (day_gap or not taken or not spec.start <= measured_at < spec.end
                    or any(e.admitted(measured_at) for e in events)):
                continue
            assignment = next(x for x in assignments if x.device.kind is kind and x.covers(measured_at))
            device = assignment.device
            sequence[device.device_id] = sequence.get(device.device_id, 0) + 1
            reading_id = f"{device.device_id}-{sequence[device.device_id]:06d}"
            document = _document(body, kind, device, reading_id, measured_at, out.annotations)
            _emit(out, device, kind, document, measured_at, wire, a)
        day = (first + timedelta(days=1, hours=3)).date()
    return out


def _document(body: Body, kind: DeviceKind, device: Device, reading_id: str, at: datetime,
              annotations: list[dict[str, Any]]) -> dict[str, Any]:
    patient_id = body.patient.patient_id
    if kind is DeviceKind.APP:
        return symptom_document(device, reading_id, at, body.questionnaire(), body.answers(at))
    if kind is DeviceKind.OXIMETER:
        values, artefact = body.oximeter(at)
        if artefact:
            annotations.append({"patient_id": patient_id, "measured_at": _iso(at), "kind": "oximeter_artefact"})
    elif kind is DeviceKind.SCALE:
        values, dressed = body.scale(at)
        if dressed:
            annotations.append({"patient_id": patient_id, "measured_at": _iso(at), "kind": "weighed_dressed"})
    elif kind is DeviceKind.BP_CUFF:
        values = body.cuff(at)
    else:
        values = body.thermometer(at)
    return measurement_document(device, reading_id, at, values)


def _emit(out: PatientOutput, device: Device, kind: DeviceKind, document: dict[str, Any], measured_at: datetime,
          rng: random.Random, a: CohortAssumptions) -> None:
    received = measured_at + timedelta(seconds=rng.uniform(2, 60))
    if rng.random() < a.late_rate:
        received += timedelta(hours=rng.uniform(*a.late_hours))
    if rng.random() < a.bad_rate:
        text, reason = spoil(document, kind, rng)
        try:
            document = json.loads(text)
        except ValueError:
            return  # a message cut off in transit: the reading is lost
        out.annotations.append({"patient_id": out.patient.patient_id, "measured_at": _iso(measured_at),
                                "kind": "refused_payload", "reason": reason.value})
    topic = readings_topic(TENANT, device.device_id)
    out.messages.append((received, _message_line(topic, document, received)))
    if rng.random() < a.duplicate_rate:
        again = received + timedelta(seconds=rng.uniform(5, 120))
        out.messages.append((again, _message_line(topic, document, again)))


def _message_line(topic: str, document: dict[str, Any], received: datetime) -> str:
    return json.dumps({"topic": topic, "payload": document,
                       "received_at": received.astimezone(UTC).isoformat(timespec="milliseconds")},
                      separators=(",", ":"), ensure_ascii=False)


def _write_jsonl(handle: TextIO, records: list[dict[str, Any]]) -> None:
    for record in records:
        handle.write(json.dumps(record, separators=(",", ":"), ensure_ascii=False) + "\n")


def generate(spec: CohortSpec, directory: Path) -> dict[str, Any]:
    """Write the cohort into ``directory``; returns the summary written to cohort.json."""
    (directory / "truth").mkdir(parents=True, exist_ok=True)
    outputs = [simulate_patient(index, spec) for index in range(spec.patients)]
    messages = sorted((m for o in outputs for m in o.messages), key=lambda m: m[0])
    with gzip.open(directory / "messages.jsonl.gz", "wt", encoding="utf-8", compresslevel=5) as handle:
        for _, line in messages:
            handle.write(line + "\n")
    files = {
        "patients.jsonl": [{"patient_id": o.patient.patient_id, "programme": o.patient.programme.value,
                            "tenant": TENANT} for o in outputs],
        "devices.jsonl": [x.record() for o in outputs for x in o.assignments],
        "events.jsonl": [e.record(o.patient.patient_id, o.patient.programme) for o in outputs for e in o.events],
        "truth/patients.jsonl": [{**o.patient.record(),
                                  "colds": [{"start": _iso(c.start), "end": _iso(c.end), "fever": c.fever}
                                            for c in o.colds],
                                  "gaps": [[g0.isoformat(), g1.isoformat()] for g0, g1 in o.gaps]}
                                 for o in outputs],
        "truth/annotations.jsonl": [n for o in outputs for n in o.annotations],
    }
    for name, records in files.items():
        with (directory / name).open("w", encoding="utf-8") as handle:
            _write_jsonl(handle, records)
    summary = {"schema": "dho.evaluation-cohort/1", "seed": spec.seed, "patients": spec.patients,
               "days": spec.days, "start": _iso(spec.start), "end": _iso(spec.end), "tenant": TENANT,
               "messages": len(messages), "events": len(files["events.jsonl"]),
               "assumptions": spec.assumptions.as_dict()}
    (directory / "cohort.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return summary
