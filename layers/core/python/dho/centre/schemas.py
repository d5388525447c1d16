"""What the centre API answers (pydantic models: they validate the responses and make the OpenAPI
document) and the bodies it accepts."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from dho.centre.enrolment import Enrolment
from dho.centre.service import PatientView, WorklistRow
from dho.domain.access_log import AccessRecord
from dho.domain.advice import Advice
from dho.domain.alerts import Alert
from dho.domain.timeline import TimelineEntry

CloseOutcome = Literal[
    "contacted_patient", "advice_per_plan", "gp_informed", "home_visit", "admitted", "false_alarm", "device_problem"
]


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True)


class AlertOut(_Out):
    tenant: str
    alert_id: str
    version: int = Field(description="send it back as If-Match to act on this alert")
    patient_id: str
    rule: str
    severity: Literal["red", "yellow"]
    state: Literal["open", "acknowledged", "closed"]
    opened_at: datetime
    last_evidence_at: datetime
    escalation_tier: int
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    closed_by: str | None
    closed_at: datetime | None
    close_outcome: str | None
    close_note: str | None
    snoozed_until: datetime | None = Field(
        description="no repeat or escalation before this (a worsening breaks through)")

    @classmethod
    def of(cls, tenant: str, alert: Alert) -> AlertOut:
        return cls(
            tenant=tenant, alert_id=alert.alert_id, version=alert.version, patient_id=alert.patient_id,
            rule=alert.rule.value, severity=alert.severity.value, state=alert.state.value,
            opened_at=alert.opened_at, last_evidence_at=alert.last_evidence_at, escalation_tier=alert.tier,
            acknowledged_by=alert.acknowledged_by, acknowledged_at=alert.acknowledged_at,
            closed_by=alert.closed_by, closed_at=alert.closed_at,
            close_outcome=None if alert.close_reason is None else alert.close_reason.value,
            close_note=alert.close_note, snoozed_until=alert.snoozed_until,
        )  # fmt: skip


class WorklistRowOut(AlertOut):
    municipality: str = Field(description="the tenant's name (the municipality), for people to read")
    patient_name: str | None
    patient_code: str | None
    programme: str | None

    @classmethod
    def of_row(cls, row: WorklistRow, tenant_names: Mapping[str, str]) -> WorklistRowOut:
        enrolment = row.enrolment
        return cls(
            **AlertOut.of(row.tenant_id, row.alert).model_dump(), municipality=tenant_names[row.tenant_id],
            patient_name=None if enrolment is None else enrolment.name,
            patient_code=None if enrolment is None else enrolment.code,
            programme=None if enrolment is None else enrolment.programme,
        )


class WorklistOut(_Out):
    rows: list[WorklistRowOut]
    truncated_tenants: list[str] = Field(description="tenants with more open alerts than one list shows")


class EnrolmentOut(_Out):
    patient_id: str
    name: str
    code: str
    programme: str
    centre_id: str
    gp_hpr: str | None
    hospital_organisations: list[str]
    decision_ref: str
    decided_on: date
    start: date
    review_on: date

    @classmethod
    def of(cls, enrolment: Enrolment) -> EnrolmentOut:
        return cls(
            patient_id=enrolment.patient_id, name=enrolment.name, code=enrolment.code,
            programme=enrolment.programme, centre_id=enrolment.centre_id, gp_hpr=enrolment.gp_hpr,
            hospital_organisations=list(enrolment.hospital_organisations), decision_ref=enrolment.decision_ref,
            decided_on=enrolment.decided_on, start=enrolment.start, review_on=enrolment.review_on,
        )  # fmt: skip


class ReadingOut(_Out):
    series: str
    measured_at: datetime
    value: float | None
    unit: str | None
    answers: dict[str, str | bool]

    @classmethod
    def of(cls, entry: TimelineEntry) -> ReadingOut:
        return cls(series=entry.series, measured_at=entry.measured_at, value=entry.value, unit=entry.unit,
                   answers=dict(entry.answers))


class AdviceOut(_Out):
    """What the patient's device was told about one reading, and whether it went out."""

    message_id: str
    reading_id: str
    device_id: str
    kind: str  # zone | remeasure | confirmed | overdue
    zone: str
    text: str | None
    language: str
    plan_version: int
    sent_at: datetime | None
    outcome: str | None  # sent | not_sent
    error: str | None

    @classmethod
    def of(cls, advice: Advice) -> AdviceOut:
        return cls(message_id=advice.message_id, reading_id=advice.reading_id, device_id=advice.device_id,
                   kind=advice.kind.value, zone=advice.zone.value, text=advice.text, language=advice.language.value,
                   plan_version=advice.plan_version, sent_at=advice.sent_at,
                   outcome=advice.outcome.value if advice.outcome else None, error=advice.error)


class PatientOut(_Out):
    tenant: str
    municipality: str = Field(description="the tenant's name (the municipality), for people to read")
    enrolment: EnrolmentOut
    open_alerts: list[AlertOut]
    readings: list[ReadingOut]
    advice: list[AdviceOut]

    @classmethod
    def of(cls, view: PatientView, tenant_names: Mapping[str, str]) -> PatientOut:
        return cls(
            tenant=view.tenant_id, municipality=tenant_names[view.tenant_id], enrolment=EnrolmentOut.of(view.enrolment),
            open_alerts=[AlertOut.of(view.tenant_id, a) for a in view.open_alerts],
            readings=[ReadingOut.of(e) for e in view.readings],
            advice=[AdviceOut.of(a) for a in view.advice],
        )


class AccessEntryOut(_Out):
    access_id: str
    accessed_at: datetime
    outcome: str
    information_object: str
    hpr: str | None
    subject: str | None
    role: str | None
    organisation: str | None
    purpose: str | None

    @classmethod
    def of(cls, record: AccessRecord) -> AccessEntryOut:
        return cls(
            access_id=record.access_id, accessed_at=record.accessed_at, outcome=record.outcome.value,
            information_object=record.information_object, hpr=record.hpr, subject=record.subject,
            role=record.role, organisation=record.organisation, purpose=record.purpose,
        )


class AccessLogOut(_Out):
    patient_id: str
    entries: list[AccessEntryOut]


class CloseIn(BaseModel):
    """A nurse closes an alert with a coded outcome and a note (the note may hold health data: it stays
    in the tenant's encrypted table and is never logged)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    outcome: CloseOutcome
    note: str = Field(default="", max_length=2000)


class SnoozeIn(BaseModel):
    """A nurse snoozes an alert: until a time, or for some minutes (one of the two). The bound depends on
    the severity (docs/api.md): a longer snooze is refused (422); the note may hold health data."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    until: AwareDatetime | None = None
    minutes: int | None = Field(default=None, ge=1, le=24 * 60)
    note: str = Field(default="", max_length=2000)

    @model_validator(mode="after")
    def _one_of_until_or_minutes(self) -> SnoozeIn:
        if (self.until is None) == (self.minutes is None):
            raise ValueError("send either until or minutes")
        return self
