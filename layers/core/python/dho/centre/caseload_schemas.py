"""What the caseload routes answer and accept (pydantic: validation and the OpenAPI document)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from dho.centre.caseload import CaseloadRow


class CaseloadRowOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    tenant: str
    municipality: str = Field(description="the tenant's name (the municipality), for people to read")
    patient_id: str
    name: str
    code: str
    programme: str
    start: date
    review_on: date
    review_due: bool = Field(description="the review date is today or past")
    reviewed_by: str | None
    reviewed_at: datetime | None
    last_reading_at: datetime | None
    adherence_14d: dict[str, float | None] = Field(
        description="per metric the plan expects: share of its intervals (e.g. days) with a measurement")
    adherence_14d_overall: float | None = Field(description="the mean over the expected metrics")
    alerts_30d: dict[str, int] = Field(description="alerts opened in 30 days, by severity")
    open_alerts_30d: int
    outcomes_30d: dict[str, int] = Field(description="closed alerts of those, by the outcome they were closed with")
    plan_version: int | None
    plan_age_days: int | None = Field(description="days since the current plan version was made")

    @classmethod
    def of(cls, row: CaseloadRow, now: datetime, tenant_names: Mapping[str, str]) -> CaseloadRowOut:
        enrolment = row.enrolment
        shares = [s for s in row.adherence.values() if s is not None]
        return cls(
            tenant=row.tenant_id, municipality=tenant_names[row.tenant_id], patient_id=enrolment.patient_id,
            name=enrolment.name, code=enrolment.code,
            programme=enrolment.programme, start=enrolment.start, review_on=enrolment.review_on,
            review_due=enrolment.review_on <= now.date(), reviewed_by=enrolment.reviewed_by,
            reviewed_at=enrolment.reviewed_at, last_reading_at=row.last_reading_at,
            adherence_14d={m.value: s for m, s in row.adherence.items()},
            adherence_14d_overall=sum(shares) / len(shares) if shares else None,
            alerts_30d={"red": row.alerts_by_severity.get("red", 0), "yellow": row.alerts_by_severity.get("yellow", 0)},
            open_alerts_30d=row.open_alerts, outcomes_30d=row.outcomes, plan_version=row.plan_version,
            plan_age_days=None if row.plan_changed_at is None else (now - row.plan_changed_at).days,
        )


class CaseloadOut(BaseModel):
    model_config = ConfigDict(frozen=True)

    rows: list[CaseloadRowOut] = Field(description="tenant by tenant, each tenant's review due first")
    next_page: str | None = Field(description="pass as `after` for the next page; null: that was all")


class ReviewedIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    next_review_on: date = Field(description="the next review of the patient's follow-up (after today)")
