"""What the patient-record routes answer (pydantic: they validate the responses and make the OpenAPI
document): one metric shaped for a chart, plan versions, devices, the alert history."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from dho.centre.records import ChartSeries
from dho.centre.schemas import AlertOut
from dho.domain.alerts import Alert
from dho.domain.plans import SelfManagementPlan
from dho.domain.registry import DeviceAssignment
from dho.domain.symptoms import Answer


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class PointOut(_Out):
    measured_at: datetime
    value: float


class TrendOut(_Out):
    at: datetime = Field(description="the time of the reading the values were computed at")
    value: float = Field(description="the personal baseline after the reading: EWMA, half-life 72 h")
    slope_per_day: float | None = Field(description="least-squares slope over the 74 h change window, per day")
    change: float | None = Field(description="newest minus oldest value in the 74 h window (weight-gain rule)")
    below_personal_mean: bool = Field(description="below the prior 7-day mean - 1.645 SD (SpO2 trend rule)")


class BandOut(_Out):
    zone: Literal["green", "yellow", "red"]
    low: float | None = Field(description="lower edge; null: none")
    high: float | None = Field(description="upper edge; null: none (a value on an edge is in the milder zone)")


class SeriesAlertOut(_Out):
    alert_id: str
    rule: str
    severity: Literal["red", "yellow"]
    opened_at: datetime
    state: Literal["open", "acknowledged", "closed"]
    close_outcome: str | None

    @classmethod
    def of(cls, alert: Alert) -> SeriesAlertOut:
        return cls(alert_id=alert.alert_id, rule=alert.rule.value, severity=alert.severity.value,
                   opened_at=alert.opened_at, state=alert.state.value,
                   close_outcome=None if alert.close_reason is None else alert.close_reason.value)


class AnswersOut(_Out):
    measured_at: datetime
    questionnaire: str
    answers: dict[str, str | bool | int | list[str]]


class SeriesOut(_Out):
    metric: str
    unit: str | None
    points: list[PointOut]
    trend: list[TrendOut]
    bands: list[BandOut] = Field(description="the zones of the patient's current plan, low to high")
    plan_version: int | None
    alerts: list[SeriesAlertOut] = Field(description="alerts of the metric's rules opened in the period")
    answers: list[AnswersOut] = Field(description="symptom answers of the period, same time axis")
    truncated: bool = Field(description="more readings than one chart holds: the oldest were left out")

    @classmethod
    def of(cls, series: ChartSeries) -> SeriesOut:
        return cls(
            metric=series.metric.value, unit=series.unit,
            points=[PointOut(measured_at=e.measured_at, value=e.value) for e in series.points if e.value is not None],
            trend=[TrendOut(at=t.at, value=t.value, slope_per_day=t.slope_per_day, change=t.change,
                            below_personal_mean=t.below_personal_mean) for t in series.trend],
            bands=[BandOut(zone=b.zone.value, low=b.low, high=b.high) for b in series.bands],
            plan_version=series.plan_version, alerts=[SeriesAlertOut.of(a) for a in series.alerts],
            answers=[AnswersOut(measured_at=a.measured_at, questionnaire=a.questionnaire,
                                answers=_json_answers(a.answers)) for a in series.answers],
            truncated=series.truncated,
        )


class PlanVersionOut(_Out):
    version: int
    changed_by: str = Field(description="HPR number of the clinician, or 'template'")
    changed_at: datetime
    change_note: str
    plan: SelfManagementPlan


class PlanVersionsOut(_Out):
    patient_id: str
    versions: list[PlanVersionOut] = Field(description="newest first")

    @classmethod
    def of(cls, patient_id: str, plans: list[SelfManagementPlan]) -> PlanVersionsOut:
        return cls(patient_id=patient_id, versions=[
            PlanVersionOut(version=p.version, changed_by=p.changed_by, changed_at=p.changed_at,
                           change_note=p.change_note, plan=p) for p in plans])


class DevicePeriodOut(_Out):
    device_id: str
    valid_from: datetime
    valid_to: datetime | None = Field(description="null: the patient has the device now")

    @classmethod
    def of(cls, period: DeviceAssignment) -> DevicePeriodOut:
        return cls(device_id=period.device_id, valid_from=period.valid_from, valid_to=period.valid_to)


class DevicesOut(_Out):
    patient_id: str
    devices: list[DevicePeriodOut] = Field(description="newest period first")


class AlertHistoryOut(_Out):
    patient_id: str
    alerts: list[AlertOut] = Field(description="alerts opened in the period, newest first, with outcomes")


def _json_answers(answers: Mapping[str, Answer]) -> dict[str, str | bool | int | list[str]]:
    return {code: list(answer) if isinstance(answer, tuple) else answer for code, answer in answers.items()}
