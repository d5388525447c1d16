"""Routes of the patient's records: one metric over a period shaped for a chart, the plan's versions,
the devices the patient had and the alert history with outcomes (nurse, GP, hospital nurse: the
patient view's access rule). Each read is access-logged by the service before it is answered."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any, TypeVar, cast

import records_context as ctx
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Path, Query
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter
from pydantic import AwareDatetime

from dho.centre.record_schemas import (
    AlertHistoryOut,
    DevicePeriodOut,
    DevicesOut,
    PlanVersionsOut,
    SeriesOut,
)
from dho.centre.records import InvalidPeriod
from dho.centre.schemas import AlertOut
from dho.domain.metrics import Metric

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
_Handler = TypeVar("_Handler", bound=Callable[..., Any])

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]
Since = Annotated[AwareDatetime | None, Query(description="start of the period (inclusive); default: until - 14 days")]
Until = Annotated[AwareDatetime | None, Query(description="end of the period (exclusive); default: now")]
DEFAULT_CHART_PERIOD = timedelta(days=14)
DEFAULT_HISTORY_PERIOD = timedelta(days=90)


def _period(since: datetime | None, until: datetime | None, default: timedelta) -> tuple[datetime, datetime]:
    end = until or ctx.clock()
    return (since or end - default), end


@router.get("/patients/<tenant>/<patient_id>/series",
            summary="One metric over a period for a chart: readings, trend values, plan bands, alerts, answers")
def series(tenant: TenantId, patient_id: PatientId, metric: Annotated[Metric, Query()], since: Since = None,
           until: Until = None) -> SeriesOut:
    start, end = _period(since, until, DEFAULT_CHART_PERIOD)
    found = ctx.records_service().series(ctx.caller_of(router), tenant, patient_id, metric, start, end, ctx.clock())
    return SeriesOut.of(found)


@router.get("/patients/<tenant>/<patient_id>/plans", summary="The self-management plan's versions, newest first")
def plans(tenant: TenantId, patient_id: PatientId) -> PlanVersionsOut:
    versions = ctx.records_service().plan_versions(ctx.caller_of(router), tenant, patient_id, ctx.clock())
    return PlanVersionsOut.of(patient_id, list(versions))


@router.get("/patients/<tenant>/<patient_id>/devices", summary="The devices the patient had (assignment periods)")
def devices(tenant: TenantId, patient_id: PatientId) -> DevicesOut:
    periods = ctx.records_service().devices(ctx.caller_of(router), tenant, patient_id, ctx.clock())
    return DevicesOut(patient_id=patient_id, devices=[DevicePeriodOut.of(p) for p in periods])


@router.get("/patients/<tenant>/<patient_id>/alerts", summary="Alerts opened in a period, with their outcomes")
def alerts(tenant: TenantId, patient_id: PatientId, since: Since = None, until: Until = None) -> AlertHistoryOut:
    start, end = _period(since, until, DEFAULT_HISTORY_PERIOD)
    found = ctx.records_service().alert_history(ctx.caller_of(router), tenant, patient_id, start, end, ctx.clock())
    return AlertHistoryOut(patient_id=patient_id, alerts=[AlertOut.of(tenant, a) for a in found])


# Powertools' decorator is untyped: this keeps the handler's signature for mypy.
_on = cast(Callable[[type[Exception]], Callable[[_Handler], _Handler]], router.exception_handler)


@_on(InvalidPeriod)
def _invalid_period(error: InvalidPeriod) -> Response[str]:
    return ctx.problem(400, str(error))
