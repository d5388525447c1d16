"""The self-management plan's route: a new version by the calling clinician (centre nurse, HPR number
from the token), with why; If-Match on the current version (stale: 409; a retry of a change that went
through answers with that version). Problem handlers for conflicts are the enrolment routes' (shared)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

import records_context as ctx
from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body, Header, Path
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from dho.centre.enrolment_schemas import PlanChangeIn
from dho.centre.record_schemas import PlanVersionOut

router = APIGatewayHttpRouter()  # type: ignore[no-untyped-call]  # Powertools leaves __init__ unannotated
_Handler = TypeVar("_Handler", bound=Callable[..., Any])

TenantId = Annotated[str, Path(pattern=r"^[a-z][a-z0-9-]{1,28}[a-z0-9]$")]
PatientId = Annotated[str, Path(pattern=r"^P-[0-9A-Z]{4,32}$")]
IfMatch = Annotated[str | None, Header(alias="if-match", description='the plan version seen, e.g. "3"')]


@router.put("/patients/<tenant>/<patient_id>/plan", summary="A new version of the self-management plan")
def revise_plan(
    tenant: TenantId, patient_id: PatientId, body: Annotated[PlanChangeIn, Body()], if_match: IfMatch = None
) -> Response[PlanVersionOut]:
    expected = ctx.expected_version(if_match, "plan")
    plan = ctx.enrolment_service().revise_plan(ctx.caller_of(router), tenant, patient_id, expected, body.changes(),
                                               body.note, ctx.clock())
    version = PlanVersionOut(version=plan.version, changed_by=plan.changed_by, changed_at=plan.changed_at,
                             change_note=plan.change_note, plan=plan)
    return Response(200, "application/json", version, headers={"ETag": f'"{plan.version}"'})


# Powertools' decorator is untyped: this keeps the handlers' signatures for mypy.
_on = cast(Callable[[type[Exception]], Callable[[_Handler], _Handler]], router.exception_handler)


@_on(ctx.PreconditionRequired)
def _precondition_required(error: ctx.PreconditionRequired) -> Response[str]:
    return ctx.problem(428, str(error))


@_on(ctx.BadIfMatch)
def _bad_if_match(error: ctx.BadIfMatch) -> Response[str]:
    return ctx.problem(400, str(error))
