"""Routes of enrolment by decision (vedtak), discharge and devices: the tenant administrator's (devices
also the centre nurse's). Each change is recorded with the verified identity, idempotent under retries,
refused whole (problem details) or done whole, and written to the tenant's access log."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

import records_context as ctx
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dho.centre.enrolment_schemas import DeviceAtIn, DischargeIn, EnrolIn, EnrolmentRecordOut
from dho.centre.enrolment_service import Conflict, Decision, InvalidChange
from dho.centre.record_schemas import DevicePeriodOut
from dho.domain.payload_schema import IDENTIFIER_PATTERN

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
_Handler = TypeVar("_Handler", bound=Callable[..., Any])

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]
DeviceId = Annotated[str, Path(pattern=IDENTIFIER_PATTERN)]


@router.put("/patients/<tenant>/<patient_id>/enrolment",
            summary="Enrol a patient by decision (vedtak): registry, plan version 1, the decision",
            responses={201: {"description": "enrolled"}, 200: {"description": "already enrolled so (a retry)"}})
def enrol(tenant: TenantId, patient_id: PatientId, body: Annotated[EnrolIn, Body()]) -> Response[EnrolmentRecordOut]:
    decision = Decision(
        patient_id=patient_id, name=body.name, code=body.code, programme=body.programme,
        decision_ref=body.decision_ref, decided_on=body.decided_on, start=body.start, review_on=body.review_on,
        gp_hpr=body.gp_hpr, hospital_organisations=tuple(body.hospital_organisations),
    )
    changed = ctx.enrolment_service().enrol(ctx.caller_of(router), tenant, decision, body.national_id, ctx.clock())
    return _enrolment_response(201 if changed.created else 200, EnrolmentRecordOut.of_record(changed.enrolment))


@router.post("/patients/<tenant>/<patient_id>/discharge", summary="Discharge a patient with a reason")
def discharge(
    tenant: TenantId, patient_id: PatientId, body: Annotated[DischargeIn, Body()]
) -> Response[EnrolmentRecordOut]:
    changed = ctx.enrolment_service().discharge(ctx.caller_of(router), tenant, patient_id, body.reason, body.on,
                                                ctx.clock())
    return _enrolment_response(200, EnrolmentRecordOut.of_record(changed.enrolment))


@router.post("/patients/<tenant>/<patient_id>/devices/<device_id>/assign",
             summary="Hand a device to the patient from a time (its previous holder's period ends then)")
def assign_device(
    tenant: TenantId, patient_id: PatientId, device_id: DeviceId, body: Annotated[DeviceAtIn, Body()]
) -> DevicePeriodOut:
    period = ctx.enrolment_service().assign_device(ctx.caller_of(router), tenant, patient_id, device_id, body.at,
                                                   ctx.clock())
    return DevicePeriodOut.of(period)


@router.post("/patients/<tenant>/<patient_id>/devices/<device_id>/unassign",
             summary="The device came back from the patient at a time")
def unassign_device(
    tenant: TenantId, patient_id: PatientId, device_id: DeviceId, body: Annotated[DeviceAtIn, Body()]
) -> DevicePeriodOut:
    period = ctx.enrolment_service().unassign_device(ctx.caller_of(router), tenant, patient_id, device_id, body.at,
                                                     ctx.clock())
    return DevicePeriodOut.of(period)


def _enrolment_response(status: int, enrolment: EnrolmentRecordOut) -> Response[EnrolmentRecordOut]:
    return Response(status, "application/json", enrolment, headers={"ETag": f'"{enrolment.version}"'})


# Powertools' decorator is untyped: this keeps the handlers' signatures for mypy.
_on = cast(Callable[[type[Exception]], Callable[[_Handler], _Handler]], router.exception_handler)


@_on(Conflict)
def _conflict(error: Conflict) -> Response[str]:
    if error.current_version is None:
        return ctx.problem(409, str(error))
    return ctx.problem(409, str(error), current_version=error.current_version)


@_on(InvalidChange)
def _invalid(error: InvalidChange) -> Response[str]:
    return ctx.problem(422, str(error), errors=error.problems)
