"""The bodies the enrolment, device and plan routes accept and what they answer (pydantic: they validate
the requests and make the OpenAPI document). The national id is write-only: accepted once, never answered."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from dho.centre.enrolment import DischargeReason, Enrolment
from dho.centre.schemas import EnrolmentOut
from dho.domain.identifiers import InvalidNationalId, validate_national_id
from dho.domain.metrics import Metric
from dho.domain.plan_advice import AdviceLanguage
from dho.domain.plans import MeasurementSchedule, MetricLimits, Programme, TrendRules

HPR_PATTERN = r"^[1-9][0-9]{3,8}$"

_IN = ConfigDict(extra="forbid", str_strip_whitespace=True)


class EnrolIn(BaseModel):
    """An individual decision (vedtak) on home follow-up. The responsible centre is the centre whose
    API is called (the tenant named it)."""

    model_config = _IN

    national_id: str = Field(repr=False, json_schema_extra={"writeOnly": True},
                             description="fødselsnummer or D-number; kept in the registry record only, never answered")
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(pattern=r"^[A-Za-z0-9-]{1,16}$", description="the short code the centre uses on the phone")
    programme: Programme
    decision_ref: str = Field(min_length=1, max_length=64, description="the decision's reference (vedtak)")
    decided_on: date
    start: date
    review_on: date = Field(description="planned review of the decision")
    gp_hpr: str | None = Field(default=None, pattern=HPR_PATTERN, description="the patient's GP (fastlege)")
    hospital_organisations: list[str] = Field(default_factory=list, max_length=10,
                                              description="hospitals (organisation numbers) collaborating")

    @field_validator("national_id")
    @classmethod
    def _valid_national_id(cls, value: str) -> str:
        try:
            return validate_national_id(value)
        except InvalidNationalId as invalid:
            raise ValueError(f"not a valid national id: {invalid}") from None  # the rule, never the number

    @field_validator("hospital_organisations")
    @classmethod
    def _organisation_numbers(cls, value: list[str]) -> list[str]:
        if any(not o.isdigit() or len(o) != 9 for o in value):
            raise ValueError("an organisation number has 9 digits")
        return sorted(set(value))

    @model_validator(mode="after")
    def _dates_in_order(self) -> EnrolIn:
        if not self.decided_on <= self.start < self.review_on:
            raise ValueError("the decision comes first, then the start, then the review")
        return self


class DischargeIn(BaseModel):
    model_config = _IN

    reason: DischargeReason
    on: date


class DeviceAtIn(BaseModel):
    model_config = _IN

    at: AwareDatetime = Field(description="when the device was handed out (assign) or came back (unassign)")


class AdviceTextsIn(BaseModel):
    """The patient's advice texts of one language to change (left out: the texts in force stay). What the
    device shows the patient: no name, no value. A red text must tell the patient to call 113."""

    model_config = _IN

    green: str | None = Field(default=None, min_length=1, max_length=500)
    yellow: str | None = Field(default=None, min_length=1, max_length=500)
    red: str | None = Field(default=None, min_length=1, max_length=500)
    remeasure: str | None = Field(default=None, min_length=1, max_length=500,
                                  description="asked after a single reading out of band")
    overdue: str | None = Field(default=None, min_length=1, max_length=500,
                                description="the reminder when a measurement is overdue")
    overdue_questionnaire: str | None = Field(default=None, min_length=1, max_length=500,
                                              description="the reminder when a questionnaire is overdue")

    @field_validator("red")
    @classmethod
    def _red_says_113(cls, text: str | None) -> str | None:
        # Refused here already, so the 422 names body/advice/<language>/red (the plan refuses it too).
        if text is not None and "113" not in text:
            raise ValueError("the red advice must tell the patient to call 113 when it is acute")
        return text

    def texts(self) -> dict[str, str]:
        return {name: text for name, text in self.model_dump().items() if text is not None}


class PlanChangeIn(BaseModel):
    """The fields to change (left out: unchanged) and why. ``limits`` and ``expected_measurements`` change
    the metrics named only (null removes a metric's); ``advice`` the languages and texts named only (null
    for a language: back to the programme's texts). A version records who (the caller's HPR number),
    when and this note."""

    model_config = _IN

    note: str = Field(min_length=1, max_length=1000, description="why the plan changes")
    limits: dict[Metric, MetricLimits | None] = Field(
        default_factory=dict, description="per metric: its new limits, or null to remove them; others unchanged")
    trends: TrendRules | None = None
    expected_measurements: dict[Metric, MeasurementSchedule | None] = Field(
        default_factory=dict, description="per metric: how often it is expected, or null: not expected")
    paused_until: AwareDatetime | None = Field(default=None, description="no missed-measurement alerts before then")
    on_home_oxygen: bool | None = None
    spo2_scale: int | None = Field(default=None, ge=1, le=2)
    advice: dict[AdviceLanguage, AdviceTextsIn | None] = Field(
        default_factory=dict, description="per language (nb, nn): the texts to change, or null: the programme's")
    remeasure_yellow_after_minutes: int | None = Field(
        default=None, ge=1, le=60, description="ask a single yellow to measure again after this; null: never")

    @model_validator(mode="after")
    def _changes_something(self) -> PlanChangeIn:
        if not self.changes():
            raise ValueError("name at least one field to change")
        return self

    def changes(self) -> dict[str, Any]:
        found = {name: getattr(self, name) for name in self.model_fields_set - {"note"}}
        if "advice" in found:  # plain texts per language (None: back to the programme's)
            found["advice"] = {lang: None if texts is None else texts.texts() for lang, texts in self.advice.items()}
        return found


class EnrolmentRecordOut(EnrolmentOut):
    recorded_by: str | None
    recorded_at: datetime | None
    discharged_on: date | None
    discharge_reason: str | None
    discharged_by: str | None
    reviewed_by: str | None
    reviewed_at: datetime | None
    version: int

    @classmethod
    def of_record(cls, enrolment: Enrolment) -> EnrolmentRecordOut:
        return cls(
            **EnrolmentOut.of(enrolment).model_dump(), recorded_by=enrolment.recorded_by,
            recorded_at=enrolment.recorded_at, discharged_on=enrolment.discharged_on,
            discharge_reason=None if enrolment.discharge_reason is None else enrolment.discharge_reason.value,
            discharged_by=enrolment.discharged_by, reviewed_by=enrolment.reviewed_by,
            reviewed_at=enrolment.reviewed_at, version=enrolment.version,
        )
