"""The whole simulation: cohort → daily rhythm → physiology → payloads, as messages in publishing order.

Generation is separate from publishing: :func:`simulate` returns every message (with the registry and
ground truth) in the order the devices send them, and a publisher sends them later.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from dho.domain.symptoms import Questionnaire
from localcloud.simulator.cohort import SimPatient, TenantCohort, build_cohorts, registry_document
from localcloud.simulator.deteriorations import (
    ANSWERED_WHEN_WORSE,
    WORSE_ENOUGH_TO_ANSWER,
    Episode,
    Kind,
    Onsets,
    episode_record,
    plan_episodes,
)
from localcloud.simulator.payloads import (
    DeviceMessage,
    MessageKind,
    encode,
    measurement_document,
    spoil,
    symptom_document,
)
from localcloud.simulator.physiology import PatientBody
from localcloud.simulator.rhythm import (
    DEVICE_OF_TASK,
    QUESTIONNAIRE_TASKS,
    Planned,
    Task,
    answered_on_a_worse_day,
    day_plan,
    local_days,
)

ENROLLED_BEFORE_START = timedelta(days=30)
SEND_DELAY_S = (1, 20)  # a device publishes a few seconds after measuring
RESEND_DELAY_S = (5, 120)  # and resends a message whose PUBACK it missed


@dataclass(frozen=True, slots=True)
class Settings:
    tenants: tuple[str, ...] = ("bodo",)
    patients: int = 50
    days: float = 14.0
    start: datetime | None = None  # None: the window ending now (see cli)
    seed: int = 1
    deteriorating: float = 0.2  # share of eligible patients per deterioration kind
    kinds: tuple[Kind, ...] = tuple(Kind)
    onsets: Onsets = Onsets.RECENT
    duplicate_rate: float = 0.015
    bad_rate: float = 0.004


@dataclass
class TenantStats:
    messages: int = 0  # everything published: good + duplicates + bad
    good: int = 0
    duplicates: int = 0
    bad: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {"messages": self.messages, "good": self.good, "duplicates": self.duplicates,
                "bad": sum(self.bad.values()), "bad_by_reason": dict(sorted(self.bad.items()))}


@dataclass(frozen=True)
class Simulation:
    start: datetime
    end: datetime
    seed: int
    cohorts: list[TenantCohort]
    episodes: dict[str, Episode]  # by patient id
    messages: list[DeviceMessage]  # in publishing order
    enrolled_at: datetime

    def stats(self) -> dict[str, TenantStats]:
        stats = {cohort.tenant: TenantStats() for cohort in self.cohorts}
        for message in self.messages:
            tenant = stats[message.tenant]
            tenant.messages += 1
            if message.kind is MessageKind.GOOD:
                tenant.good += 1
            elif message.kind is MessageKind.DUPLICATE:
                tenant.duplicates += 1
            elif message.expected_reason is not None:
                tenant.bad[message.expected_reason.value] += 1
        return stats

    def registries(self) -> dict[str, dict[str, Any]]:
        return {c.tenant: registry_document(c, self.enrolled_at) for c in self.cohorts}

    def ground_truth(self) -> dict[str, Any]:
        """Who deteriorates when and how, who is stable, and which messages are expected to be refused."""
        patients = [p for c in self.cohorts for p in c.patients]
        return {
            "schema": "dho.simulator-truth/1",
            "seed": self.seed,
            "window": {"start": self.start.isoformat(timespec="seconds"),
                       "end": self.end.isoformat(timespec="seconds")},
            "note": "The platform raises alerts only for readings measured within 24 h of evaluation; "
                    "active_at_window_end marks the episodes a demo publishing the window at once can catch.",
            "tenants": {tenant: s.as_dict() for tenant, s in self.stats().items()},
            "deteriorations": [episode_record(p, self.episodes[p.patient_id], self.end)
                               for p in patients if p.patient_id in self.episodes],
            "stable_patients": [{"tenant": p.tenant, "patient_id": p.patient_id, "programme": p.programme.value}
                                for p in patients if p.patient_id not in self.episodes],
            "bad_payloads": [{"tenant": m.tenant, "device_id": m.device_id, "patient_id": m.patient_id,
                              "measured_at": m.measured_at.isoformat(timespec="seconds"),
                              "reason": m.expected_reason.value if m.expected_reason else None}
                             for m in self.messages if m.kind is MessageKind.BAD],
        }


def simulate(settings: Settings, *, start: datetime, end: datetime | None = None) -> Simulation:
    """Generate every message from ``start`` (aware) to ``end`` (default: ``settings.days`` later)."""
    end = end or start + timedelta(days=settings.days)
    cohorts = build_cohorts(list(settings.tenants), settings.patients, settings.seed)
    episodes: dict[str, Episode] = {}
    messages: list[tuple[datetime, str, int, DeviceMessage]] = []
    for cohort in cohorts:
        episodes.update(plan_episodes(cohort, start, end, settings.deteriorating, settings.seed,
                                      settings.kinds, settings.onsets))
        for patient in cohort.patients:
            for message in _patient_messages(patient, episodes.get(patient.patient_id), start, end, settings):
                messages.append((message.send_at, message.device_id, len(messages), message))
    messages.sort(key=lambda item: item[:3])
    return Simulation(start, end, settings.seed, cohorts, episodes, [m for *_, m in messages],
                      start - ENROLLED_BEFORE_START)


def _patient_messages(patient: SimPatient, episode: Episode | None, start: datetime, end: datetime,
                      settings: Settings) -> list[DeviceMessage]:
    rng = random.Random(f"{settings.seed}:{patient.rng_key}:days")
    faults = random.Random(f"{settings.seed}:{patient.rng_key}:faults")
    body = PatientBody(patient, episode, start, random.Random(f"{settings.seed}:{patient.rng_key}:body"))
    sequence: dict[str, int] = {}
    out: list[DeviceMessage] = []
    for day in local_days(start, end):
        for planned in _day(patient, episode, day, rng):
            if not start <= planned.at < end:
                continue
            device = patient.device(DEVICE_OF_TASK[planned.task])
            if device is None:
                continue
            sequence[device.device_id] = sequence.get(device.device_id, 0) + 1
            reading_id = f"{device.device_id}-{sequence[device.device_id]:06d}"
            document = _document(body, planned.task, device, reading_id, planned.at)
            send_at = min(end, planned.at + timedelta(seconds=faults.randint(*SEND_DELAY_S)))
            message = DeviceMessage(patient.tenant, device.device_id, patient.patient_id, encode(document),
                                    planned.at, send_at)
            resend_roll, bad_roll = faults.random(), faults.random()
            if bad_roll < settings.bad_rate:
                text, reason = spoil(document, device.kind, faults)
                out.append(DeviceMessage(message.tenant, message.device_id, message.patient_id, text,
                                         message.measured_at, send_at, MessageKind.BAD, reason))
                continue
            out.append(message)
            if resend_roll < settings.duplicate_rate:
                resend_at = min(end, send_at + timedelta(seconds=faults.randint(*RESEND_DELAY_S)))
                out.append(DeviceMessage(message.tenant, message.device_id, message.patient_id, message.payload,
                                         message.measured_at, resend_at, MessageKind.DUPLICATE))
    return out


def _day(patient: SimPatient, episode: Episode | None, day: date, rng: random.Random) -> list[Planned]:
    """The day's measurements and answers: the rhythm's (a weekly answer on the patient's own weekday), and
    in a low mood also the weekly questionnaires on a day they are not asked for."""
    planned = day_plan(patient.programme, day, patient.miss_rate, rng, phase=patient.index)
    if episode is None or episode.kind not in ANSWERED_WHEN_WORSE or any(p.task is Task.QUESTIONNAIRE
                                                                          for p in planned):
        return planned
    extra = [p for p in answered_on_a_worse_day(patient.programme, day, rng)
             if episode.intensity(p.at) >= WORSE_ENOUGH_TO_ANSWER]
    return sorted(planned + extra, key=lambda p: p.at)


def _document(body: PatientBody, task: Task, device: Any, reading_id: str, at: datetime) -> dict[str, Any]:
    if task in QUESTIONNAIRE_TASKS:
        questionnaire: Questionnaire = body.questionnaire(task)
        return symptom_document(device, reading_id, at, questionnaire, body.answers(at, questionnaire))
    return measurement_document(device, reading_id, at, body.measure(task, at))


def tenant_of(simulation: Simulation, patient_id: str) -> str:
    return next(p.tenant for c in simulation.cohorts for p in c.patients if p.patient_id == patient_id)


def all_patients(simulation: Simulation) -> Sequence[SimPatient]:
    return [p for c in simulation.cohorts for p in c.patients]
