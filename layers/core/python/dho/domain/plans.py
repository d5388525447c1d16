"""Personal self-management plans (egenbehandlingsplan): the limits each patient is scored against.

A plan holds, per metric, green/yellow/red limits that are absolute (``yellow_low=92``) and/or
relative to the patient's own baseline (``yellow_below_baseline=3``: yellow under baseline - 3); the
stricter of the two applies. It also says which NEWS2 SpO2 scale applies (scale 2 only for confirmed
hypercapnic respiratory failure) and which trend rules run. Plans are versioned: every change is a
new version that records who made it, when and why.

A plan also says which metrics the patient is expected to measure how often (``expected_measurements``:
COPD SpO2 and pulse daily, heart failure weight daily, diabetes glucose twice a day, generic nothing), and
may hold a planned absence (``paused_until``, e.g. a hospital stay) that mutes missed-measurement alerts
until then (``dho.evaluation.adherence``). Plans stored before these fields existed read as
``expected_measurements=None``: the programme template's schedule applies (the schedule is part of the
programme the patient was enrolled in); a nurse who wants none saves a version with ``{}``.

Likewise ``expected_questionnaires``: which questionnaires the patient answers how often (COPD daily,
PHQ-9 and GAD-7 every two weeks); ``None`` reads as the programme's.

A plan also holds what the patient is told per zone (``advice``, ``dho.domain.plan_advice``), in bokmål
and nynorsk; plans stored before it read as ``advice=None``: the programme's texts apply.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from dho.domain.baselines import PersonalBaseline, PersonalRules
from dho.domain.metrics import Metric
from dho.domain.plan_advice import ADVICE_TEMPLATES, AdviceLanguage, ZoneAdvice
from dho.questionnaires.zones import ZoneRules


# The one vocabulary of programmes: the tenant file (infra/config.py), the plans, the API and the advice
# texts all take their names from here (tests/unit/test_programme_vocabulary.py keeps them equal).
class Programme(StrEnum):
    COPD = "copd"
    COPD_HYPERCAPNIC = "copd_hypercapnic"
    HEART_FAILURE = "heart_failure"
    DIABETES = "diabetes"
    CANCER = "cancer"
    MENTAL_HEALTH = "mental_health"
    GENERIC = "generic"


_FROZEN = ConfigDict(frozen=True, extra="forbid")


class MetricLimits(BaseModel):
    """Limits of one metric, in its canonical unit. A value on a limit gets the milder band."""

    model_config = _FROZEN

    red_low: float | None = None
    yellow_low: float | None = None
    yellow_high: float | None = None
    red_high: float | None = None
    baseline: float | None = Field(default=None, description="the patient's usual value")
    red_below_baseline: float | None = Field(default=None, ge=0)
    yellow_below_baseline: float | None = Field(default=None, ge=0)
    yellow_above_baseline: float | None = Field(default=None, ge=0)
    red_above_baseline: float | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _ordered(self) -> MetricLimits:
        low_to_high = [v for v in (self.red_low, self.yellow_low, self.yellow_high, self.red_high) if v is not None]
        if low_to_high != sorted(low_to_high):
            raise ValueError("limits must satisfy red_low <= yellow_low <= yellow_high <= red_high")
        return self

    def effective(self) -> tuple[float, float, float, float]:
        """(red_low, yellow_low, yellow_high, red_high) with the relative limits applied; NaN = none."""

        def stricter(absolute: float | None, offset: float | None, sign: int, pick: str) -> float:
            candidates = [absolute] if absolute is not None else []
            if offset is not None and self.baseline is not None:
                candidates.append(self.baseline + sign * offset)
            if not candidates:
                return math.nan
            return max(candidates) if pick == "max" else min(candidates)

        return (
            stricter(self.red_low, self.red_below_baseline, -1, "max"),
            stricter(self.yellow_low, self.yellow_below_baseline, -1, "max"),
            stricter(self.yellow_high, self.yellow_above_baseline, +1, "min"),
            stricter(self.red_high, self.red_above_baseline, +1, "min"),
        )


class ScoreRise(BaseModel):
    """A questionnaire's total up by ``points`` or more since the patient's previous answer (PHQ-9: 5 points
    is the clinically significant change, Löwe B et al. Med Care 2004;42:1194-201)."""

    model_config = _FROZEN

    questionnaire: str = Field(min_length=1)
    points: int = Field(ge=1)
    zone: Literal["yellow", "red"] = "yellow"


class SustainedAnswer(BaseModel):
    """An item at ``at_least`` or more in every report of ``days`` days in a row (ESAS-r pain >= 7 for two
    days): the newest report and every report of the span before it, the oldest of them at least
    ``days - 1`` days (less half a day of slack) before the newest."""

    model_config = _FROZEN

    questionnaire: str = Field(min_length=1)
    item: str = Field(min_length=1)
    at_least: int
    days: int = Field(ge=2, le=14)
    zone: Literal["yellow", "red"] = "red"


class TrendRules(BaseModel):
    model_config = _FROZEN

    weight_gain_kg: float | None = Field(
        default=None, gt=0, description="yellow when weight rises more than this within 3 days (ESC: 2 kg)")
    spo2_below_rolling_mean: bool = Field(
        default=False, description="yellow when SpO2 falls below its 7-day mean - 1.645 SD (Cooper 2020)")
    score_rises: tuple[ScoreRise, ...] = ()
    sustained_answers: tuple[SustainedAnswer, ...] = ()


class MeasurementSchedule(BaseModel):
    """One expected metric: measured at least every ``every_hours``; overdue once ``every_hours +
    grace_hours`` have passed since the newest measurement (e.g. daily: 24 h + 12 h)."""

    model_config = _FROZEN

    every_hours: int = Field(ge=1, le=24 * 14)
    grace_hours: int = Field(default=12, ge=0, le=24 * 7)

    @property
    def overdue_after(self) -> timedelta:
        return _hours(self.every_hours + self.grace_hours)

    @property
    def grace(self) -> timedelta:
        return timedelta(hours=self.grace_hours)


@cache
def _hours(hours: int) -> timedelta:
    """One timedelta per number of hours (every hourly check and evaluation asks for the same few)."""
    return timedelta(hours=hours)


class SelfManagementPlan(BaseModel):
    model_config = _FROZEN

    patient_id: str
    version: int = Field(ge=1)
    programme: Programme
    spo2_scale: int = Field(ge=1, le=2, description="NEWS2 SpO2 scale; 2 only for hypercapnic failure")
    on_home_oxygen: bool = False
    limits: dict[Metric, MetricLimits]
    trends: TrendRules = TrendRules()
    # None (a plan stored before schedules existed): the programme template's schedule; {}: none expected.
    expected_measurements: dict[Metric, MeasurementSchedule] | None = None
    # The questionnaires (ids of dho/questionnaires/*.json) the patient answers and how often; None (a plan
    # stored before questionnaires were planned): the programme template's.
    expected_questionnaires: dict[str, MeasurementSchedule] | None = None
    # The patient's own answer -> zone rules for a questionnaire (key); absent: the rules shipped with it.
    questionnaire_zones: dict[str, ZoneRules] | None = None
    # A planned absence (hospital stay, holiday): no missed-measurement alerts before this moment, and
    # the overdue clock starts again from it.
    paused_until: datetime | None = None
    # None (a plan stored before advice texts existed): the programme's texts (dho.domain.plan_advice).
    advice: dict[AdviceLanguage, ZoneAdvice] | None = None
    # A single yellow reading first gets "measure again in this many minutes" (a cold finger on the
    # oximeter); None: no re-measure prompt. Never for a red (dho.advice.service).
    remeasure_yellow_after_minutes: int | None = Field(default=None, ge=1, le=60)
    # The patient's usual values as confirmed by a nurse after the run-in (None: not yet; dho.domain.baselines),
    # and the parameters of the rules that use it.
    baseline: PersonalBaseline | None = None
    personal_rules: PersonalRules = PersonalRules()
    changed_by: str = Field(min_length=1, description="HPR number of the clinician, or 'template'")
    changed_at: datetime
    change_note: str = ""

    @model_validator(mode="after")
    def _scale_two_only_for_hypercapnic(self) -> SelfManagementPlan:
        if self.spo2_scale == 2 and self.programme is not Programme.COPD_HYPERCAPNIC:
            raise ValueError("SpO2 scale 2 is for confirmed hypercapnic respiratory failure only")
        return self

    @model_validator(mode="after")
    def _aware_pause(self) -> SelfManagementPlan:
        if self.paused_until is not None and self.paused_until.tzinfo is None:
            raise ValueError("paused_until needs a time zone")
        return self

    def measurement_schedule(self) -> dict[Metric, MeasurementSchedule]:
        """The metrics expected and how often: the plan's own, or the programme's default (see the module doc)."""
        if self.expected_measurements is not None:
            return dict(self.expected_measurements)
        return dict(_SCHEDULES[self.programme])

    def questionnaire_schedule(self) -> dict[str, MeasurementSchedule]:
        """The questionnaires expected and how often: the plan's own, or the programme's default."""
        if self.expected_questionnaires is not None:
            return dict(self.expected_questionnaires)
        return dict(_QUESTIONNAIRE_SCHEDULES[self.programme])

    def zone_rules(self, questionnaire: str) -> ZoneRules | None:
        """The plan's own zone rules of ``questionnaire``; None: the shipped ones apply."""
        return (self.questionnaire_zones or {}).get(questionnaire)

    def advice_texts(self, language: AdviceLanguage) -> ZoneAdvice:
        """The patient's advice in ``language``: the plan's own, else the programme's; a plan edited in
        the other language only keeps the programme's texts for this one (never a text in no language)."""
        programme = ADVICE_TEMPLATES[self.programme.value][language]
        own = (self.advice or {}).get(language)
        if own is None:
            return programme
        if own.overdue_questionnaire is None:  # texts stored before questionnaire reminders: the programme's
            return own.model_copy(update={"overdue_questionnaire": programme.overdue_questionnaire})
        return own


def _limits(**by_metric: dict[str, float]) -> dict[Metric, MetricLimits]:
    return {Metric(name): MetricLimits(**values) for name, values in by_metric.items()}


# Defaults from the published sources (NEWS2 edges, BEAT-HF, COPD action plans); marked (guess) there where
# nobody has published a number. Nurses tune them per patient: that is what the versions are for.
# Edges: a value below red_low (above red_high) is red, so "red < 88 %" is red_low=88.
_COMMON = _limits(
    heart_rate={"red_low": 40, "yellow_low": 50, "yellow_high": 100, "red_high": 130},
    respiratory_rate={"red_low": 8, "yellow_low": 12, "yellow_high": 20, "red_high": 24},
    systolic_bp={"red_low": 90, "yellow_low": 100, "yellow_high": 160, "red_high": 220},
    body_temperature={"red_low": 35.0, "yellow_low": 36.0, "yellow_high": 38.0, "red_high": 39.0},
)

_TEMPLATES: dict[Programme, tuple[int, dict[Metric, MetricLimits], TrendRules]] = {
    Programme.GENERIC: (1, {**_COMMON, **_limits(spo2={"red_low": 90, "yellow_low": 94})}, TrendRules()),
    Programme.COPD: (
        1,
        {**_COMMON, **_limits(spo2={"red_low": 88, "yellow_low": 92})},
        TrendRules(spo2_below_rolling_mean=True),
    ),
    Programme.COPD_HYPERCAPNIC: (
        2,
        {**_COMMON, **_limits(spo2={"red_low": 85, "yellow_low": 88})},  # target 88-92 %
        TrendRules(spo2_below_rolling_mean=True),
    ),
    Programme.HEART_FAILURE: (
        1,
        {**_COMMON, **_limits(spo2={"red_low": 90, "yellow_low": 94},
                              systolic_bp={"red_low": 90, "yellow_low": 100, "yellow_high": 160, "red_high": 170},
                              heart_rate={"red_low": 40, "yellow_low": 50, "yellow_high": 100, "red_high": 110})},
        TrendRules(weight_gain_kg=2.0),
    ),
    Programme.DIABETES: (
        1,
        {**_COMMON, **_limits(spo2={"red_low": 90, "yellow_low": 94},
                              blood_glucose={"red_low": 3.0, "yellow_low": 4.0, "yellow_high": 15.0,
                                             "red_high": 20.0})},
        TrendRules(),
    ),
    # Cancer and mental health are followed by what the patient reports (ESAS-r; PHQ-9 and GAD-7); the
    # common limits apply to whatever they happen to measure.
    # (guess) severe pain (ESAS-r >= 7) two days running is red: the pain plan is not holding.
    Programme.CANCER: (1, {**_COMMON, **_limits(spo2={"red_low": 90, "yellow_low": 94})}, TrendRules(
        sustained_answers=(SustainedAnswer(questionnaire="esas_r", item="esas_pain", at_least=7, days=2),))),
    Programme.MENTAL_HEALTH: (1, {**_COMMON, **_limits(spo2={"red_low": 90, "yellow_low": 94})}, TrendRules(
        score_rises=(ScoreRise(questionnaire="phq9", points=5),))),
}


_DAILY = MeasurementSchedule(every_hours=24)
# What each programme expects the patient to measure (COPD and heart-failure follow-up is daily;
# diabetes morning and evening). (guess) for the grace: half a day, so a late measurement is not an alert.
_SCHEDULES: dict[Programme, dict[Metric, MeasurementSchedule]] = {
    Programme.GENERIC: {},
    Programme.COPD: {Metric.SPO2: _DAILY, Metric.HEART_RATE: _DAILY},
    Programme.COPD_HYPERCAPNIC: {Metric.SPO2: _DAILY, Metric.HEART_RATE: _DAILY},
    Programme.HEART_FAILURE: {Metric.BODY_WEIGHT: _DAILY},
    Programme.DIABETES: {Metric.BLOOD_GLUCOSE: MeasurementSchedule(every_hours=12)},
    Programme.CANCER: {},
    Programme.MENTAL_HEALTH: {},
}

_FORTNIGHTLY = MeasurementSchedule(every_hours=24 * 14, grace_hours=48)
# Which questionnaires each programme asks for and how often (ids of dho/questionnaires/*.json).
# PHQ-9 and GAD-7 ask about the last two weeks, so every two weeks; a nurse may plan them weekly.
_QUESTIONNAIRE_SCHEDULES: dict[Programme, dict[str, MeasurementSchedule]] = {
    Programme.GENERIC: {},
    Programme.COPD: {"copd": _DAILY},
    Programme.COPD_HYPERCAPNIC: {"copd": _DAILY},
    Programme.HEART_FAILURE: {"heart_failure": _DAILY},
    Programme.DIABETES: {"diabetes": _DAILY},
    Programme.CANCER: {"esas_r": _DAILY},
    Programme.MENTAL_HEALTH: {"phq9": _FORTNIGHTLY, "gad7": _FORTNIGHTLY},
}


# COPD oximetry: a single low SpO2 is often a cold finger or movement; a second measurement settles it.
_REMEASURE_MINUTES = {Programme.COPD: 5, Programme.COPD_HYPERCAPNIC: 5}
class PlanVersionConflict(ValueError):
    """Someone saved another version first: reload the plan and apply the change again."""


def plan_from_template(patient_id: str, programme: Programme, at: datetime) -> SelfManagementPlan:
    """Version 1 of a patient's plan: the programme's defaults, to be personalised by a nurse."""
    scale, limits, trends = _TEMPLATES[programme]
    return SelfManagementPlan(
        patient_id=patient_id, version=1, programme=programme, spo2_scale=scale, limits=limits, trends=trends,
        expected_measurements=dict(_SCHEDULES[programme]),
        expected_questionnaires=dict(_QUESTIONNAIRE_SCHEDULES[programme]),
        advice=dict(ADVICE_TEMPLATES[programme.value]),
        remeasure_yellow_after_minutes=_REMEASURE_MINUTES.get(programme),
        changed_by="template", changed_at=at, change_note=f"defaults of the {programme.value} programme",
    )


def revise(
    plan: SelfManagementPlan, *, changed_by: str, at: datetime, note: str, **changes: object
) -> SelfManagementPlan:
    """The next version of ``plan`` with ``changes`` applied (validated like any plan)."""
    data = plan.model_dump()
    data.update(changes, version=plan.version + 1, changed_by=changed_by, changed_at=at, change_note=note)
    return SelfManagementPlan.model_validate(data)
