"""The daily rhythm of home measurements: what each programme measures when, and what gets missed.

Times are local (Europe/Oslo) clock times with some scatter: a morning weight around 07:15, blood
pressure morning and evening, SpO2 two or three times a day, the symptom questionnaire once a day (ESAS-r
for cancer), PHQ-9 and GAD-7 once a week on the patient's own weekday (mental health).
Patients skip some measurements (their personal miss rate) and now and then a whole day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from dho.domain.plans import Programme
from localcloud.simulator.cohort import DeviceKind

OSLO = ZoneInfo("Europe/Oslo")
WHOLE_DAY_MISSED = 0.02  # (guess) a day away, or simply forgotten
JITTER_SD_MIN = 15.0
JITTER_MAX_MIN = 45.0


class Task(StrEnum):
    SPO2 = "spo2"  # oximeter: SpO2 and pulse
    BLOOD_PRESSURE = "blood_pressure"  # cuff: systolic, diastolic and pulse
    WEIGHT = "weight"
    TEMPERATURE = "temperature"
    GLUCOSE_FASTING = "glucose_fasting"
    GLUCOSE_LUNCH = "glucose_lunch"
    GLUCOSE_DINNER = "glucose_dinner"
    GLUCOSE_BEDTIME = "glucose_bedtime"
    QUESTIONNAIRE = "questionnaire"  # the programme's questionnaire (COPD, heart failure, ESAS-r, PHQ-9)
    GAD7 = "gad7"  # mental health answers GAD-7 with the PHQ-9


DEVICE_OF_TASK: dict[Task, DeviceKind] = {
    Task.SPO2: DeviceKind.OXIMETER,
    Task.BLOOD_PRESSURE: DeviceKind.BP_CUFF,
    Task.WEIGHT: DeviceKind.SCALE,
    Task.TEMPERATURE: DeviceKind.THERMOMETER,
    Task.GLUCOSE_FASTING: DeviceKind.GLUCOMETER,
    Task.GLUCOSE_LUNCH: DeviceKind.GLUCOMETER,
    Task.GLUCOSE_DINNER: DeviceKind.GLUCOMETER,
    Task.GLUCOSE_BEDTIME: DeviceKind.GLUCOMETER,
    Task.QUESTIONNAIRE: DeviceKind.APP,
    Task.GAD7: DeviceKind.APP,
}

QUESTIONNAIRE_TASKS = frozenset({Task.QUESTIONNAIRE, Task.GAD7})  # answered in the app


@dataclass(frozen=True, slots=True)
class Slot:
    """A planned measurement: local clock time, task, the chance it is planned that day at all, and every
    how many days (weekly: on one weekday of the patient's, :func:`day_plan`'s ``phase``)."""

    at: time
    task: Task
    planned: float = 1.0
    every_days: int = 1


_COPD = (
    Slot(time(8, 0), Task.SPO2), Slot(time(8, 10), Task.TEMPERATURE), Slot(time(9, 0), Task.QUESTIONNAIRE),
    Slot(time(13, 30), Task.SPO2, planned=0.5), Slot(time(20, 0), Task.SPO2),
    Slot(time(20, 10), Task.TEMPERATURE, planned=0.2),
)
SCHEDULES: dict[Programme, tuple[Slot, ...]] = {
    Programme.COPD: _COPD,
    Programme.COPD_HYPERCAPNIC: _COPD,
    Programme.HEART_FAILURE: (
        Slot(time(7, 15), Task.WEIGHT), Slot(time(7, 30), Task.BLOOD_PRESSURE),
        Slot(time(9, 0), Task.QUESTIONNAIRE), Slot(time(19, 30), Task.BLOOD_PRESSURE),
    ),
    Programme.DIABETES: (
        Slot(time(7, 0), Task.GLUCOSE_FASTING), Slot(time(7, 10), Task.WEIGHT, planned=0.3),
        Slot(time(11, 30), Task.GLUCOSE_LUNCH, planned=0.4), Slot(time(16, 30), Task.GLUCOSE_DINNER),
        Slot(time(22, 0), Task.GLUCOSE_BEDTIME),
    ),
    Programme.GENERIC: (
        Slot(time(8, 0), Task.SPO2), Slot(time(8, 5), Task.BLOOD_PRESSURE), Slot(time(8, 10), Task.TEMPERATURE),
        Slot(time(19, 0), Task.SPO2),
    ),
    Programme.CANCER: (Slot(time(10, 0), Task.QUESTIONNAIRE),),
    Programme.MENTAL_HEALTH: (
        Slot(time(18, 0), Task.QUESTIONNAIRE, every_days=7), Slot(time(18, 5), Task.GAD7, every_days=7),
    ),
}


@dataclass(frozen=True, slots=True)
class Planned:
    at: datetime  # aware, UTC, whole seconds (as the payload's measured_at)
    task: Task


def day_plan(programme: Programme, day: date, miss_rate: float, rng: random.Random, phase: int = 0
             ) -> list[Planned]:
    """The measurements a patient actually takes on ``day`` (local date), in time order. ``phase`` shifts
    the days of a slot planned every few days (a weekly questionnaire on the patient's own weekday)."""
    if rng.random() < WHOLE_DAY_MISSED:
        return []
    taken = []
    for slot in SCHEDULES[programme]:
        planned, missed = rng.random() < slot.planned, rng.random() < miss_rate
        jitter = max(-JITTER_MAX_MIN, min(JITTER_MAX_MIN, rng.gauss(0.0, JITTER_SD_MIN)))
        seconds = rng.randint(0, 59)
        if not planned or missed or (day.toordinal() + phase) % slot.every_days:
            continue
        local = datetime.combine(day, slot.at, tzinfo=OSLO) + timedelta(seconds=round(jitter * 60) + seconds)
        taken.append(Planned(local.astimezone(UTC), slot.task))
    return sorted(taken, key=lambda p: p.at)


def answered_on_a_worse_day(programme: Programme, day: date, rng: random.Random) -> list[Planned]:
    """The programme's every-few-days slots (the weekly PHQ-9 and GAD-7) taken on ``day`` anyway: a patient
    feeling worse answers in the app between the planned days."""
    taken = []
    for slot in SCHEDULES[programme]:
        if slot.every_days > 1:
            jitter = max(-JITTER_MAX_MIN, min(JITTER_MAX_MIN, rng.gauss(0.0, JITTER_SD_MIN)))
            local = datetime.combine(day, slot.at, tzinfo=OSLO) + timedelta(seconds=round(jitter * 60))
            taken.append(Planned(local.astimezone(UTC), slot.task))
    return sorted(taken, key=lambda p: p.at)


def local_days(start: datetime, end: datetime) -> list[date]:
    """Every local date that overlaps [start, end)."""
    first, last = start.astimezone(OSLO).date(), end.astimezone(OSLO).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
